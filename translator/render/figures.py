"""matplotlib figures (the summary's elbow curve, attention heatmaps, the model view) and their SVG/PNG bytes.

Figures are built with ``Figure`` directly, never pyplot: no global state, safe from several threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..tasks.summarize import Elbow
from .markup import short

MOSAIC_PX = 600  # model view: the thumbnails together span at most this many pixels a side
MAX_TICKS = 64  # heatmaps label at most this many tokens per axis
# keep SVG text as text (small, selectable) and never read "$...$" in a token as mathtext
MPL_RC = {"svg.fonttype": "none", "text.parse_math": False, "font.size": 8}


def elbow_figure(elbow: Elbow, chosen_k: int | None = None) -> Figure:
    """Inertia by number of clusters, with the suggested k (and the k used) marked."""
    figure = Figure(figsize=(5, 3.4), dpi=100, layout="constrained")
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
    axes.set_title("Elbow curve: inertia by number of clusters", fontsize="medium")
    axes.set_xlabel("clusters (k)")
    axes.set_ylabel("k-means inertia")
    axes.set_xticks(elbow.ks)
    axes.margins(y=0.1)  # the top point and its ring stay inside the axes
    # below the chart, where it covers no point (constrained layout makes room for it)
    figure.legend(loc="outside lower center", ncols=2, frameon=False)
    return figure


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
            set_ticks(positions, [short(labels[i]) for i in positions])
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


def inline_svg(svg: str) -> str:
    """An SVG document without its XML prolog, so it can sit inside HTML."""
    return svg[svg.index("<svg") :]
