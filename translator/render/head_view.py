"""The head view: query tokens on the left, key tokens on the right, one coloured link per head and weight.

One geometry (the constants and HeadView's methods below) is drawn twice: as SVG for the page (hovering
a token fades the other tokens' links, CSS only) and by matplotlib for the PNG export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .figures import MPL_RC
from .markup import esc, short

# categorical colours for heads: the ten dark tab20 hues first, then their light partners
HEAD_COLOURS = tuple(to_hex(c) for c in colormaps["tab20"].colors[0::2] + colormaps["tab20"].colors[1::2])
MAX_LINKS = 6_000  # past this only the strongest links are drawn (a 512-token SVG stays < 1 MB)

# geometry, in pixels
FONT_PX = 12
CHAR_PX = 7  # about one character's width at FONT_PX: sizes the token columns and the title
ROW_PX = 16  # height of one token row
MARGIN_PX = 8  # around the drawing
GAP_PX = 6  # between a token column and the links
LINK_PX = 220  # room between the two token columns for the links
TITLE_Y = 14
LEGEND_Y = 30  # top of the head colour swatches
SWATCH_PX = 12
LEGEND_STEP_PX = 46  # from one head's swatch to the next
LEGEND_TEXT_DX = SWATCH_PX + 4  # a head's label starts this far right of its swatch
LEGEND_TEXT_Y = LEGEND_Y + SWATCH_PX / 2
TOKENS_TOP = 60  # the first token row starts here, under the title and the legend

HEAD_CSS = (
    ".attn-head text{fill:#1f2937;dominant-baseline:central}"
    ".attn-head .attn-title{font-weight:600}"
    ".attn-head line{stroke-width:2;stroke-linecap:round}"
    # hovering a token (or one of its links) fades every other token's links: CSS only, no script
    ".attn-head:has(.attn-q:hover) .attn-q:not(:hover){opacity:.1}"
    ".attn-head .attn-q:hover text{font-weight:700}"
    ".attn-head .attn-keys text:hover{font-weight:700}"
)
# the same from the key column: one rule per key token, fading the links that do not end on it
KEY_HOVER_CSS = ".attn-head:has(.k{row}:hover) line:not(.k{row}){{opacity:.08}}"
# the drawing fills its panel, but is never scaled up past MAX_SCALE nor down past MIN_SCALE (text stays a
# sensible size: on a phone the drawing scrolls inside its box rather than shrinking its labels to 6 px)
MAX_SCALE = 1.6
MIN_SCALE = 0.85


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
        longest = max((len(short(t)) for t in [*self.query_tokens, *self.key_tokens]), default=1)
        return 2 * GAP_PX + CHAR_PX * longest

    @property
    def header_px(self) -> int:
        """The width the title and the head legend need."""
        return 2 * MARGIN_PX + max(len(self.heads) * LEGEND_STEP_PX, len(self.title) * CHAR_PX)

    @property
    def x_links(self) -> tuple[int, int]:
        """Where the links start (right of the query column) and end (left of the key column). They take the
        width a wide legend leaves, so the drawing spans the view instead of its left part."""
        start = MARGIN_PX + self.column_px + GAP_PX
        return start, start + max(LINK_PX, self.header_px - 2 * start)

    @property
    def size(self) -> tuple[int, int]:
        rows = max(len(self.query_tokens), len(self.key_tokens), 1)
        columns = self.x_links[1] + GAP_PX + self.column_px + MARGIN_PX
        return max(columns, self.header_px), TOKENS_TOP + rows * ROW_PX + MARGIN_PX

    @staticmethod
    def y(row: int) -> float:
        """The middle of token row ``row``."""
        return TOKENS_TOP + row * ROW_PX + ROW_PX / 2

    @staticmethod
    def swatch_x(slot: int) -> int:
        """Left edge of the legend swatch of the ``slot``-th head shown; its label follows it."""
        return MARGIN_PX + slot * LEGEND_STEP_PX

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
    key_css = "".join(KEY_HOVER_CSS.format(row=row) for row in range(len(view.key_tokens)))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="attn-head" width="100%" '
        f'style="min-width:{width * MIN_SCALE:.0f}px;max-width:{width * MAX_SCALE:.0f}px;height:auto" '
        f'viewBox="0 0 {width} {height}" font-family="ui-sans-serif,system-ui,sans-serif" '
        f'font-size="{FONT_PX}"><style>{HEAD_CSS}{key_css}</style>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text class="attn-title" x="{MARGIN_PX}" y="{TITLE_Y}">{esc(view.title)}</text>',
    ]
    for i, head in enumerate(view.heads):
        x = view.swatch_x(i)
        parts.append(
            f'<rect x="{x}" y="{LEGEND_Y}" width="{SWATCH_PX}" height="{SWATCH_PX}" fill="{view.colour(i)}"/>'
            f'<text x="{x + LEGEND_TEXT_DX}" y="{LEGEND_TEXT_Y:g}">H{head}</text>'
        )
    parts.append('<g class="attn-keys" text-anchor="start">')
    x_keys = x_end + GAP_PX
    parts += [
        f'<text class="k{row}" x="{x_keys}" y="{view.y(row):g}">{esc(short(t))}</text>'
        for row, t in enumerate(view.key_tokens)
    ]
    parts.append("</g>")
    bounds = np.searchsorted(view.query, np.arange(len(view.query_tokens) + 1))
    for row, token in enumerate(view.query_tokens):
        parts.append(
            f'<g class="attn-q"><text x="{x_start - GAP_PX}" y="{view.y(row):g}" text-anchor="end">'
            f"{esc(short(token))}</text>"
        )
        for link in range(bounds[row], bounds[row + 1]):
            parts.append(
                f'<line class="k{view.key[link]}" x1="{x_start}" y1="{view.y(row):g}" '
                f'x2="{x_end}" y2="{view.y(view.key[link]):g}" '
                f'stroke="{view.colour(view.slot[link])}" stroke-opacity="{view.weight[link]:.2f}"/>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def head_view_figure(view: HeadView) -> Figure:
    """The head view drawn by matplotlib at the SVG's pixel geometry (for the PNG export)."""
    width, height = view.size
    x_start, x_end = view.x_links
    points = FONT_PX * 72 / 100  # the figure has 100 dpi
    with matplotlib.rc_context(MPL_RC):
        figure = Figure(figsize=(width / 100, height / 100), dpi=100)
        ax = figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.axis("off")
        ax.text(MARGIN_PX, TITLE_Y, view.title, fontsize=points, fontweight="bold", va="center")
        for i, head in enumerate(view.heads):
            x = view.swatch_x(i)
            ax.add_patch(Rectangle((x, LEGEND_Y), SWATCH_PX, SWATCH_PX, color=view.colour(i)))
            ax.text(x + LEGEND_TEXT_DX, LEGEND_TEXT_Y, f"H{head}", fontsize=points, va="center")
        for row, token in enumerate(view.query_tokens):
            ax.text(x_start - GAP_PX, view.y(row), short(token), fontsize=points, ha="right", va="center")
        for row, token in enumerate(view.key_tokens):
            ax.text(x_end + GAP_PX, view.y(row), short(token), fontsize=points, ha="left", va="center")
        colours = np.array([to_rgba(view.colour(s)) for s in view.slot]).reshape(-1, 4)
        colours[:, 3] = view.weight
        segments = [((x_start, view.y(q)), (x_end, view.y(k))) for q, k in zip(view.query, view.key, strict=True)]
        ax.add_collection(LineCollection(segments, colors=colours, linewidths=1.5, capstyle="round"))
    return figure
