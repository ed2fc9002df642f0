"""The head view: one link per head and weight, one colour per head, the same geometry in the SVG and the PNG."""

from __future__ import annotations

import re

import numpy as np
import pytest
from attention_helpers import SVG, check_markup, check_png, encoder_result

from translator.render.attention_view import attention_view
from translator.render.head_view import HEAD_COLOURS, LINK_PX, MAX_LINKS, head_view
from translator.tasks.attention.results import AttentionOptions

TOKENS = ["[CLS]", "the", "<script>x()</script>", "$x$ & y", "river", "[SEP]"]


def test_head_view_draws_lines_weighted_by_attention_with_a_colour_per_head():
    result = encoder_result(TOKENS)
    rendered = attention_view(result, AttentionOptions(view="head", layer=1, heads=(1, 3), min_weight=0.1))
    root = check_markup(rendered)
    lines = list(root.iter(f"{SVG}line"))
    chosen = result.attentions[0, [0, 2]]
    assert len(lines) == int((chosen >= 0.1).sum())
    assert {line.get("stroke") for line in lines} == {HEAD_COLOURS[0], HEAD_COLOURS[2]}
    assert sorted(float(line.get("stroke-opacity")) for line in lines) == pytest.approx(
        sorted(np.round(chosen[chosen >= 0.1], 2)), abs=0.006
    )
    legend = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("H")]
    assert legend == ["H1", "H3"]
    assert rendered.data["weights"].shape == (2, 6, 6) and rendered.data["heads"] == [1, 3]


def test_head_view_pair_filter_shows_the_two_blocks_only():
    tokens = ["[CLS]", "a1", "a2", "[SEP]", "b1", "[SEP]"]
    result = encoder_result(tokens, segments=[0, 0, 0, 0, 1, 1])
    rendered = attention_view(result, AttentionOptions(view="head", pair="A->B", min_weight=0.0))
    root = check_markup(rendered)
    left = [g.find(f"{SVG}text").text for g in root.iter(f"{SVG}g") if g.get("class") == "attn-q"]
    right = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "attn-keys" for t in g]
    assert left == ["[CLS]", "a1", "a2", "[SEP]"] and right == ["b1", "[SEP]"]
    assert len(list(root.iter(f"{SVG}line"))) == 3 * 4 * 2  # every head's A->B links at min weight 0
    assert any("Pair filter A->B" in note for note in rendered.notes)


@pytest.mark.parametrize("tokens", [TOKENS, ["[CLS]", "a-very-long-token-that-gets-shortened-in-the-drawing", "[SEP]"]])
def test_the_png_is_drawn_at_the_svgs_pixel_size(tokens):
    rendered = attention_view(encoder_result(tokens), AttentionOptions(view="head", heads=(1, 2, 3)))
    root = check_markup(rendered)
    size = tuple(int(v) for v in root.get("viewBox").split()[2:])
    assert check_png(rendered).size == size and rendered.drawing.size == size
    assert root.get("width") == "100%"  # the page drawing fills its panel (up to MAX_SCALE)


def test_hovering_a_key_isolates_the_links_that_end_on_it():
    rendered = attention_view(encoder_result(["a", "b", "c"]), AttentionOptions(view="head", heads=(1,)))
    svg = rendered.html
    keys = re.findall(r'<text class="k(\d+)"', svg)
    assert keys and all(f".attn-head:has(.k{k}:hover) line:not(.k{k})" in svg for k in keys)
    assert all(re.fullmatch(r"k\d+", c) for c in re.findall(r'<line class="([^"]+)"', svg))


def test_only_the_strongest_links_are_kept_past_the_cap():
    weights = np.random.default_rng(0).random((2, 30, 30))
    view, note = head_view(weights, ["q"] * 30, ["k"] * 30, [1, 2], "title", min_weight=0.0, max_links=100)
    assert len(view.weight) == 100 and "100 strongest of 1,800 links" in note
    assert view.weight.min() >= np.sort(weights.ravel())[-100]  # no weaker link kept over a stronger one
    assert list(view.query) == sorted(view.query)  # grouped by query row for the SVG's hover groups
    assert head_view(weights, ["q"] * 30, ["k"] * 30, [1, 2], "t", max_links=MAX_LINKS)[1] == ""


def test_the_links_widen_to_span_a_wide_legend():
    weights = np.full((12, 3, 3), 1 / 3)
    view, _ = head_view(weights, ["a", "b", "c"], ["a", "b", "c"], list(range(1, 13)), "layer 1 · all heads")
    start, end = view.x_links
    width, _ = view.size
    assert end - start > LINK_PX  # more room than the default: the 12-head legend is wider than the columns
    assert start + (end - start) + start == width  # the key column ends at the right edge, as the query one starts
    narrow, _ = head_view(weights[:1], ["a", "b", "c"], ["a", "b", "c"], [1], "h")
    assert narrow.x_links[1] - narrow.x_links[0] == LINK_PX
