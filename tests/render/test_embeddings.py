"""The Embeddings views and their files: what is drawn is what was computed, and every export says the same."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from translator import embed_layers, follow_word
from translator.render.embeddings import VIEWS, embedding_views, export_embeddings, numbers
from translator.tasks.layers import layer_tokens, token_map

TEXTS = ["the house is by the river", "the river is long", "a house in the city"]


@pytest.fixture
def embedded(tiny):
    result = embed_layers(TEXTS, model="tiny-bert")
    return result, follow_word(result, "river")


def test_four_static_views_at_the_chosen_layer(embedded):
    result, track = embedded
    rendered = embedding_views(result, track, 1)
    assert set(rendered.html) == set(VIEWS)
    for name, html in rendered.html.items():
        assert "<script" not in html and "<svg" in html, name
        ET.fromstring(rendered.svgs[name])  # each SVG is a well-formed document
    assert "“river”: every two occurrences" in rendered.html["word-pairs"]
    assert "T1 ↔ T2" in rendered.html["word-pairs"]  # the one pair, named in the legend
    assert "layer 1" in rendered.html["token-similarity"] and "layer 1" in rendered.html["token-map"]
    assert "mean of their tokens (solid) and [CLS] (dashed)" in rendered.html["sentence-similarity"]
    assert "“river” is not in text 3." in rendered.notes
    assert any("leave out special tokens" in note for note in rendered.notes)


def test_the_views_data_is_the_computed_numbers(embedded):
    result, track = embedded
    rendered = embedding_views(result, track, 2, special=True)
    data = rendered.data
    tokens = layer_tokens(result, 2, special=True)
    assert len(data["view_tokens"]) == sum(map(len, result.tokens))  # special tokens included
    np.testing.assert_array_equal(data["token_map"], token_map(tokens))
    assert data["word"]["pairs"][0]["similarity"] == np.round(track.similarity[0], 6).tolist()
    assert [o["text"] for o in data["occurrences"]] == [1, 2]
    assert data["texts"][0]["texts"] == [1, 2] and len(data["texts"]) == 3  # every two of the three texts
    assert data["texts"][0]["mean"] == np.round(result.mean_similarity[:, 0, 1], 6).tolist()


def test_a_layer_beyond_the_model_shows_its_last_and_says_so(embedded):
    result, track = embedded
    rendered = embedding_views(result, track, 9)
    assert rendered.data["layer"] == 2
    assert "tiny-bert has 2 layers: showing layer 2, not 9." in rendered.notes


def test_without_a_word_the_word_view_says_what_to_do(embedded):
    result, _ = embedded
    rendered = embedding_views(result, None, 0)
    assert "Type a word that two or more texts share" in rendered.html["word-pairs"]
    assert "the embedding output" in rendered.html["token-map"]
    assert numbers(result, None)["word"] is None


def test_export_writes_png_svg_json_and_npz(embedded, tmp_path):
    result, track = embedded
    paths = export_embeddings(result, track, 1, folder=tmp_path)
    names = sorted(path.name for path in paths)
    assert names == sorted(
        [f"embeddings-{view}.{ext}" for view in VIEWS for ext in ("png", "svg")]
        + ["embeddings-views.json", "embeddings-arrays.npz"]
    )
    for view in VIEWS:
        image = Image.open(io.BytesIO((tmp_path / f"embeddings-{view}.png").read_bytes()))
        assert image.format == "PNG" and min(image.size) > 200
    data = json.loads((tmp_path / "embeddings-views.json").read_text(encoding="utf-8"))
    assert data["layer"] == 1 and data["texts"][0]["texts"] == [1, 2]
    matrix = np.array(data["token_similarity"])
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-6)
    arrays = np.load(tmp_path / "embeddings-arrays.npz")
    for index, states in enumerate(result.hidden_states):
        np.testing.assert_array_equal(arrays[f"hidden_states_{index}"], states)
        assert arrays[f"tokens_{index}"].tolist() == [t.text for t in result.tokens[index]]
    np.testing.assert_array_equal(arrays["word_similarity"], track.similarity)
    np.testing.assert_array_equal(arrays["cls_similarity"], result.cls_similarity)
