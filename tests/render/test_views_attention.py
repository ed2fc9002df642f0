"""Attention renderers: well-formed static SVG/HTML without script, escaped tokens, PNGs that decode, bounded size."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from translator import InputError
from translator.render import views
from translator.tasks.attention import AttentionResult, TranslationAttention

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>x()</script>"
TWO_MB = 2 * 2**20


def peaked(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Row-stochastic weights that look like attention: a few strong keys per row."""
    weights = np.random.default_rng(seed).random(shape, dtype=np.float32) ** 12 + 1e-7
    return weights / weights.sum(-1, keepdims=True)


def encoder_result(
    tokens: list[str], segments: list[int] | None = None, layers: int = 2, heads: int = 3
) -> AttentionResult:
    n = len(tokens)
    special = [t in ("[CLS]", "[SEP]") for t in tokens]
    return AttentionResult(
        tokens=tokens,
        attentions=peaked((layers, heads, n, n)),
        special=special,
        segments=segments or [0] * n,
        words=list(range(n)),
        word_labels=list(tokens),
        word_level=False,
        n_input_tokens=n,
        cut="",
        model="fake",
        device="CPU",
        precision="fp32",
        footprint_bytes=1,
        seconds=0.0,
    )


def translation_result() -> TranslationAttention:
    source = ["▁the", "▁ho", "use", "</s>"]
    target = ["<pad>", "▁das", "▁Haus", "</s>"]
    return TranslationAttention(
        source_tokens=source,
        target_tokens=target,
        encoder=peaked((2, 2, 4, 4)),
        decoder=peaked((2, 2, 4, 4), 1),
        cross=peaked((2, 2, 4, 4), 2),
        translation="das Haus",
        source_special=[False, False, False, True],
        target_special=[True, False, False, True],
        source_words=[0, 1, 1, 2],
        target_words=[0, 1, 2, 3],
        source_word_labels=["the", "house", "</s>"],
        target_word_labels=["<pad>", "das", "Haus", "</s>"],
        word_level=False,
        num_beams=1,
        n_input_tokens=4,
        cut="",
        model="fake",
        device="CPU",
        precision="fp32",
        footprint_bytes=1,
        seconds=0.0,
    )


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def check_markup(rendered: views.RenderedAttention) -> ET.Element:
    """The SVG document and the tab's HTML both parse as XML and hold no script; returns the SVG root."""
    root = ET.fromstring(rendered.svg)
    assert root.tag == f"{SVG}svg"
    ET.fromstring(rendered.html)  # the HTML fragment is well-formed too
    parser = Tags()
    parser.feed(rendered.html)
    assert "svg" in parser.tags and "script" not in parser.tags
    for markup in (rendered.svg, rendered.html):
        assert "<script" not in markup.lower()
        assert not any(name.startswith("on") for element in ET.fromstring(markup).iter() for name in element.attrib)
    return root


def check_png(rendered: views.RenderedAttention) -> Image.Image:
    image = Image.open(io.BytesIO(views.attention_png(rendered)))
    image.load()
    assert image.format == "PNG" and min(image.size) > 50
    return image


TOKENS = ["[CLS]", "the", HOSTILE, "$x$ & y", "river", "[SEP]"]


@pytest.mark.parametrize("view", ["head", "model", "heatmap", "rollout"])
def test_every_view_is_static_markup_with_escaped_tokens(view):
    rendered = views.attention_view(encoder_result(TOKENS), views.AttentionOptions(view=view, layer=2))
    root = check_markup(rendered)
    check_png(rendered)
    if view in ("head", "heatmap"):
        texts = [element.text for element in root.iter(f"{SVG}text")]
        assert HOSTILE in texts  # shown as text, never as markup
    assert (rendered.layers, rendered.heads) == (2, 3)


def test_head_view_draws_lines_weighted_by_attention_with_a_colour_per_head():
    result = encoder_result(TOKENS)
    rendered = views.attention_view(result, views.AttentionOptions(view="head", layer=1, heads=(1, 3), min_weight=0.1))
    root = check_markup(rendered)
    lines = list(root.iter(f"{SVG}line"))
    chosen = result.attentions[0, [0, 2]]
    assert len(lines) == int((chosen >= 0.1).sum())
    assert {line.get("stroke") for line in lines} == {views.HEAD_COLOURS[0], views.HEAD_COLOURS[2]}
    assert sorted(float(line.get("stroke-opacity")) for line in lines) == pytest.approx(
        sorted(np.round(chosen[chosen >= 0.1], 2)), abs=0.006
    )
    legend = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("H")]
    assert legend == ["H1", "H3"]
    assert rendered.data["weights"].shape == (2, 6, 6) and rendered.data["heads"] == [1, 3]


def test_head_view_pair_filter_shows_the_two_blocks_only():
    tokens = ["[CLS]", "a1", "a2", "[SEP]", "b1", "[SEP]"]
    result = encoder_result(tokens, segments=[0, 0, 0, 0, 1, 1])
    rendered = views.attention_view(result, views.AttentionOptions(view="head", pair="A->B", min_weight=0.0))
    root = check_markup(rendered)
    left = [g.find(f"{SVG}text").text for g in root.iter(f"{SVG}g") if g.get("class") == "attn-q"]
    right = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "attn-keys" for t in g]
    assert left == ["[CLS]", "a1", "a2", "[SEP]"] and right == ["b1", "[SEP]"]
    assert len(list(root.iter(f"{SVG}line"))) == 3 * 4 * 2  # every head's A->B links at min weight 0
    assert any("Pair filter A->B" in note for note in rendered.notes)


def test_alignment_view_marks_each_target_rows_maximum():
    result = translation_result()
    rendered = views.attention_view(result, views.AttentionOptions(view="alignment", layer=2, word_level=True))
    check_markup(rendered)
    check_png(rendered)
    matrix = rendered.data["weights"]
    assert rendered.data["kind"] == "cross" and matrix.shape == (4, 3)
    assert rendered.data["alignment"] == [[row, int(col)] for row, col in enumerate(matrix.argmax(1))]
    assert rendered.data["key_tokens"] == ["the", "house", "</s>"]
    assert rendered.notes[0] == "Generated translation (greedy): das Haus"


def test_views_check_their_options():
    result = encoder_result(TOKENS)
    with pytest.raises(InputError, match="Layer"):
        views.attention_view(result, views.AttentionOptions(layer=3))
    with pytest.raises(InputError, match="Head"):
        views.attention_view(result, views.AttentionOptions(heads=(4,)))
    with pytest.raises(InputError, match="translation"):
        views.attention_view(result, views.AttentionOptions(view="alignment"))
    with pytest.raises(InputError, match="View"):
        views.attention_view(result, views.AttentionOptions(view="3d"))
    with pytest.raises(InputError, match="self-attention"):
        views.attention_view(translation_result(), views.AttentionOptions(view="rollout", kind="cross"))


def test_fitted_options_follow_the_model_size():
    options = views.fitted(views.AttentionOptions(layer=9, heads=(1, 3, 7)), encoder_result(TOKENS))
    assert options.layer == 2 and options.heads == (1, 3)
    decoder = views.fitted(views.AttentionOptions(kind="decoder", layer=0), translation_result())
    assert decoder.layer == 1


@pytest.mark.parametrize("layer", [float("nan"), float("inf")])
def test_a_layer_that_is_no_number_gets_a_sentence_not_a_crash(layer):
    result = encoder_result(TOKENS)
    with pytest.raises(InputError, match="Layer must be a whole number"):
        views.attention_view(result, views.fitted(views.AttentionOptions(layer=layer), result))


def test_json_export_holds_the_numbers_on_screen():
    result = encoder_result(TOKENS)
    rendered = views.attention_view(result, views.AttentionOptions(view="heatmap", layer=1, heads=(2,)))
    data = json.loads(views.attention_json(rendered))
    assert data["query_tokens"] == TOKENS and data["heads"] == [2] and data["layer"] == 1
    np.testing.assert_allclose(data["weights"], result.attentions[0, 1], atol=1e-6)


@pytest.mark.parametrize("view", ["head", "model", "heatmap"])
def test_a_512_token_view_stays_small(view):
    tokens = ["[CLS]", *(f"token{i}" for i in range(510)), "[SEP]"]
    result = encoder_result(tokens, layers=6, heads=12)
    rendered = views.attention_view(result, views.AttentionOptions(view=view, layer=3))
    root = check_markup(rendered)
    assert len(rendered.html.encode()) < TWO_MB and len(rendered.svg.encode()) < TWO_MB
    assert len(views.attention_png(rendered)) < TWO_MB
    if view == "head":
        assert len(list(root.iter(f"{SVG}line"))) == views.MAX_LINKS
        assert any("strongest" in note for note in rendered.notes)
        assert rendered.data is None and views.attention_json(rendered) is None  # 3M numbers: .npz only
