"""The Explain view: gradient attribution beside the cross-attention of the same steps, and its exports.

One figure, two heatmaps with the same rows (target tokens): on the left the attribution over the source (then
the target before each token, past a line), signed, red for tokens that raised the output and blue for those that
lowered it; on the right the cross-attention, whose row labels carry each token's Spearman rho between the two.
Under them, the source with the picked target token's attribution as a background shade. Static SVG/HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..tasks.attention.results import Attribution
from .export import export_folder
from .figures import MPL_RC, figure_png, figure_svg, inline_svg
from .markup import esc, short
from .run import notes_html

METHOD_LABELS = {
    "integrated_gradients": "integrated gradients",
    "input_x_gradient": "input × gradient",
    "attention": "cross-attention (mean of every layer and head)",
}
MAX_CELLS_LABELLED = 64  # tokens labelled per axis; past it every n-th


@dataclass(frozen=True, eq=False)
class Shown:
    """What the view draws once special tokens are hidden (or not): column and row picks of the result."""

    columns: list[int]  # indices into the scores' columns
    labels: list[str]  # one per column
    n_source: int  # columns before this are source tokens, the rest the target before each row
    rows: list[int]  # indices into the scores' rows
    row_labels: list[str]


@dataclass(frozen=True, eq=False)
class RenderedAttribution:
    html: str  # the summary, the figure and the highlighted source
    svg: str
    figure: Figure
    data: dict[str, object]  # the numbers drawn (JSON export)


def _shown(result: Attribution, hide_special: bool) -> Shown:
    source = [i for i, s in enumerate(result.source_special) if not (hide_special and s)]
    prefix = [i for i, s in enumerate(result.prefix_special) if not (hide_special and s)]
    n = len(result.source_tokens)
    rows = [r for r, p in enumerate(result.positions) if not (hide_special and result.target_special[p])]
    return Shown(
        columns=source + [n + i for i in prefix],
        labels=[result.source_tokens[i] for i in source] + [result.prefix_tokens[i] for i in prefix],
        n_source=len(source),
        rows=rows or list(range(len(result.positions))),  # a row of special tokens only: shown rather than nothing
        row_labels=[result.target_tokens[result.positions[r]] for r in (rows or range(len(result.positions)))],
    )


def summary(result: Attribution) -> str:
    """One sentence on what was explained, how, and how well the two maps agree."""
    what = {"translation": "each target token", "qa": "the answer's start + end logits", "retrieval": "the similarity"}
    parts = [f"{METHOD_LABELS[result.method]} of {what[result.kind]}"]
    if result.contrast:
        parts[0] += f" contrasted with “{result.contrast}” (log p(target) − log p(contrast))"
    if result.method == "integrated_gradients":
        parts.append(f"{result.steps} steps, completeness gap (convergence delta) {result.convergence_delta:.2g}")
    if np.isfinite(result.mean_rank_correlation):
        parts.append(f"mean Spearman ρ between attention and |attribution|: {result.mean_rank_correlation:+.2f}")
    return "; ".join(parts) + "."


def _ticks(ax, labels: list[str], axis: str) -> None:
    positions = np.arange(0, len(labels), max(1, -(-len(labels) // MAX_CELLS_LABELLED)))
    names = [short(labels[i]) for i in positions]
    if axis == "x":
        ax.set_xticks(positions, names, rotation=90, fontsize=7)
    else:
        ax.set_yticks(positions, names, fontsize=7)


def attribution_figure(result: Attribution, shown: Shown) -> Figure:
    """Attribution (left) and cross-attention (right, when the model has it), rows = target tokens."""
    scores = result.scores[np.ix_(shown.rows, shown.columns)]  # (rows, columns)
    signed = result.method != "attention"
    attention = (
        None if result.attention is None else result.attention[np.ix_(shown.rows, shown.columns[: shown.n_source])]
    )
    n_rows, n_cols = scores.shape
    inch = min(0.22, 10 / max(n_rows, n_cols, 1))
    width = n_cols * inch + (shown.n_source * inch + 1.5 if attention is not None else 0) + 3
    with matplotlib.rc_context(MPL_RC):
        figure = Figure(figsize=(min(max(width, 6.5), 18), min(max(n_rows * inch + 2.2, 3), 14)), layout="constrained")
        ratios = [n_cols + 4, shown.n_source + 2] if attention is not None else None  # cells about equally wide
        panels = figure.subplots(1, len(ratios or [1]), squeeze=False, width_ratios=ratios)[0]
        limit = max(float(np.abs(scores).max()), 1e-9)
        image = panels[0].imshow(
            scores,
            cmap="RdBu_r" if signed else "Blues",
            vmin=-limit if signed else 0,
            vmax=limit,
            interpolation="none",
            aspect="auto",
        )
        if shown.n_source < n_cols:  # where the source ends and the target before each token begins
            panels[0].axvline(shown.n_source - 0.5, color="#111827", linewidth=1)
        _ticks(panels[0], shown.labels, "x")
        _ticks(panels[0], shown.row_labels, "y")
        panels[0].set_title(METHOD_LABELS[result.method] + (f" vs “{result.contrast}”" if result.contrast else ""))
        panels[0].set_xlabel("source" + (" | target so far" if shown.n_source < n_cols else ""))
        figure.colorbar(image, ax=panels[0], shrink=0.8, fraction=0.05, label="attribution")
        if attention is not None:
            panels[1].imshow(attention, cmap="Blues", vmin=0, vmax=max(float(attention.max()), 1e-9), aspect="auto")
            _ticks(panels[1], shown.labels[: shown.n_source], "x")
            rhos = [result.rank_correlation[r] for r in shown.rows]
            _ticks(panels[1], [f"ρ {rho:+.2f}" if np.isfinite(rho) else "ρ –" for rho in rhos], "y")
            panels[1].yaxis.tick_right()
            panels[1].set_title("cross-attention, same steps")
            panels[1].set_xlabel("source")
    return figure


def highlighted_source(result: Attribution, row: int, hide_special: bool) -> str:
    """The source tokens shaded by row ``row``'s attribution (red raised the output, blue lowered it)."""
    values = result.scores[row, : len(result.source_tokens)]
    limit = max(float(np.abs(values).max()), 1e-9)
    spans = []
    for token, value, special in zip(result.source_tokens, values, result.source_special, strict=True):
        if hide_special and special:
            continue
        alpha = min(1.0, abs(float(value)) / limit) * 0.8
        color = f"rgba(220,38,38,{alpha:.2f})" if value >= 0 else f"rgba(37,99,235,{alpha:.2f})"
        spans.append(
            f'<span title="{value:+.4f}" style="background:{color};padding:1px 3px;margin:1px;border-radius:3px;'
            f'display:inline-block">{esc(token)}</span>'
        )
    target = result.target_tokens[result.positions[row]]
    return (
        f'<p style="margin:6px 0 2px 0"><b>Source, shaded for “{esc(target)}”</b> '
        "(red raised it, blue lowered it; hover for the number):</p>"
        f'<div class="explain-source" style="line-height:1.9">{"".join(spans)}</div>'
    )


def attribution_view(result: Attribution, row: int = 0, hide_special: bool = False) -> RenderedAttribution:
    """The view of ``result`` with row ``row`` (an index into ``result.positions``) highlighted in the source."""
    row = min(max(int(row), 0), len(result.positions) - 1)
    shown = _shown(result, hide_special)
    figure = attribution_figure(result, shown)
    svg = figure_svg(figure)
    notes = [summary(result)]
    if result.kind == "translation":
        notes.insert(0, f"Explained: {result.translation}")
    if result.attention is None:
        notes.append("This model has no cross-attention to set beside the attribution.")
    html = (
        f'<div class="explain-view">{notes_html(notes, icon="")}{notes_html(result.warnings)}'
        f'<div style="overflow:auto;max-height:80vh;background:#fff;border:1px solid #e5e7eb">{_fitted(svg)}</div>'
        f"{highlighted_source(result, row, hide_special)}</div>"
    )
    return RenderedAttribution(html=html, svg=svg, figure=figure, data=_data(result, shown))


def _fitted(svg: str) -> str:
    """The SVG scaled to the panel's width (its viewBox keeps the proportions), never under 560 px: below that
    the labels would be unreadable, so a phone scrolls the box sideways instead."""
    return inline_svg(svg).replace("<svg ", '<svg style="width:100%;height:auto;min-width:560px" ', 1)


def _data(result: Attribution, shown: Shown) -> dict[str, object]:
    def rounded(values: np.ndarray | None) -> object:
        return None if values is None else np.round(values, 6).tolist()

    rows = shown.rows
    return {
        "method": result.method,
        "steps": result.steps,
        "kind": result.kind,
        "contrast": result.contrast,
        "columns": shown.labels,
        "source_columns": shown.n_source,
        "rows": shown.row_labels,
        "scores": rounded(result.scores[np.ix_(rows, shown.columns)]),
        "attention": None
        if result.attention is None
        else rounded(result.attention[np.ix_(rows, shown.columns[: shown.n_source])]),
        "rank_correlation": [
            None if not np.isfinite(result.rank_correlation[r]) else result.rank_correlation[r] for r in rows
        ],
        "convergence_delta": result.convergence_delta,
        "deltas": None if result.deltas is None else rounded(result.deltas[rows]),
    }


def export_attribution(
    result: Attribution, row: int = 0, hide_special: bool = False, folder: Path | None = None
) -> list[Path]:
    """The view as SVG, PNG and JSON files in ``folder`` (a fresh export folder by default); their paths."""
    rendered = attribution_view(result, row, hide_special)
    folder = folder or export_folder()
    files = {
        f"explain-{result.method}.svg": rendered.svg.encode(),
        f"explain-{result.method}.png": figure_png(rendered.figure),
        f"explain-{result.method}.json": json.dumps(rendered.data, ensure_ascii=False).encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in files]
