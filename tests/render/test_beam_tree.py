"""The beam tree drawing: valid static SVG, escaped tokens, the winner marked, re-ranking visible, exports."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET

import pytest

from translator import beam_search_tree
from translator.render.beam_tree import (
    BAND_PX,
    COLUMN_PX,
    GROUP_COLOURS,
    MAX_STEPS,
    TABLE_CSS,
    WINNER,
    beam_tree_html,
    beam_tree_json,
    beam_tree_svg,
    layout,
    render_beam_tree,
    step_table_html,
)
from translator.tasks.translation.beams import reranked
from translator.tasks.translation.results import BeamHypothesis, BeamNode, BeamTree

SVG = "{http://www.w3.org/2000/svg}"
SCRIPT = "<script>alert(1)</script>"


def synthetic() -> BeamTree:
    """Two finished hypotheses: S (2 tokens, log-prob -1.0) and L (4 tokens, -1.6).

    Length penalty 1: L -0.4 beats S -0.5. Length penalty 0: S -1.0 beats L -1.6.
    """
    rows = [  # id, parent, step, token, logprob, cumulative, kept, finished
        (0, None, 0, "<pad>", 0.0, 0.0, True, False),
        (1, 0, 1, "▁A&B", -0.3, -0.3, True, False),
        (2, 0, 1, SCRIPT, -0.9, -0.9, False, False),
        (3, 1, 2, "</s>", -0.7, -1.0, True, True),
        (4, 1, 2, "▁x", -0.2, -0.5, True, False),
        (5, 4, 3, "▁y", -0.4, -0.9, True, False),
        (6, 5, 4, "</s>", -0.7, -1.6, True, True),
        (7, 1, 2, "q", -2.8, -3.1, False, False),
    ]
    nodes = [BeamNode(*row) for row in rows]
    hypotheses = [
        BeamHypothesis(node=6, text="A&B x y", score=-0.4, logprob=-1.6, length=4, ended=True),
        BeamHypothesis(node=3, text="A&B", score=-0.5, logprob=-1.0, length=2, ended=True),
    ]
    return BeamTree(nodes=nodes, hypotheses=hypotheses, model="synthetic", num_beams=2, max_new_tokens=10, steps=4)


def groups(svg: str, cls: str) -> list[ET.Element]:
    return [g for g in ET.fromstring(svg).iter(f"{SVG}g") if cls in g.get("class", "").split()]


def titles(elements: list[ET.Element]) -> list[str]:
    return [e.find(f"{SVG}title").text for e in elements]


def test_svg_is_well_formed_static_and_escapes_every_token():
    svg = beam_tree_svg(synthetic())
    root = ET.fromstring(svg)  # well-formed XML
    assert not [e for e in root.iter() if e.tag.lower().endswith("script")]
    assert not [a for e in root.iter() for a in e.attrib if a.lower().startswith("on")]  # no event handlers
    assert "<script" not in svg.lower()
    assert "&lt;script&gt;" in svg and "A&amp;B" in svg
    # the parsed text is the token itself, whole in the tooltip
    assert any(SCRIPT in t for t in titles(groups(svg, "node")))


def test_kept_paths_are_solid_pruned_candidates_faint():
    svg = beam_tree_svg(synthetic())
    assert len(groups(svg, "node")) == 8
    pruned = titles(groups(svg, "pruned"))
    assert len(pruned) == 2 and all("pruned" in t for t in pruned)
    edges = list(ET.fromstring(svg).iter(f"{SVG}path"))
    assert len(edges) == 7 and sum(e.get("stroke-dasharray") is not None for e in edges) == 2


def test_the_winner_is_highlighted_and_finished_hypotheses_carry_their_score():
    svg = beam_tree_svg(synthetic())
    assert [t.split(" · ")[1] for t in titles(groups(svg, "win"))] == ["step 0", "step 1", "step 2", "step 3", "step 4"]
    badges = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("class") == "badge"]
    assert sorted(badges) == ["#1 -0.40", "#2 -0.50"]


def test_a_length_penalty_change_reranks_the_finished_hypotheses_visibly():
    tree = synthetic()
    assert [h.node for h in reranked(tree, 1.0)] == [6, 3]
    assert [(h.node, h.score) for h in reranked(tree, 0.0)] == [(3, -1.0), (6, pytest.approx(-1.6))]
    svg = beam_tree_svg(tree, length_penalty=0.0)
    assert len(groups(svg, "win")) == 3  # root, A&B, </s>: the short hypothesis wins now
    badges = sorted(t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("class") == "badge")
    assert badges == ["#1 -1.00", "#2 -1.60"]
    assert "searched with 1" in svg
    html = beam_tree_html(tree, length_penalty=0.0)
    assert "Re-ranked with length penalty 0" in html
    assert html.index("<td>A&amp;B</td>") < html.index("<td>A&amp;B x y</td>")


def test_html_view_scrolls_sideways_and_is_well_formed():
    html = beam_tree_html(synthetic())
    ET.fromstring(html)
    assert "overflow-x:auto" in html and "<script" not in html.lower()
    assert html.index("<td>A&amp;B x y</td>") < html.index("<td>A&amp;B</td>")  # ranked as generate ranked them


def test_json_export_holds_every_node_and_hypothesis():
    tree = synthetic()
    data = json.loads(beam_tree_json(tree))
    assert data["nodes"] == [dataclasses.asdict(n) for n in tree.nodes]
    assert data["hypotheses"][0]["text"] == "A&B x y" and data["model"] == "synthetic"
    assert data["nodes"][2]["token"] == SCRIPT  # data, not markup: kept as it is


def test_beam_8_by_40_steps_stays_readable_and_under_a_megabyte(tiny):
    tree = beam_search_tree("The house.", model="tiny-marian", num_beams=8, max_new_tokens=40)
    assert tree.steps == 40
    svg = beam_tree_svg(tree)
    assert len(svg.encode()) < 1_000_000
    root = ET.fromstring(svg)
    view = layout(tree)
    assert int(root.get("width")) == view.width > 40 * COLUMN_PX  # one column per step: the box scrolls sideways
    drawn = groups(svg, "node")
    kept = [n for n in tree.nodes if n.kept]
    pruned = [n for n in tree.nodes if not n.kept]
    assert len(drawn) == len(kept) + len(pruned) - view.hidden
    assert view.hidden > 0 and f"{view.hidden:,} more pruned candidates not drawn" in svg
    # at most 2 pruned candidates per carried-on beam and step
    assert len(drawn) - len(kept) <= 2 * 8 * 40
    assert len(json.loads(beam_tree_json(tree))["nodes"]) == len(tree.nodes)


def test_the_ui_entry_point_gives_the_view_and_both_downloads():
    rendered = render_beam_tree(synthetic(), length_penalty=0.0)
    assert rendered.svg in rendered.html and rendered.svg.startswith("<svg xmlns=")
    assert rendered.svg == beam_tree_svg(synthetic(), length_penalty=0.0)
    assert json.loads(rendered.json)["length_penalty"] == 1.0  # the search's own; the view re-ranks


def test_a_very_long_chain_is_drawn_up_to_the_step_cap_and_says_so():
    steps = MAX_STEPS + 30
    nodes = [BeamNode(0, None, 0, "<pad>", 0.0, 0.0, True, False)]
    nodes += [BeamNode(i, i - 1, i, f"▁w{i}", -0.1, -0.1 * i, True, i == steps) for i in range(1, steps + 1)]
    hypothesis = BeamHypothesis(node=steps, text="w", score=-0.1, logprob=-0.1 * steps, length=steps, ended=False)
    tree = BeamTree(nodes=nodes, hypotheses=[hypothesis], model="synthetic", steps=steps)
    svg = beam_tree_svg(tree)
    assert len(groups(svg, "node")) == MAX_STEPS + 1
    assert f"steps after {MAX_STEPS} not drawn" in svg


def test_the_step_table_lists_each_step_s_top_candidates_as_the_search_ranked_them():
    table = ET.fromstring(step_table_html(synthetic(), per_step=2))
    rows = [
        [("b:" if td.find("b") is not None else "") + "".join(td.itertext()) for td in tr] for tr in table.iter("tr")
    ]
    assert rows[0] == ["step", "token", "after", "p", "total"]
    # step 1: ▁A&B (kept, bold) above the pruned script, which stays text; step 2: the best 2 of 3 by total log-p
    assert rows[1] == ["1", "b:▁A&B", "start", "74.1%", "-0.30"] and rows[2][0].startswith(
        "<script>al"
    )  # escaped, shortened
    assert [row[-4:] for row in rows[3:5]] == [["b:▁x", "▁A&B", "81.9%", "-0.50"], ["b:</s>", "▁A&B", "49.7%", "-1.00"]]
    assert len(rows) == 1 + 2 + 2 + 1 + 1


def diverse_synthetic() -> BeamTree:
    """Two groups of one beam from a shared root: group 1 (ids 1-3) and group 2 (ids 4-6), listed group by group."""
    rows = [  # id, parent, step, token, logprob, cumulative, kept, finished, token_id, group
        (0, None, 0, "<pad>", 0.0, 0.0, True, False, 0, 0),
        (1, 0, 1, "▁A", -0.2, -0.2, True, False, 5, 0),
        (2, 0, 1, "▁B", -0.9, -0.9, False, False, 6, 0),
        (3, 1, 2, "</s>", -0.3, -0.5, True, True, 2, 0),
        (4, 0, 1, "▁B", -0.9, -0.9, True, False, 6, 1),
        (5, 0, 1, "▁A", -1.2, -1.2, False, False, 5, 1),  # group 1 chose ▁A: 1.0 off for group 2
        (6, 4, 2, "</s>", -0.4, -1.3, True, True, 2, 1),
    ]
    nodes = [BeamNode(*row) for row in rows]
    hypotheses = [
        BeamHypothesis(node=3, text="A", score=-0.25, logprob=-0.5, length=2, ended=True),
        BeamHypothesis(node=6, text="B", score=-0.65, logprob=-1.3, length=2, ended=True),
    ]
    return BeamTree(
        nodes=nodes,
        hypotheses=hypotheses,
        model="synthetic",
        num_beams=2,
        steps=2,
        decoding="diverse",
        num_beam_groups=2,
        diversity_penalty=1.0,
    )


def test_a_diverse_tree_draws_each_group_in_its_colour_with_a_legend_line():
    tree = diverse_synthetic()
    svg = beam_tree_svg(tree)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0].startswith("2 beams in 2 groups, 2 steps") and "group 1" in texts and "group 2" in texts
    colour = {g: GROUP_COLOURS[g] for g in (0, 1)}
    view = layout(tree)
    for node, shown in zip(view.shown[1:], groups(svg, "node")[1:], strict=True):
        assert f"group {node.group + 1}" in shown.find(f"{SVG}title").text
        band = [r for r in shown.iter(f"{SVG}rect") if r.get("width") == str(BAND_PX)]
        assert [r.get("fill") for r in band] == [colour[node.group]]
    # kept edges in their group's colour (the winner's path is red); each group keeps to its own band of rows
    strokes = {e.get("stroke") for e in root.iter(f"{SVG}path")}
    assert colour[1] in strokes and WINNER in strokes
    view = layout(tree)
    assert (
        max(view.at[i][1] for i in (1, 2)) < min(view.at[i][1] for i in (4, 5)) and view.top > layout(synthetic()).top
    )
    html = beam_tree_html(tree)
    ET.fromstring(html)
    assert "Diverse beam search: 2 groups of 1 beam(s)" in html and "1 off per earlier group" in html
    assert html.count(f"background:{colour[1]}") == 2  # the legend's swatch and the hypothesis of group 2
    steps = step_table_html(tree)
    assert f"background:{colour[0]}" in steps and "across the groups" in steps


def test_a_sampled_tree_says_the_solid_paths_are_draws_and_lists_what_they_drew_first():
    tree = dataclasses.replace(synthetic(), decoding="sampling", seed=3)
    assert beam_tree_svg(tree).count("2 distinct sample(s), 4 steps") == 1
    assert "Sampling: solid: the tokens drawn" in beam_tree_html(tree)
    assert "so the samples stay the same" in beam_tree_html(tree, length_penalty=0.0)  # no search to redo
    # a candidate likelier than the draw at step 1: the draw still comes first
    likelier = dataclasses.replace(tree.nodes[2], logprob=-0.1, cumulative=-0.1)
    tree = dataclasses.replace(tree, nodes=[*tree.nodes[:2], likelier, *tree.nodes[3:]])
    html = step_table_html(tree, per_step=1)
    assert "the tokens drawn (bold), then the likeliest not drawn" in html
    assert ["".join(tr[1].itertext()) for tr in ET.fromstring(html).iter("tr")][1:] == ["▁A&B", "▁x", "▁y", "</s>"]


def test_the_tables_override_gradio_s_tall_prose_rows():
    """gradio's ``.gradio-container-X .prose td`` (specificity 0,2,1) pads every cell and draws a dark border: the
    view's own rules must be more specific, and both tables must carry their class."""
    rule = TABLE_CSS.split("{", 1)[0]  # 0,2,2 each
    assert rule == ".beam-tree table.bt-table :is(th,td),.beam-steps table.bt-table :is(th,td)"
    assert 'class="bt-table"' in step_table_html(synthetic()) and 'class="bt-table"' in beam_tree_html(synthetic())
