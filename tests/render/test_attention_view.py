"""attention_view: well-formed static SVG/HTML without script, escaped tokens, PNGs that decode, bounded size;
the view options it is given are checked and fitted (translator.tasks.attention_select)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from attention_helpers import SVG, check_markup, check_png, encoder_result, translation_result

from translator import InputError
from translator.render.attention_view import attention_json, attention_png, attention_view
from translator.render.head_view import MAX_LINKS
from translator.tasks.attention.results import AttentionOptions
from translator.tasks.attention.select import fitted

HOSTILE = "<script>x()</script>"
TWO_MB = 2 * 2**20
TOKENS = ["[CLS]", "the", HOSTILE, "$x$ & y", "river", "[SEP]"]


@pytest.mark.parametrize("view", ["head", "model", "heatmap", "rollout"])
def test_every_view_is_static_markup_with_escaped_tokens(view):
    rendered = attention_view(encoder_result(TOKENS), AttentionOptions(view=view, layer=2))
    root = check_markup(rendered)
    check_png(rendered)
    if view in ("head", "heatmap"):
        texts = [element.text for element in root.iter(f"{SVG}text")]
        assert HOSTILE in texts  # shown as text, never as markup
    assert (rendered.layers, rendered.heads) == (2, 3)


def test_alignment_view_marks_each_target_rows_maximum():
    result = translation_result()
    rendered = attention_view(result, AttentionOptions(view="alignment", layer=2, word_level=True))
    check_markup(rendered)
    check_png(rendered)
    matrix = rendered.data["weights"]
    assert rendered.data["kind"] == "cross" and matrix.shape == (4, 3)
    assert rendered.data["alignment"] == [[row, int(col)] for row, col in enumerate(matrix.argmax(1))]
    assert rendered.data["key_tokens"] == ["the", "house", "</s>"]
    assert rendered.notes[0] == "Generated translation (greedy): das Haus"


def test_the_results_warnings_are_shown_first_and_escaped():
    result = translation_result()
    warned = type(result)(**{**result.__dict__, "warnings": ("The translation hit the <cap>.",)})
    rendered = attention_view(warned, AttentionOptions(view="heatmap", kind="decoder"))
    check_markup(rendered)
    assert rendered.notes[:2] == ("Generated translation (greedy): das Haus", "The translation hit the <cap>.")
    assert "⚠️ The translation hit the &lt;cap&gt;." in rendered.html
    assert rendered.html.index("Generated translation") < rendered.html.index("⚠️")


def test_views_check_their_options():
    result = encoder_result(TOKENS)
    with pytest.raises(InputError, match="Layer"):
        attention_view(result, AttentionOptions(layer=3))
    with pytest.raises(InputError, match="Head"):
        attention_view(result, AttentionOptions(heads=(4,)))
    with pytest.raises(InputError, match="translation"):
        attention_view(result, AttentionOptions(view="alignment"))
    with pytest.raises(InputError, match="View"):
        attention_view(result, AttentionOptions(view="3d"))
    with pytest.raises(InputError, match="self-attention"):
        attention_view(translation_result(), AttentionOptions(view="rollout", kind="cross"))
    with pytest.raises(InputError, match="Minimum weight"):
        attention_view(result, AttentionOptions(min_weight=2.0))


def test_fitted_options_follow_the_model_size():
    options = fitted(AttentionOptions(layer=9, heads=(1, 3, 7)), encoder_result(TOKENS))
    assert options.layer == 2 and options.heads == (1, 3)
    decoder = fitted(AttentionOptions(kind="decoder", layer=0), translation_result())
    assert decoder.layer == 1


@pytest.mark.parametrize("layer", [float("nan"), float("inf")])
def test_a_layer_that_is_no_number_gets_a_sentence_not_a_crash(layer):
    result = encoder_result(TOKENS)
    with pytest.raises(InputError, match="Layer must be a whole number"):
        attention_view(result, fitted(AttentionOptions(layer=layer), result))


def test_json_export_holds_the_numbers_on_screen():
    result = encoder_result(TOKENS)
    rendered = attention_view(result, AttentionOptions(view="heatmap", layer=1, heads=(2,)))
    data = json.loads(attention_json(rendered))
    assert data["query_tokens"] == TOKENS and data["heads"] == [2] and data["layer"] == 1
    np.testing.assert_allclose(data["weights"], result.attentions[0, 1], atol=1e-6)


@pytest.mark.parametrize("view", ["head", "model", "heatmap"])
def test_a_512_token_view_stays_small(view):
    tokens = ["[CLS]", *(f"token{i}" for i in range(510)), "[SEP]"]
    result = encoder_result(tokens, layers=6, heads=12)
    rendered = attention_view(result, AttentionOptions(view=view, layer=3))
    root = check_markup(rendered)
    assert len(rendered.html.encode()) < TWO_MB and len(rendered.svg.encode()) < TWO_MB
    assert len(attention_png(rendered)) < TWO_MB
    if view == "head":
        assert len(list(root.iter(f"{SVG}line"))) == MAX_LINKS
        assert any("strongest" in note for note in rendered.notes)
        assert rendered.data is None and attention_json(rendered) is None  # 3M numbers: .npz only
