"""Pure rendering: results and arrays -> SVG/HTML strings, matplotlib figures, PNG bytes.

No models and no gradio here. Everything a user typed is escaped before it enters HTML.
"""

from __future__ import annotations

import dataclasses
import html
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from ..core.checks import choice_arg, float_arg, int_arg
from ..core.errors import InputError
from ..tasks import attention, attention_select


def esc(text: str) -> str:
    """User text made safe for HTML (quotes too, so it can sit in attributes)."""
    return html.escape(text, quote=True)


def run_line(result: Any) -> str:
    """One Markdown line that says what ran: model, device, precision, memory footprint, seconds."""
    parts = [f"**Model:** `{result.model}`"]
    if getattr(result, "device", None):
        parts.append(f"**device:** {result.device}")
    if getattr(result, "precision", None):
        parts.append(f"**precision:** {result.precision}")
    if getattr(result, "footprint_bytes", None):
        parts.append(f"**memory:** {result.footprint_bytes / 2**20:,.0f} MB")
    parts.append(f"**time:** {result.seconds:.2f} s")
    return " · ".join(parts)


# ---- chunk plans and translations (Translate and Chunks tabs) ----

# pale fills that stay readable under dark text, cycled chunk by chunk
CHUNK_COLOURS = ("#dbeafe", "#fde68a", "#bbf7d0", "#fbcfe8", "#ddd6fe", "#fed7aa")
# overlap (text that two windows share) is hatched over the later window's colour
OVERLAP_STYLE = "background-image:repeating-linear-gradient(45deg,rgba(0,0,0,.18) 0 3px,transparent 3px 7px);"
# the table under the drawing lists at most this many chunks; the drawing always shows the whole text
MAX_CHUNK_ROWS = 400


def render_chunks(
    text: str, spans: Any, limit: int, highlight: Any = None, outputs: Any = None, marks: Any = ()
) -> str:
    """Static HTML of ``text`` with each span (chunk, QA window...) coloured, and a table of the spans.

    ``spans``: objects with ``char_start``, ``char_end``, ``n_tokens`` and optionally ``index``,
    ``overlap_prev``, ``split_inside_sentence`` (drawn as a ✂ cut), ``truncated`` — Chunk,
    TranslatedChunk and QA windows all fit. ``limit``: the token budget each count is shown against.
    ``highlight``: indices (positions in ``spans``) to outline. ``outputs``: one string per span,
    shown beside its source (a translation). ``marks``: ``(start, end)`` character ranges to
    mark in the text, e.g. answers.
    """
    spans = list(spans)
    chosen = set(highlight or ())
    drawing = _draw_spans(text, spans, chosen, list(marks))
    rows = "".join(
        _chunk_row(text, i, span, limit, outputs[i] if outputs is not None else None, i in chosen)
        for i, span in enumerate(spans[:MAX_CHUNK_ROWS])
    )
    more = f"<p>Showing the first {MAX_CHUNK_ROWS} of {len(spans)} chunks.</p>" if len(spans) > MAX_CHUNK_ROWS else ""
    output_head = "<th>Output</th>" if outputs is not None else ""
    return (
        f'<div class="chunk-viewer">{_chunk_summary(spans, limit)}'
        f'<div class="chunk-text" style="white-space:pre-wrap;line-height:1.9;border:1px solid #d1d5db;'
        f'padding:8px;max-height:420px;overflow:auto;color:#111827;background:#fff">{drawing}</div>'
        f'<table class="chunk-table" style="width:100%;border-collapse:collapse;margin-top:8px">'
        f"<thead><tr><th>#</th><th>Tokens</th><th>Source</th>{output_head}</tr></thead>"
        f"<tbody>{rows}</tbody></table>{more}</div>"
    )


def _chunk_summary(spans: list[Any], limit: int) -> str:
    if not spans:
        return "<p>No chunks: the text is empty.</p>"
    largest = max(s.n_tokens for s in spans)
    cut = sum(1 for s in spans if getattr(s, "split_inside_sentence", False))
    overlap = sum(1 for s in spans if getattr(s, "overlap_prev", 0))
    parts = [f"<b>{len(spans)}</b> chunk(s)", f"largest <b>{largest}</b> of {limit} tokens"]
    if cut:
        parts.append(f"<b>{cut}</b> cut inside a sentence (✂)")
    if overlap:
        parts.append(f"<b>{overlap}</b> overlapping the previous one (hatched)")
    return f'<p class="chunk-summary">{" · ".join(parts)}</p>'


def _draw_spans(text: str, spans: list[Any], chosen: set[int], marks: list[tuple[int, int]]) -> str:
    """The text cut at every span and mark boundary; each piece styled by the spans that cover it."""
    cuts = {0, len(text)}
    for span in spans:
        cuts.update((span.char_start, span.char_end))
    for start, end in marks:
        cuts.update((start, end))
    points = sorted(p for p in cuts if 0 <= p <= len(text))
    starts: dict[int, list[int]] = {}
    for i, span in enumerate(spans):
        starts.setdefault(span.char_start, []).append(i)
    ends_cut = {s.char_end for s in spans if getattr(s, "split_inside_sentence", False)}
    html_parts = []
    active: list[int] = []
    for a, b in zip(points, points[1:], strict=False):
        active = [i for i in active if spans[i].char_end > a] + starts.get(a, [])
        html_parts += [_label(i, spans[i]) for i in starts.get(a, [])]
        html_parts.append(_piece(text[a:b], active, chosen, any(s <= a and b <= e for s, e in marks)))
        if b in ends_cut:
            html_parts.append('<span title="cut inside a sentence" style="color:#b91c1c;font-weight:bold">✂</span>')
    return "".join(html_parts)


def _label(i: int, span: Any) -> str:
    number = getattr(span, "index", i) + 1
    return f'<sup style="font-size:70%;color:#374151;background:#f3f4f6;border-radius:3px;padding:0 2px">{number}</sup>'


def _piece(piece: str, active: list[int], chosen: set[int], marked: bool) -> str:
    if not active:
        style = "color:#6b7280;"  # text no chunk covers: whitespace between chunks
    else:
        style = f"background-color:{CHUNK_COLOURS[active[-1] % len(CHUNK_COLOURS)]};"
        if len(active) > 1:
            style += OVERLAP_STYLE
        if chosen.intersection(active):
            style += "outline:2px solid #1d4ed8;"
    if marked:
        style += "box-shadow:inset 0 -3px 0 #dc2626;font-weight:bold;"
    return f'<span style="{style}">{esc(piece)}</span>'


def _chunk_row(text: str, i: int, span: Any, limit: int, output: str | None, chosen: bool) -> str:
    colour = CHUNK_COLOURS[i % len(CHUNK_COLOURS)]
    share = min(1.0, span.n_tokens / limit) if limit else 0.0
    bar_colour = "#dc2626" if span.n_tokens > limit else "#2563eb"
    notes = []
    if getattr(span, "overlap_prev", 0):
        notes.append(f"{span.overlap_prev} tokens overlap the previous chunk")
    if getattr(span, "split_inside_sentence", False):
        notes.append("✂ cut inside a sentence")
    if getattr(span, "truncated", False):
        notes.append("⚠ output hit the length or time limit")
    note_html = "".join(f'<div style="font-size:80%;color:#b91c1c">{esc(n)}</div>' for n in notes)
    cell = "padding:4px;border-top:1px solid #e5e7eb;vertical-align:top;white-space:pre-wrap"
    outline = "outline:2px solid #1d4ed8;" if chosen else ""
    output_cell = f'<td style="{cell}">{esc(output)}</td>' if output is not None else ""
    return (
        f'<tr style="{outline}"><td style="{cell};background:{colour}">{getattr(span, "index", i) + 1}</td>'
        f'<td style="{cell}">{span.n_tokens} / {limit}<div style="background:#e5e7eb;height:5px;width:80px">'
        f'<div style="background:{bar_colour};height:5px;width:{share * 80:.0f}px"></div></div>{note_html}</td>'
        f'<td style="{cell}">{esc(text[span.char_start : span.char_end])}</td>{output_cell}</tr>'
    )


def render_nbest(chunks: Any) -> list[list[Any]]:
    """Rows for the n-best table: chunk number, rank, hypothesis, score (rounded for display)."""
    return [
        [chunk.index + 1, rank, hypothesis.text, round(hypothesis.score, 4)]
        for chunk in chunks
        for rank, hypothesis in enumerate(chunk.hypotheses, 1)
    ]


def render_warnings(warnings: Any) -> str:
    """Markdown list of warnings, or nothing."""
    return "\n".join(f"⚠️ {w}" for w in warnings)


# ---- question answering and summaries ----

# answers and picked sentences: a fill per rank (best first), then the last one repeats
RANK_COLOURS = ("#fde047", "#86efac", "#93c5fd", "#f9a8d4", "#c4b5fd", "#fdba74")
DROPPED_STYLE = "color:#9ca3af;text-decoration:line-through;"
TEXT_BOX = (
    "white-space:pre-wrap;line-height:1.8;border:1px solid #d1d5db;padding:8px;max-height:420px;"
    "overflow:auto;color:#111827;background:#fff"
)


@dataclass(frozen=True)
class Mark:
    """A character range to draw over a text: ``label`` in a small tag at its start, ``title`` on hover."""

    start: int
    end: int
    style: str
    label: str = ""
    title: str = ""


def marked_text(text: str, marks: Sequence[Mark]) -> str:
    """Static HTML of ``text`` with ``marks`` drawn; where marks overlap, the earlier one in ``marks`` shows."""
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    parts = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        parts += [
            f'<sup style="font-size:70%;font-weight:bold;color:#374151">{esc(m.label)}</sup>'
            for m in marks
            if m.start == a and m.label
        ]
        top = next((m for m in marks if m.start <= a and b <= m.end), None)
        piece = esc(text[a:b])
        parts.append(f'<span style="{top.style}" title="{esc(top.title)}">{piece}</span>' if top else piece)
    return f'<div class="marked-text" style="{TEXT_BOX}">{"".join(parts)}</div>'


def _rank_style(rank: int) -> str:
    return f"background-color:{RANK_COLOURS[min(rank, len(RANK_COLOURS)) - 1]};border-radius:3px;"


def qa_context_html(context: str, result: Any) -> str:
    """The context with each answer highlighted and numbered by rank."""
    marks = [
        Mark(a.start, a.end, _rank_style(rank), str(rank), f"answer {rank}: score {a.score:.4f}")
        for rank, a in enumerate(result.answers, 1)
        if a.end > a.start
    ]
    return marked_text(context, marks)


def qa_answer_rows(result: Any) -> list[list[Any]]:
    """Rows for the answers table: rank, answer, score, characters, window (counted from 1)."""
    return [
        [rank, a.text or "(no answer)", round(a.score, 4), a.start, a.end, a.window + 1]
        for rank, a in enumerate(result.answers, 1)
    ]


def qa_windows_html(context: str, result: Any) -> str:
    """The windows (sentences in retrieval mode) in the chunk viewer; answers' windows outlined, answers marked."""
    return render_chunks(
        context,
        result.windows,
        result.max_seq_len,
        highlight={a.window for a in result.answers if a.text},
        marks=[(a.start, a.end) for a in result.answers if a.end > a.start],
    )


def qa_mode_note(result: Any) -> str:
    """Markdown that says plainly how the answers were found."""
    if result.mode == "retrieval":
        note = (
            "**Sentence retrieval, not span extraction:** the context's sentences were ranked by "
            f"similarity to the question with `{result.model}`; each answer is a whole sentence and its "
            "score a cosine similarity."
        )
    else:
        note = (
            f"**Span extraction** over {len(result.windows)} window(s) of at most {result.max_seq_len} tokens; "
            "scores are start × end probabilities within a window, added up for answers found in several."
        )
    return "\n\n".join([note, *(f"⚠️ {w}" for w in result.warnings)])


def summary_source_html(text: str, result: Any) -> str:
    """The source with the picked sentences highlighted and ranked, and the dropped ones struck through."""
    picked = [s for s in result.sentences if s.selected]
    marks = [
        Mark(
            s.char_start,
            s.char_end,
            _rank_style(s.rank),
            str(s.rank),
            f"rank {s.rank}, cluster {s.cluster + 1}, score {s.score:.3f}",
        )
        for s in picked
    ]
    marks += [Mark(d.char_start, d.char_end, DROPPED_STYLE, title=f"dropped: {d.reason}") for d in result.dropped]
    return marked_text(text, marks)


def summary_rows(result: Any) -> list[list[Any]]:
    """Rows for the sentences table, best rank first: rank, picked, score, cluster, sentence number, text."""
    ranked = sorted(result.sentences, key=lambda s: s.rank)
    return [[s.rank, "✓" if s.selected else "", round(s.score, 4), s.cluster + 1, s.index + 1, s.text] for s in ranked]


def summary_notes(result: Any) -> str:
    """HTML: warnings, and what the length filters dropped and why."""
    parts = [f"<p>⚠️ {esc(w)}</p>" for w in result.warnings]
    if result.dropped:
        items = "".join(
            f"<li>#{d.index + 1} ({esc(d.reason)}): {esc(_short(d.text, 120))}</li>" for d in result.dropped
        )
        parts.append(f"<p><b>{len(result.dropped)} sentence(s) dropped by the length filters:</b></p><ul>{items}</ul>")
    return "".join(parts) or "<p>No sentence was dropped by the length filters.</p>"


def elbow_figure(elbow: Any, chosen_k: int | None = None) -> Figure:
    """Inertia by number of clusters, with the suggested k (and the k used) marked."""
    figure = Figure(figsize=(5, 3), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    if not elbow.ks:
        axes.text(0.5, 0.5, "no sentences to cluster", ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return figure
    axes.plot(elbow.ks, elbow.inertias, marker="o", color="#2563eb")
    best = elbow.ks.index(elbow.suggested_k)
    axes.scatter(
        [elbow.suggested_k],
        [elbow.inertias[best]],
        s=120,
        facecolors="none",
        edgecolors="#dc2626",
        linewidths=2,
        label=f"suggested k = {elbow.suggested_k}",
        zorder=3,
    )
    if chosen_k:
        axes.axvline(chosen_k, color="#6b7280", linestyle="--", label=f"k used = {chosen_k}")
    axes.set_xlabel("clusters (k)")
    axes.set_ylabel("k-means inertia")
    axes.set_xticks(elbow.ks)
    axes.legend(frameon=False)
    return figure


# ---- attention ----


ATTENTION_VIEWS = ("head", "model", "heatmap", "rollout", "alignment")
# categorical colours for heads: the ten dark tab20 hues first, then their light partners
HEAD_COLOURS = tuple(to_hex(c) for c in colormaps["tab20"].colors[0::2] + colormaps["tab20"].colors[1::2])
ROW_PX = 16  # head view: height of one token row
FONT_PX = 12
LINK_PX = 220  # head view: room between the two token columns for the links
LABEL_CHARS = 24  # longer tokens are shortened with an ellipsis in drawings
MAX_LINKS = 6_000  # head view: past this only the strongest links are drawn (a 512-token SVG stays < 1 MB)
MOSAIC_PX = 600  # model view: the thumbnails together span at most this many pixels a side
MAX_TICKS = 64  # heatmaps label at most this many tokens per axis
JSON_MAX_VALUES = 1_000_000  # a bigger view is exported as .npz only (JSON of 1M floats is ~10 MB)
# keep SVG text as text (small, selectable) and never read "$...$" in a token as mathtext
MPL_RC = {"svg.fonttype": "none", "text.parse_math": False, "font.size": 8}
HEAD_CSS = (
    ".attn-head text{fill:#1f2937;dominant-baseline:central}"
    ".attn-head .attn-title{font-weight:600}"
    ".attn-head line{stroke-width:2;stroke-linecap:round}"
    # hovering a token (or one of its links) fades every other token's links: CSS only, no script
    ".attn-head:has(.attn-q:hover) .attn-q:not(:hover){opacity:.1}"
    ".attn-head .attn-q:hover text{font-weight:700}"
)


@dataclass(frozen=True)
class AttentionOptions:
    view: str = "head"  # head | model | heatmap | rollout | alignment
    kind: str = "encoder"  # encoder | decoder | cross (translation results)
    layer: int = 1  # counted from 1
    heads: tuple[int, ...] = ()  # counted from 1; () means every head
    pair: str = "all"  # all | A->A | B->B | A->B | B->A (sentence pairs)
    word_level: bool = False
    hide_special: bool = False
    min_weight: float = 0.02  # head view: links below this weight are not drawn


@dataclass(frozen=True, eq=False)
class RenderedAttention:
    html: str  # what the tab shows: notes and a static SVG in a scrolling box, no script
    svg: str  # the same view as a standalone SVG document
    drawing: Figure | HeadView  # for the PNG export; a head view is drawn by matplotlib only when exported
    data: dict[str, Any] | None  # the numbers the view drew (JSON export); None when too big for JSON
    notes: tuple[str, ...]
    layers: int  # of the selected attention, so the UI can bound its layer slider and head boxes
    heads: int


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    """``label`` cut to ``limit`` characters, the last one an ellipsis when it was longer."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _numbers(values: Sequence[int]) -> str:
    return ", ".join(str(v) for v in values)


# -------- head view: two token columns joined by links, geometry shared by the SVG and the PNG


@dataclass(frozen=True, eq=False)
class HeadView:
    query_tokens: list[str]
    key_tokens: list[str]
    heads: list[int]  # head numbers shown (from 1), one colour each
    slot: np.ndarray  # per link: index into heads
    query: np.ndarray  # per link: query row
    key: np.ndarray  # per link: key row
    weight: np.ndarray  # per link: attention weight
    title: str

    @property
    def column_px(self) -> int:
        longest = max((len(_short(t)) for t in [*self.query_tokens, *self.key_tokens]), default=1)
        return 12 + 7 * longest

    @property
    def x_links(self) -> tuple[int, int]:
        start = 8 + self.column_px + 6
        return start, start + LINK_PX

    @property
    def size(self) -> tuple[int, int]:
        rows = max(len(self.query_tokens), len(self.key_tokens), 1)
        columns = self.x_links[1] + 6 + self.column_px + 8
        header = 16 + max(len(self.heads) * 46, len(self.title) * 7)  # the legend and title fit too
        return max(columns, header), 60 + rows * ROW_PX + 8

    @staticmethod
    def y(row: int) -> float:
        return 60 + row * ROW_PX + ROW_PX / 2

    def colour(self, slot: int) -> str:
        return HEAD_COLOURS[(self.heads[slot] - 1) % len(HEAD_COLOURS)]


def head_view(
    weights: np.ndarray,
    query_tokens: Sequence[str],
    key_tokens: Sequence[str],
    heads: Sequence[int],
    title: str,
    min_weight: float = 0.02,
    max_links: int = MAX_LINKS,
) -> tuple[HeadView, str]:
    """``weights`` (heads, q, k) of one layer -> the head view's links, and a note when links were left out."""
    slot, query, key = np.nonzero(weights >= min_weight)
    weight = weights[slot, query, key]
    note = ""
    if len(weight) > max_links:
        keep = np.argpartition(-weight, max_links - 1)[:max_links]
        note = f"Head view: drew the {max_links:,} strongest of {len(weight):,} links at or above {min_weight:g}."
        slot, query, key, weight = slot[keep], query[keep], key[keep], weight[keep]
    order = np.lexsort((slot, query))  # grouped by query row, then head, for the SVG's hover groups
    view = HeadView(
        list(query_tokens), list(key_tokens), list(heads), slot[order], query[order], key[order], weight[order], title
    )
    return view, note


def head_view_svg(view: HeadView) -> str:
    width, height = view.size
    x_start, x_end = view.x_links
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="attn-head" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="ui-sans-serif,system-ui,sans-serif" '
        f'font-size="{FONT_PX}"><style>{HEAD_CSS}</style>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text class="attn-title" x="8" y="14">{esc(view.title)}</text>',
    ]
    for i, head in enumerate(view.heads):
        x = 8 + i * 46
        parts.append(
            f'<rect x="{x}" y="30" width="12" height="12" fill="{view.colour(i)}"/>'
            f'<text x="{x + 16}" y="36">H{head}</text>'
        )
    parts.append('<g class="attn-keys" text-anchor="start">')
    parts += [
        f'<text x="{x_end + 6}" y="{view.y(row):g}">{esc(_short(t))}</text>' for row, t in enumerate(view.key_tokens)
    ]
    parts.append("</g>")
    bounds = np.searchsorted(view.query, np.arange(len(view.query_tokens) + 1))
    for row, token in enumerate(view.query_tokens):
        parts.append(
            f'<g class="attn-q"><text x="{x_start - 6}" y="{view.y(row):g}" text-anchor="end">'
            f"{esc(_short(token))}</text>"
        )
        for link in range(bounds[row], bounds[row + 1]):
            parts.append(
                f'<line x1="{x_start}" y1="{view.y(row):g}" x2="{x_end}" y2="{view.y(view.key[link]):g}" '
                f'stroke="{view.colour(view.slot[link])}" stroke-opacity="{view.weight[link]:.2f}"/>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def head_view_figure(view: HeadView) -> Figure:
    """The head view drawn by matplotlib at the SVG's pixel geometry (for the PNG export)."""
    width, height = view.size
    x_start, x_end = view.x_links
    points = FONT_PX * 72 / 100
    with matplotlib.rc_context(MPL_RC):
        figure = Figure(figsize=(width / 100, height / 100), dpi=100)
        ax = figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.axis("off")
        ax.text(8, 14, view.title, fontsize=points, fontweight="bold", va="center")
        for i, head in enumerate(view.heads):
            ax.add_patch(Rectangle((8 + i * 46, 30), 12, 12, color=view.colour(i)))
            ax.text(24 + i * 46, 36, f"H{head}", fontsize=points, va="center")
        for row, token in enumerate(view.query_tokens):
            ax.text(x_start - 6, view.y(row), _short(token), fontsize=points, ha="right", va="center")
        for row, token in enumerate(view.key_tokens):
            ax.text(x_end + 6, view.y(row), _short(token), fontsize=points, ha="left", va="center")
        colours = np.array([to_rgba(view.colour(s)) for s in view.slot]).reshape(-1, 4)
        colours[:, 3] = view.weight
        segments = [((x_start, view.y(q)), (x_end, view.y(k))) for q, k in zip(view.query, view.key, strict=True)]
        ax.add_collection(LineCollection(segments, colors=colours, linewidths=1.5, capstyle="round"))
    return figure


# -------- heatmaps (matplotlib)


def _tick_positions(n: int) -> np.ndarray:
    return np.arange(0, n, max(1, -(-n // MAX_TICKS)))


def heatmap_figure(
    matrix: np.ndarray,
    query_tokens: Sequence[str],
    key_tokens: Sequence[str],
    title: str,
    axes: tuple[str, str] = ("query", "key"),
    mark_rows: bool = False,
) -> Figure:
    """One (q, k) matrix with token labels (every n-th past MAX_TICKS); ``mark_rows`` dots each row's maximum."""
    n_query, n_key = matrix.shape
    inch = min(0.2, 11 / max(n_query, n_key))
    with matplotlib.rc_context(MPL_RC):
        # at least 6.5 inches wide, so the title fits above a narrow matrix
        figure = Figure(
            figsize=(min(max(n_key * inch + 2.6, 6.5), 14), min(max(n_query * inch + 2.0, 3), 14)),
            dpi=100,
            layout="constrained",
        )
        ax = figure.add_subplot()
        # "none": the SVG embeds the matrix at its own size (512 x 512 at most), drawn pixelated
        image = ax.imshow(
            matrix, cmap="Blues", vmin=0, vmax=max(float(matrix.max()), 1e-9), interpolation="none", aspect="auto"
        )
        for positions, labels, set_ticks in (
            (_tick_positions(n_key), key_tokens, ax.set_xticks),
            (_tick_positions(n_query), query_tokens, ax.set_yticks),
        ):
            set_ticks(positions, [_short(labels[i]) for i in positions])
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel(axes[1])
        ax.set_ylabel(axes[0])
        if mark_rows:  # a dot on each row's strongest column: the hard word alignment
            ax.scatter(matrix.argmax(axis=1), np.arange(n_query), marker="o", s=10, color="#d62728")
            title += "\ndots: each target row's strongest source (hard alignment)"
        ax.set_title(title)
        figure.colorbar(image, ax=ax, shrink=0.8, fraction=0.05, label="attention")
    return figure


def _block_mean(matrix: np.ndarray, size: int) -> np.ndarray:
    """Average a (q, k) matrix over blocks so that neither side exceeds ``size`` (no-op when it is smaller)."""
    for axis in (0, 1):
        n = matrix.shape[axis]
        if n > size:
            starts = np.linspace(0, n, size + 1).astype(int)[:-1]
            counts = np.diff(np.r_[starts, n]).reshape((-1, 1) if axis == 0 else (1, -1))
            matrix = np.add.reduceat(matrix, starts, axis=axis) / counts
    return matrix


def thumbnail_px(layers: int, heads: int) -> int:
    """Side of one model-view thumbnail: the grid fits MOSAIC_PX, and a thumbnail never shrinks below 16."""
    return max(16, min(64, MOSAIC_PX // max(layers, heads)))


def model_view_figure(attentions: np.ndarray, title: str) -> Figure:
    """Every layer x head of (layers, heads, q, k) as one mosaic of thumbnails, each scaled to its own maximum.

    Inputs longer than ``thumbnail_px`` tokens are averaged over blocks of tokens, so the figure stays the
    same size (and fast) at 512 tokens.
    """
    layers, heads = attentions.shape[:2]
    size = thumbnail_px(layers, heads)
    cells = [[_block_mean(attentions[layer, head], size) for head in range(heads)] for layer in range(layers)]
    rows, cols = cells[0][0].shape
    gap = max(1, rows // 12)
    mosaic = np.full((layers * (rows + gap) - gap, heads * (cols + gap) - gap), np.nan)
    for layer, head in np.ndindex(layers, heads):
        cell = cells[layer][head]
        y, x = layer * (rows + gap), head * (cols + gap)
        mosaic[y : y + rows, x : x + cols] = cell / max(float(cell.max()), 1e-9)
    with matplotlib.rc_context(MPL_RC):
        figure = Figure(
            figsize=(min(heads * 0.8 + 1.2, 16), min(layers * 0.8 + 1.0, 24)), dpi=100, layout="constrained"
        )
        ax = figure.add_subplot()
        # 32 shades are plenty for thumbnails and keep the embedded image small however noisy the weights
        ax.imshow(
            mosaic,
            cmap=colormaps["Blues"].resampled(32).with_extremes(bad="white"),
            vmin=0,
            vmax=1,
            interpolation="none",
            aspect="auto",
        )
        ax.set_xticks(np.arange(heads) * (cols + gap) + (cols - 1) / 2, [f"H{h + 1}" for h in range(heads)])
        ax.set_yticks(np.arange(layers) * (rows + gap) + (rows - 1) / 2, [f"L{i + 1}" for i in range(layers)])
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        ax.set_title(title)
    return figure


def figure_svg(figure: Figure) -> str:
    """A standalone SVG document (matplotlib writes no script; text stays text)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(MPL_RC):
        figure.savefig(buffer, format="svg")
    return buffer.getvalue()


def figure_png(figure: Figure, palette: bool = False) -> bytes:
    """PNG bytes; ``palette`` stores 256 colours, which takes a 512-token head view from ~3 MB to ~1 MB
    (fine for its lines, not for a heatmap's colour scale, whose light shades it would merge)."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    if palette:
        image = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def attention_png(rendered: RenderedAttention) -> bytes:
    drawing = rendered.drawing
    if isinstance(drawing, HeadView):
        return figure_png(head_view_figure(drawing), palette=True)
    return figure_png(drawing)


def _inline(svg: str) -> str:
    """An SVG document without its XML prolog, so it can sit inside HTML."""
    return svg[svg.index("<svg") :]


# -------- one view from a result and the options


def _kind_label(kind: str) -> str:
    return {
        "encoder": "encoder self-attention",
        "decoder": "decoder self-attention",
        "cross": "cross-attention (target → source)",
    }[kind]


def _check_view(options: AttentionOptions, selection: attention_select.Selection) -> tuple[int, list[int]]:
    """The 0-based layer and head indices the options name, checked against the selected attention."""
    layers, heads = selection.attentions.shape[:2]
    layer = int_arg("Layer", options.layer, 1, layers) - 1
    if selection.rollout:  # one rolled-out map per layer; heads were averaged
        return layer, [0]
    chosen = sorted({int_arg("Head", head, 1, heads) for head in options.heads}) or list(range(1, heads + 1))
    return layer, [head - 1 for head in chosen]


def _kind(result: Any, options: AttentionOptions) -> str:
    """The attention a view draws: encoder results have one kind; the alignment view is cross-attention."""
    if not isinstance(result, attention.TranslationAttention):
        if options.view == "alignment":
            raise InputError("The alignment view needs a translation; switch the mode to translation.")
        return "encoder"
    return "cross" if options.view == "alignment" else choice_arg("Attention", options.kind, attention.KINDS)


def attention_shape(result: Any, options: AttentionOptions) -> tuple[int, int]:
    """(layers, heads) of the attention the options select."""
    kind = _kind(result, options)
    weights = getattr(result, kind) if isinstance(result, attention.TranslationAttention) else result.attentions
    return weights.shape[0], weights.shape[1]


def fitted(options: AttentionOptions, result: Any) -> AttentionOptions:
    """Options made to fit ``result``: layer clamped into range, heads it lacks dropped (models differ in size)."""
    layers, heads = attention_shape(result, options)
    # anything else (text, NaN, infinity) is left for _check_view to refuse in a sentence
    clampable = isinstance(options.layer, int | float) and math.isfinite(options.layer)
    layer = min(max(int(options.layer), 1), layers) if clampable else options.layer
    kept = tuple(h for h in options.heads if not isinstance(h, int | float) or 1 <= h <= heads)
    return dataclasses.replace(options, layer=layer, heads=kept)


def _selection(result: Any, options: AttentionOptions) -> attention_select.Selection:
    view = choice_arg("View", options.view, ATTENTION_VIEWS)
    return attention_select.select(
        result,
        kind=_kind(result, options),
        word_level=bool(options.word_level),
        hide_special=bool(options.hide_special),
        pair=options.pair,
        rollout_layers=view == "rollout",
    )


def _title(kind: str, layer: int, heads: list[int], total: int, mean: bool = False) -> str:
    """E.g. "encoder self-attention · layer 3 · mean of heads 1, 4"."""
    if len(heads) == 1:
        which = f"head {heads[0]}"
    else:
        which = "all heads" if len(heads) == total else "heads " + _numbers(heads)
        which = "mean of " + which if mean else which
    return f"{_kind_label(kind)} · layer {layer} · {which}"


def _head_drawing(
    selection: attention_select.Selection, layer: int, heads: list[int], min_weight: Any
) -> tuple[HeadView, dict[str, Any], list[str]]:
    weights = selection.attentions[layer, heads]  # (chosen heads, q, k)
    numbers = [h + 1 for h in heads]
    title = _title(selection.kind, layer + 1, numbers, selection.attentions.shape[1])
    view, note = head_view(
        weights,
        selection.query_tokens,
        selection.key_tokens,
        numbers,
        title,
        float_arg("Minimum weight", min_weight, 0.0, 1.0),
    )
    return view, {"layer": layer + 1, "heads": numbers, "weights": weights}, [note] if note else []


def _model_drawing(selection: attention_select.Selection) -> tuple[Figure, dict[str, Any], list[str]]:
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
    selection: attention_select.Selection, layer: int, heads: list[int], alignment: bool
) -> tuple[Figure, dict[str, Any], list[str]]:
    numbers = [h + 1 for h in heads]
    if selection.rollout:
        matrix = selection.attentions[layer, 0]
        title = f"{_kind_label(selection.kind)} rollout through layers 1–{layer + 1}"
        data: dict[str, Any] = {"layer": layer + 1, "rollout": True, "weights": matrix}
    else:
        matrix = selection.attentions[layer, heads].mean(axis=0)
        title = _title(selection.kind, layer + 1, numbers, selection.attentions.shape[1], mean=True)
        data = {"layer": layer + 1, "heads": numbers, "weights": matrix}
    axes = ("target", "source") if selection.kind == "cross" else ("query", "key")
    figure = heatmap_figure(matrix, selection.query_tokens, selection.key_tokens, title, axes=axes, mark_rows=alignment)
    if alignment:
        data["alignment"] = [[row, int(col)] for row, col in enumerate(matrix.argmax(axis=1))]
    return figure, data, []


def attention_view(result: Any, options: AttentionOptions) -> RenderedAttention:
    """Draw ``result`` (AttentionResult or TranslationAttention) the way ``options`` say."""
    selection = _selection(result, options)
    layer, heads = _check_view(options, selection)
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
    notes = [*_result_notes(result), *selection.notes, *notes]
    data = {
        "view": options.view,
        "kind": selection.kind,
        "query_tokens": selection.query_tokens,
        "key_tokens": selection.key_tokens,
        **data,
    }
    if np.size(data["weights"]) > JSON_MAX_VALUES:
        notes.append(
            f"This view has {np.size(data['weights']):,} numbers, too many for JSON; download the .npz instead."
        )
        data = None
    html = (
        f'<div class="attn-view">{_notes_html(notes)}<div style="overflow:auto;max-height:80vh;'
        f'background:#fff;border:1px solid #e5e7eb">{_inline(svg)}</div></div>'
    )
    layers, n_heads = attention_shape(result, options)  # of the attention itself, also under rollout
    return RenderedAttention(
        html=html, svg=svg, drawing=drawing, data=data, notes=tuple(notes), layers=layers, heads=n_heads
    )


def _result_notes(result: Any) -> list[str]:
    notes = list(result.warnings)
    if isinstance(result, attention.TranslationAttention):
        search = "greedy" if result.num_beams == 1 else f"{result.num_beams} beams"
        notes.insert(0, f"Generated translation ({search}): {result.translation}")
    return notes


def _notes_html(notes: Sequence[str]) -> str:
    items = "".join(f"<li>{esc(note)}</li>" for note in notes)
    return f'<ul class="attn-notes" style="margin:0 0 6px 0;font-size:90%">{items}</ul>' if notes else ""


def attention_json(rendered: RenderedAttention) -> str | None:
    """The numbers of the current view as JSON (weights rounded to 6 decimals); None when too big."""
    if rendered.data is None:
        return None
    data = {
        name: np.round(value, 6).tolist() if isinstance(value, np.ndarray) else value
        for name, value in rendered.data.items()
    }
    return json.dumps(data, ensure_ascii=False)
