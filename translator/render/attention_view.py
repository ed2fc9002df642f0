"""One attention view drawn from a result and the view options: the tab's HTML, an SVG, a PNG and JSON.

The options are checked and the attention selected in translator.tasks.attention.select; this module
only draws what was selected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from ..core.checks import float_arg
from ..tasks.attention.results import AttentionOptions, AttentionResult, Selection, TranslationAttention
from ..tasks.attention.select import attention_shape, select_view
from .figures import figure_png, figure_svg, heatmap_figure, inline_svg, model_view_figure, thumbnail_px
from .head_view import HeadView, head_view, head_view_figure, head_view_svg
from .markup import numbers
from .run import notes_html

JSON_MAX_VALUES = 1_000_000  # a bigger view is exported as .npz only (JSON of 1M floats is ~10 MB)
ViewData = dict[str, object]  # the numbers a view drew: tokens, layer, heads, weights (arrays)


@dataclass(frozen=True, eq=False)
class RenderedAttention:
    html: str  # what the tab shows: notes and a static SVG in a scrolling box, no script
    svg: str  # the same view as a standalone SVG document
    drawing: Figure | HeadView  # for the PNG export; a head view is drawn by matplotlib only when exported
    data: ViewData | None  # the numbers the view drew (JSON export); None when too big for JSON
    notes: tuple[str, ...]
    layers: int  # of the selected attention, so the UI can bound its layer slider and head boxes
    heads: int


def _kind_label(kind: str) -> str:
    return {
        "encoder": "encoder self-attention",
        "decoder": "decoder self-attention",
        "cross": "cross-attention (target → source)",
    }[kind]


def _title(kind: str, layer: int, heads: list[int], total: int, mean: bool = False) -> str:
    """E.g. "encoder self-attention · layer 3 · mean of heads 1, 4"."""
    if len(heads) == 1:
        which = f"head {heads[0]}"
    else:
        which = "all heads" if len(heads) == total else "heads " + numbers(heads)
        which = "mean of " + which if mean else which
    return f"{_kind_label(kind)} · layer {layer} · {which}"


def _head_drawing(
    selection: Selection, layer: int, heads: list[int], min_weight: float
) -> tuple[HeadView, ViewData, list[str]]:
    weights = selection.attentions[layer, heads]  # (chosen heads, q, k)
    numbers_shown = [h + 1 for h in heads]
    title = _title(selection.kind, layer + 1, numbers_shown, selection.attentions.shape[1])
    view, note = head_view(
        weights,
        selection.query_tokens,
        selection.key_tokens,
        numbers_shown,
        title,
        float_arg("Minimum weight", min_weight, 0.0, 1.0),
    )
    return view, {"layer": layer + 1, "heads": numbers_shown, "weights": weights}, [note] if note else []


def _model_drawing(selection: Selection) -> tuple[Figure, ViewData, list[str]]:
    weights = selection.attentions
    figure = model_view_figure(
        weights, f"{_kind_label(selection.kind)} · every layer × head (each thumbnail scaled to its own maximum)"
    )
    size = thumbnail_px(*weights.shape[:2])
    notes = []
    if max(weights.shape[2:]) > size:
        notes.append(
            f"Model view: thumbnails average blocks of tokens to at most {size}×{size} pixels; "
            "use the heatmap for single tokens."
        )
    return figure, {"weights": weights}, notes


def _heatmap_drawing(
    selection: Selection, layer: int, heads: list[int], alignment: bool
) -> tuple[Figure, ViewData, list[str]]:
    numbers_shown = [h + 1 for h in heads]
    if selection.rollout:
        matrix = selection.attentions[layer, 0]
        title = f"{_kind_label(selection.kind)} rollout through layers 1–{layer + 1}"
        data: ViewData = {"layer": layer + 1, "rollout": True, "weights": matrix}
    else:
        matrix = selection.attentions[layer, heads].mean(axis=0)
        title = _title(selection.kind, layer + 1, numbers_shown, selection.attentions.shape[1], mean=True)
        data = {"layer": layer + 1, "heads": numbers_shown, "weights": matrix}
    axes = ("target", "source") if selection.kind == "cross" else ("query", "key")
    figure = heatmap_figure(matrix, selection.query_tokens, selection.key_tokens, title, axes=axes, mark_rows=alignment)
    if alignment:
        data["alignment"] = [[row, int(col)] for row, col in enumerate(matrix.argmax(axis=1))]
    return figure, data, []


def attention_view(result: AttentionResult | TranslationAttention, options: AttentionOptions) -> RenderedAttention:
    """Draw ``result`` the way ``options`` say (InputError when they do not fit it: see ``fitted``)."""
    selection, layer, heads = select_view(result, options)
    drawing: Figure | HeadView
    if options.view == "head":
        drawing, data, notes = _head_drawing(selection, layer, heads, options.min_weight)
        svg = head_view_svg(drawing)
    else:
        drawing, data, notes = (
            _model_drawing(selection)
            if options.view == "model"
            else _heatmap_drawing(selection, layer, heads, alignment=options.view == "alignment")
        )
        svg = figure_svg(drawing)
    lead = []  # what was drawn on, before the warnings
    if isinstance(result, TranslationAttention):
        search = "greedy" if result.num_beams == 1 else f"{result.num_beams} beams"
        lead.append(f"Generated translation ({search}): {result.translation}")
    notes = [*selection.notes, *notes]
    data = {
        "view": options.view,
        "kind": selection.kind,
        "query_tokens": selection.query_tokens,
        "key_tokens": selection.key_tokens,
        **data,
    }
    values = np.size(data["weights"])
    if values > JSON_MAX_VALUES:
        notes.append(f"This view has {values:,} numbers, too many for JSON; download the .npz instead.")
    html = (
        f'<div class="attn-view">{notes_html(lead, icon="")}{notes_html(result.warnings)}{notes_html(notes, icon="")}'
        f'<div style="overflow:auto;max-height:80vh;background:#fff;border:1px solid #e5e7eb">{inline_svg(svg)}</div>'
        "</div>"
    )
    layers, n_heads = attention_shape(result, options)  # of the attention itself, also under rollout
    return RenderedAttention(
        html=html,
        svg=svg,
        drawing=drawing,
        data=data if values <= JSON_MAX_VALUES else None,
        notes=(*lead, *result.warnings, *notes),
        layers=layers,
        heads=n_heads,
    )


def attention_png(rendered: RenderedAttention) -> bytes:
    drawing = rendered.drawing
    if isinstance(drawing, HeadView):
        return figure_png(head_view_figure(drawing), palette=True)
    return figure_png(drawing)


def attention_json(rendered: RenderedAttention) -> str | None:
    """The numbers of the current view as JSON (weights rounded to 6 decimals); None when too big."""
    if rendered.data is None:
        return None
    data = {
        name: np.round(value, 6).tolist() if isinstance(value, np.ndarray) else value
        for name, value in rendered.data.items()
    }
    return json.dumps(data, ensure_ascii=False)
