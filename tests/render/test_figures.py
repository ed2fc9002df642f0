"""matplotlib figures: the elbow curve marks its knee, heatmaps label their tokens, SVG holds no script."""

from __future__ import annotations

import numpy as np

from translator.render.figures import elbow_figure, figure_svg, heatmap_figure, model_view_figure, thumbnail_px
from translator.tasks.summarize import Elbow


def test_the_elbow_curve_marks_the_suggested_and_the_used_k():
    figure = elbow_figure(Elbow([1, 2, 3, 4], [10.0, 4.0, 3.0, 2.5], 2), chosen_k=3)
    axes = figure.axes[0]
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["suggested k = 2", "k used = 3"]
    assert list(axes.lines[0].get_xdata()) == [1, 2, 3, 4]


def test_the_elbow_legend_sits_below_the_chart_and_nothing_is_clipped():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = elbow_figure(Elbow([1, 2, 3, 4], [1000.0, 400.0, 300.0, 250.0], 2), chosen_k=3)
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    axes, whole = figure.axes[0], figure.bbox
    legend = figure.legends[0].get_window_extent(renderer)
    assert legend.y1 <= axes.get_window_extent(renderer).y0  # under the plot, covering no point
    for box in (legend, axes.get_tightbbox(renderer)):  # tick labels, axis labels and legend inside the figure
        assert box.x0 >= whole.x0 and box.y0 >= whole.y0 and box.x1 <= whole.x1 and box.y1 <= whole.y1


def test_an_empty_elbow_says_there_is_nothing_to_cluster():
    figure = elbow_figure(Elbow([], [], 0))
    assert [text.get_text() for text in figure.axes[0].texts] == ["no sentences to cluster"]


def test_a_heatmap_labels_tokens_as_text_and_marks_row_maxima():
    matrix = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    svg = figure_svg(heatmap_figure(matrix, ["a", "b", "<c>"], ["x", "$y$"], "title", mark_rows=True))
    assert "<script" not in svg and "&lt;c&gt;" in svg and "$y$" in svg  # no mathtext, escaped
    assert "hard alignment" in svg


def test_the_model_view_keeps_its_size_for_long_inputs():
    assert thumbnail_px(6, 12) == 50 and thumbnail_px(48, 48) == 16
    short = model_view_figure(np.full((2, 3, 8, 8), 1 / 8, dtype=np.float32), "t")
    long = model_view_figure(np.full((2, 3, 300, 300), 1 / 300, dtype=np.float32), "t")
    assert tuple(short.get_size_inches()) == tuple(long.get_size_inches())
    image = long.axes[0].images[0].get_array()
    assert image.shape[1] <= 3 * (thumbnail_px(2, 3) + 10)  # averaged into thumbnails, not 300 pixels a head
