"""The Explain view: attribution and cross-attention drawn side by side, the source shaded, the exports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from translator import attribute, attribute_answer
from translator.render.attribution import attribution_view, export_attribution

SOURCE = "the house by the river was built"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def explained(tiny):
    return attribute(SOURCE, model="tiny-marian", target="das haus ist in der stadt", steps=8)


def test_the_view_draws_both_maps_and_shades_the_source_for_the_picked_token(explained):
    rendered = attribution_view(explained, row=2)
    svg = ET.fromstring(rendered.svg)
    assert svg.tag == f"{SVG}svg" and "<script" not in rendered.html
    texts = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert "integrated gradients" in texts and "cross-attention, same steps" in texts and "ρ " in texts
    assert f"{explained.convergence_delta:.2g}" in rendered.html  # the completeness gap is on screen
    assert f"shaded for “{explained.target_tokens[2]}”" in rendered.html
    assert rendered.html.count('class="explain-source"') == 1
    shaded = rendered.html.split('class="explain-source"')[1]
    assert shaded.count("<span") == len(explained.source_tokens)
    data = rendered.data
    np.testing.assert_allclose(data["scores"], explained.scores, atol=1e-6)
    assert data["rows"] == explained.target_tokens and data["source_columns"] == len(explained.source_tokens)


def test_hiding_special_tokens_drops_their_rows_and_columns(explained):
    data = attribution_view(explained, hide_special=True).data
    assert "</s>" not in data["columns"] and "<pad>" not in data["columns"] and "</s>" not in data["rows"]
    assert np.shape(data["scores"]) == (len(data["rows"]), len(data["columns"]))
    assert np.shape(data["attention"]) == (len(data["rows"]), data["source_columns"])


def test_a_qa_explanation_says_there_is_no_cross_attention(tiny):
    result = attribute_answer("where is the tower", "the tower is in paris .", model="tiny-qa", steps=4)
    rendered = attribution_view(result)
    assert "start + end logits" in rendered.html and "no cross-attention" in rendered.html
    assert rendered.data["attention"] is None


def test_export_writes_svg_png_and_json(explained, tmp_path):
    paths = export_attribution(explained, row=1, folder=tmp_path)
    assert sorted(p.suffix for p in paths) == [".json", ".png", ".svg"]
    by_suffix = {p.suffix: p for p in paths}
    assert by_suffix[".png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    numbers = json.loads(by_suffix[".json"].read_text())
    assert numbers["method"] == "integrated_gradients" and numbers["convergence_delta"] == explained.convergence_delta
    ET.fromstring(by_suffix[".svg"].read_text())
