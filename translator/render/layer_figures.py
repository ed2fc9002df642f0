"""matplotlib figures of the Embeddings views: a followed word's pairs and the texts' pairs layer by layer, the
token cosine heatmap and the token map (PCA) at one layer.

Built with ``Figure`` directly (no pyplot, no global state), under figures.MPL_RC like every other figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..tasks.layers import LayerTokens
from .figures import MAX_TICKS, MPL_RC
from .markup import short

LEGEND_PAIRS = 12  # lines labelled in a legend; more pairs are drawn but not named (the JSON names them all)
MAP_LABELS = 200  # the token map writes a label beside at most this many points
WORD_MARK = "#111827"


def text_colour(index: int) -> tuple[float, ...]:
    """One colour per text: tab10's strong colours first, then the lighter halves of tab20 (16 texts at most)."""
    return colormaps["tab10"](index) if index < 10 else colormaps["tab20"](2 * (index - 10) % 20 + 1)


def _layer_axis(axes: Axes, layers: int, chosen: int | None) -> None:
    """Layers 0 (the embedding output) to ``layers`` on x, the chosen one marked."""
    axes.set_xticks(range(layers + 1), ["emb", *map(str, range(1, layers + 1))])
    axes.set_xlabel("layer (emb = the embedding output, before layer 1)")
    axes.set_ylabel("cosine similarity")
    axes.grid(alpha=0.3)
    if chosen is not None:
        axes.axvline(chosen, color="#9ca3af", linestyle=":", linewidth=1)


def _legend(figure: Figure, axes: Axes, shown: int, total: int) -> None:
    if shown:
        figure.legend(loc="outside lower center", ncols=min(shown, 4), frameon=False, fontsize=7)
    if total > shown:
        axes.text(0.99, 0.01, f"{total - shown} more pairs unnamed", ha="right", va="bottom", transform=axes.transAxes)


def _empty(figure: Figure, message: str) -> Figure:
    axes = figure.add_subplot()
    axes.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=axes.transAxes)
    axes.set_axis_off()
    return figure


def pairs_figure(
    similarity: np.ndarray,
    names: Sequence[str],
    title: str,
    *,
    chosen: int | None = None,
    dashed: np.ndarray | None = None,
    empty: str = "nothing to compare",
) -> Figure:
    """One line per pair over the layers, ``similarity`` (pairs, layers + 1); ``dashed`` adds a second line per
    pair in the same colour (the [CLS] vectors beside the mean-pooled ones)."""
    with matplotlib.rc_context(MPL_RC):
        figure = Figure(figsize=(6.4, 3.9), dpi=100, layout="constrained")
        if not len(similarity):
            return _empty(figure, empty)
        axes = figure.add_subplot()
        colours = colormaps["tab10"] if len(similarity) <= 10 else colormaps["tab20"]
        for index, (row, name) in enumerate(zip(similarity, names, strict=True)):
            label = name if index < LEGEND_PAIRS else None
            axes.plot(row, marker="o", markersize=3, color=colours(index % colours.N), label=label)
            if dashed is not None:
                axes.plot(dashed[index], linestyle="--", linewidth=1, color=colours(index % colours.N))
        _layer_axis(axes, similarity.shape[1] - 1, chosen)
        axes.set_title(title)
        _legend(figure, axes, min(len(similarity), LEGEND_PAIRS), len(similarity))
    return figure


def _ticks(axes: Axes, tokens: LayerTokens, marked: set[int]) -> None:
    """Token labels on both axes (every n-th past MAX_TICKS), coloured by text, the followed word's in bold."""
    n = len(tokens.labels)
    positions = np.arange(0, n, max(1, -(-n // MAX_TICKS)))
    labels = [short(tokens.labels[i]) for i in positions]
    axes.set_xticks(positions, labels, rotation=90, fontsize=7)
    axes.set_yticks(positions, labels, fontsize=7)
    for tick_labels in (axes.get_xticklabels(), axes.get_yticklabels()):
        for label, position in zip(tick_labels, positions, strict=True):
            label.set_color(text_colour(tokens.text_index[position]))
            if position in marked:
                label.set_fontweight("bold")


def token_heatmap_figure(matrix: np.ndarray, tokens: LayerTokens, title: str, marked: set[int]) -> Figure:
    """The (tokens, tokens) cosine matrix, lines between texts; ``marked``: rows of the followed word's pieces."""
    n = len(tokens.labels)
    inch = min(0.2, 10 / max(n, 1))
    with matplotlib.rc_context(MPL_RC):
        side = min(max(n * inch + 2.4, 5.5), 13)
        figure = Figure(figsize=(side + 0.8, side), dpi=100, layout="constrained")
        axes = figure.add_subplot()
        # -1 to 1 with white at 0: how alike two tokens are, and the sign, read the same at every layer
        image = axes.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="none", aspect="auto")
        starts = [i for i in range(1, n) if tokens.text_index[i] != tokens.text_index[i - 1]]
        for start in starts:
            axes.axhline(start - 0.5, color="#111827", linewidth=0.8)
            axes.axvline(start - 0.5, color="#111827", linewidth=0.8)
        _ticks(axes, tokens, marked)
        axes.set_title(title)
        figure.colorbar(image, ax=axes, shrink=0.8, fraction=0.05, label="cosine similarity")
    return figure


def token_map_figure(
    coordinates: np.ndarray, tokens: LayerTokens, title: str, marked: set[int], text_names: Sequence[str]
) -> Figure:
    """Each token a point at its two principal components, coloured by text and labelled; the followed word's
    pieces ringed."""
    with matplotlib.rc_context(MPL_RC):
        figure = Figure(figsize=(10, 6.4), dpi=100, layout="constrained")  # wide: fewer labels overlap
        axes = figure.add_subplot()
        texts = np.asarray(tokens.text_index)
        for index, name in enumerate(text_names):
            mine = texts == index
            if mine.any():
                axes.scatter(*coordinates[mine].T, s=18, color=text_colour(index), label=name)
        if marked:
            ringed = coordinates[sorted(marked)]
            axes.scatter(
                *ringed.T, s=160, facecolors="none", edgecolors=WORD_MARK, linewidths=1.6, label="followed word"
            )
        for i, (x, y) in enumerate(coordinates[:MAP_LABELS]):
            weight = "bold" if i in marked else "normal"
            axes.annotate(
                short(tokens.labels[i], 14),
                (x, y),
                xytext=(3, 2),
                textcoords="offset points",
                fontsize=6.5,
                fontweight=weight,
                color=text_colour(tokens.text_index[i]),
            )
        if len(coordinates) > MAP_LABELS:
            axes.text(0.01, 0.01, f"labels on the first {MAP_LABELS} tokens", transform=axes.transAxes)
        axes.set_xlabel("principal component 1")
        axes.set_ylabel("principal component 2")
        axes.grid(alpha=0.3)
        axes.set_title(title)
        figure.legend(
            loc="outside lower center", ncols=min(len(text_names) + bool(marked), 8), frameon=False, fontsize=7
        )
    return figure
