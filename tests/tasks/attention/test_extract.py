"""attend() / attend_translation() and the array transforms: shapes, rows summing to 1, tokens, blocks."""

from __future__ import annotations

import inspect
import io

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from translator import InputError, attend, attend_translation, get_settings, load_model, translate
from translator.core.registry import OFFLINE_MINILM
from translator.render.export import arrays, npz_bytes, write_npz
from translator.tasks.attention.results import AttentionResult, TranslationAttention
from translator.tasks.attention.select import pair_indices, rollout, select
from translator.tasks.attention.words import merge_pieces, to_words
from translator.tasks.translation.generation import new_token_cap

SENTENCE = "Unbelievable tokenization: the museum's tower stands by the river."
PAIR = ("The cat sat on the mat.", "It fell asleep there.")


def assert_rows_sum_to_one(weights: np.ndarray) -> None:
    assert weights.dtype == np.float32
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert (weights >= 0).all()


def tokens_of(tokenizer, *texts: str, add_special_tokens: bool = True) -> list[str]:
    return tokenizer.convert_ids_to_tokens(tokenizer(*texts, add_special_tokens=add_special_tokens)["input_ids"])


@pytest.fixture(scope="module")
def minilm() -> AttentionResult:
    return attend(*PAIR[:1], text_pair=PAIR[1], model=OFFLINE_MINILM)


# -------------------------------------------------------------------- encoder


@pytest.mark.parametrize("key", ["tiny-bert", OFFLINE_MINILM])
def test_encoder_shapes_rows_and_tokens(tiny, key):
    result = attend(SENTENCE, model=key)
    config = load_model(key, "encoder", attn="eager").model.config
    n = len(result.tokens)
    assert result.attentions.shape == (config.num_hidden_layers, config.num_attention_heads, n, n)
    assert_rows_sum_to_one(result.attentions)
    assert result.tokens == tokens_of(load_model(key, "encoder", attn="eager").tokenizer, SENTENCE)
    assert result.special == [t in ("[CLS]", "[SEP]") for t in result.tokens]
    assert result.n_input_tokens == n and result.cut == ""
    assert result.model == key and result.device and result.footprint_bytes > 0
    words = to_words(result)
    assert words.attentions.shape[2:] == (len(words.tokens), len(words.tokens)) == (len(set(result.words)),) * 2
    assert_rows_sum_to_one(words.attentions)


def test_the_eager_copy_is_used_and_the_sdpa_copy_is_left_alone(tiny):
    attend("the house", model="tiny-bert")
    eager = load_model("tiny-bert", "encoder", attn="eager")
    sdpa = load_model("tiny-bert", "encoder")
    assert eager.model.config._attn_implementation == "eager"
    assert sdpa.model is not eager.model and sdpa.model.config._attn_implementation != "eager"


def test_minilm_pair_segments_follow_token_type_ids(minilm):
    tokenizer = load_model(OFFLINE_MINILM, "encoder", attn="eager").tokenizer
    encoding = tokenizer(*PAIR)
    assert minilm.tokens == tokenizer.convert_ids_to_tokens(encoding["input_ids"])
    assert minilm.segments == encoding["token_type_ids"]
    assert minilm.attentions.shape[:2] == (6, 12)
    assert_rows_sum_to_one(minilm.attentions)


@pytest.mark.parametrize("pair", ["A->A", "B->B", "A->B", "B->A"])
def test_pair_filters_select_the_right_blocks(minilm, pair):
    segments = np.asarray(minilm.segments)
    query_side, key_side = (0 if side == "A" else 1 for side in pair.split("->"))
    selection = select(minilm, pair=pair)
    expected = minilm.attentions[:, :, segments == query_side][:, :, :, segments == key_side]
    np.testing.assert_array_equal(selection.attentions, expected)
    assert selection.query_tokens == [t for t, s in zip(minilm.tokens, segments, strict=True) if s == query_side]
    assert selection.key_tokens == [t for t, s in zip(minilm.tokens, segments, strict=True) if s == key_side]
    # the four blocks tile the full matrix: A->A + A->B rows add up to 1
    if pair in ("A->A", "A->B"):
        other = select(minilm, pair="A->B" if pair == "A->A" else "A->A").attentions
        np.testing.assert_allclose(selection.attentions.sum(-1) + other.sum(-1), 1.0, atol=1e-5)


def test_pair_filter_needs_a_pair(tiny):
    with pytest.raises(InputError, match="second text"):
        select(attend("one text only", model="tiny-bert"), pair="A->B")


def test_word_level_on_minilm_keeps_rows_summing_to_one(minilm):
    words = to_words(minilm)
    n = len(words.tokens)
    assert words.word_level and words.attentions.shape == (6, 12, n, n)
    assert_rows_sum_to_one(words.attentions)
    assert words.tokens[:4] == ["[CLS]", "The", "cat", "sat"]  # labels keep the text's own casing
    assert words.segments.count(1) == len(PAIR[1].split()) + 1  # words as written ("there."), plus [SEP]


def test_word_level_merges_sub_word_pieces_with_offsets(tiny):
    pieces = attend(SENTENCE, model=OFFLINE_MINILM)
    words = attend(SENTENCE, model=OFFLINE_MINILM, word_level=True)
    assert len(words.tokens) < len(pieces.tokens)
    assert "Unbelievable" in words.tokens and "tokenization:" in words.tokens  # punctuation stays attached
    assert_rows_sum_to_one(words.attentions)
    # a word's column is the sum of its pieces' columns, its row the mean of its pieces' rows
    first = [i for i, w in enumerate(pieces.words) if w == pieces.words[pieces.tokens.index("token")]]
    column = words.tokens.index("tokenization:")
    np.testing.assert_allclose(words.attentions[..., 0, column], pieces.attentions[..., 0, first].sum(-1), atol=1e-6)
    np.testing.assert_allclose(words.attentions[..., column, 0], pieces.attentions[..., first, 0].mean(-1), atol=1e-6)


def test_hiding_special_tokens_renormalizes_rows(minilm):
    selection = select(minilm, hide_special=True, word_level=True)
    assert "[CLS]" not in selection.query_tokens and "[SEP]" not in selection.key_tokens
    assert_rows_sum_to_one(selection.attentions)
    assert any("renormalized" in note for note in selection.notes)


def test_token_cap_cuts_and_says_what_it_cut(tiny):
    text = " ".join(["the river runs to the city"] * 20)
    result = attend(text, model=OFFLINE_MINILM, max_tokens=32)
    assert result.attentions.shape[-1] == 32 == len(result.tokens)
    assert result.n_input_tokens > 32
    assert f"from {result.n_input_tokens} tokens" in result.cut and "stops at character" in result.cut
    assert result.cut in select(result).notes
    assert_rows_sum_to_one(result.attentions)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text": ""}, "empty"),
        ({"text": "x" * 5000}, "limit"),
        ({"text": "fine", "text_pair": 3}, "text_pair"),
        ({"text": "fine", "max_tokens": 1}, "max_tokens"),
    ],
)
def test_bad_encoder_input_is_one_sentence(tiny, kwargs, message):
    with pytest.raises(InputError, match=message):
        attend(model="tiny-bert", **kwargs)


# -------------------------------------------------------------------- translation


def generate_like_translate(key: str, source: str, num_beams: int) -> list[int]:
    """An independent generate() with translate()'s tokenization, cap and no forced </s>: what attend_translation
    must show."""
    loaded = load_model(key, "translation", attn="eager")
    encoding = loaded.tokenizer(
        source, add_special_tokens=loaded.recipe.add_special_tokens, return_token_type_ids=False, return_tensors="pt"
    )
    n_content = len(loaded.tokenizer(source, add_special_tokens=False)["input_ids"])
    cap = new_token_cap(n_content, get_settings().max_new_tokens)
    with torch.inference_mode():
        ids = loaded.model.generate(
            **encoding, num_beams=num_beams, do_sample=False, max_new_tokens=cap, forced_eos_token_id=None
        )
    return ids[0].tolist()


def test_a_translation_cut_at_the_cap_says_so(settings_with):
    settings_with(max_new_tokens=5)
    result = attend_translation("the house is in the city", model="tiny-marian", num_beams=2)
    assert len(result.target_tokens) == 1 + 5 and result.target_tokens[-1] != "</s>"
    assert any("stopped after 5 new tokens" in warning for warning in result.warnings)


@pytest.mark.parametrize("key, num_beams", [("tiny-marian", 1), ("tiny-marian", 3), ("tiny-bert2bert", 2)])
def test_translation_attention_is_on_the_generated_text(tiny, key, num_beams):
    source = "the house is in the city"
    result = attend_translation(source, model=key, num_beams=num_beams, max_tokens=24)
    loaded = load_model(key, "translation", attn="eager")
    tokenizer = loaded.tokenizer
    generated = generate_like_translate(key, source, num_beams)
    eos = loaded.model.generation_config.eos_token_id
    if eos in generated[1:]:
        generated = generated[: generated.index(eos, 1) + 1]
    assert result.target_tokens == tokenizer.convert_ids_to_tokens(generated)
    assert result.translation == tokenizer.decode(generated, skip_special_tokens=True).strip()
    # the attention is that of the translation the Translate tab shows for the same text and beams
    assert result.translation == translate(source, model=key, num_beams=num_beams, engine="transformers").text
    assert generated[0] == loaded.model.generation_config.decoder_start_token_id and result.target_special[0]
    assert result.source_tokens == tokens_of(tokenizer, source, add_special_tokens=loaded.recipe.add_special_tokens)
    source_len, target_len = len(result.source_tokens), len(result.target_tokens)
    layers, heads = result.cross.shape[:2]
    assert result.cross.shape == (layers, heads, target_len, source_len)
    assert result.decoder.shape == (layers, heads, target_len, target_len)
    assert result.encoder.shape[2:] == (source_len, source_len)
    for weights in (result.encoder, result.decoder, result.cross):
        assert_rows_sum_to_one(weights)
    # the decoder is causal: no row attends to a later target position
    assert np.allclose(np.triu(result.decoder, k=1), 0)
    assert result.num_beams == num_beams


def test_bert2bert_input_has_no_special_tokens(tiny):
    result = attend_translation("the house", model="tiny-bert2bert", max_tokens=8)
    assert result.source_tokens == ["the", "house"] and not any(result.source_special)
    assert result.target_tokens[0] == "<s>"


def test_translation_word_level_and_hidden_specials(tiny):
    result = attend_translation("the house is in the city of paris", model="tiny-marian", max_tokens=24)
    words = to_words(result)
    assert words.source_tokens[:3] == ["the", "house", "is"]  # "▁", "ho", "use" became one word
    assert words.cross.shape[2:] == (len(words.target_tokens), len(words.source_tokens))
    for weights in (words.encoder, words.decoder, words.cross):
        assert_rows_sum_to_one(weights)
    selection = select(result, kind="cross", word_level=True, hide_special=True)
    assert "</s>" not in selection.key_tokens and "<pad>" not in selection.query_tokens
    assert_rows_sum_to_one(selection.attentions)


def test_translation_generation_stops_at_the_cap_and_says_so(tiny):
    # the random tiny BERT2BERT never says </s>: the target fills translate()'s cap, start token included
    result = attend_translation("the house", model="tiny-bert2bert", max_tokens=6)
    cap = new_token_cap(len(result.source_tokens), get_settings().max_new_tokens)  # no specials in its recipe
    assert len(result.target_tokens) == 1 + cap and "</s>" not in result.target_tokens
    assert any(f"stopped after {cap} new tokens" in warning for warning in result.warnings)


def test_rollout_and_kind_checks(tiny):
    result = attend_translation("the house", model="tiny-marian", max_tokens=12)
    with pytest.raises(InputError, match="self-attention"):
        select(result, kind="cross", rollout_layers=True)
    with pytest.raises(InputError, match="kind"):
        select(result, kind="sideways")
    rolled = select(result, kind="decoder", rollout_layers=True).attentions
    assert rolled.shape[1] == 1
    assert_rows_sum_to_one(rolled)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"num_beams": 0}, "number of beams"), ({"num_beams": 99}, "number of beams"), ({"source": "  "}, "empty")],
)
def test_bad_translation_input_is_one_sentence(tiny, kwargs, message):
    with pytest.raises(InputError, match=message):
        attend_translation(**{"source": "the house", **kwargs}, model="tiny-marian")


# -------------------------------------------------------------------- transforms, on any arrays


def row_stochastic(draw, layers: int, heads: int, q: int, k: int) -> np.ndarray:
    seed = draw(st.integers(0, 2**32 - 1))
    weights = np.random.default_rng(seed).random((layers, heads, q, k), dtype=np.float32) ** 4 + 1e-6
    return weights / weights.sum(-1, keepdims=True)


@st.composite
def pieces_and_words(draw):
    q, k = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    q_words = sorted(draw(st.lists(st.integers(0, q - 1), min_size=q, max_size=q)))
    k_words = sorted(draw(st.lists(st.integers(0, k - 1), min_size=k, max_size=k)))
    return row_stochastic(draw, 2, 3, q, k), q_words, k_words


@given(pieces_and_words())
@settings(max_examples=60, deadline=None)
def test_merge_pieces_keeps_rows_summing_to_one(case):
    weights, q_words, k_words = case
    merged = merge_pieces(weights, q_words, k_words)
    assert merged.shape == (2, 3, len(set(q_words)), len(set(k_words)))
    np.testing.assert_allclose(merged.sum(-1), 1.0, atol=1e-5)
    # the same numbers by the definition: mean over query pieces of the sum over key pieces
    q_groups = [np.flatnonzero(np.asarray(q_words) == w) for w in sorted(set(q_words))]
    k_groups = [np.flatnonzero(np.asarray(k_words) == w) for w in sorted(set(k_words))]
    for i, rows in enumerate(q_groups):
        for j, cols in enumerate(k_groups):
            np.testing.assert_allclose(merged[..., i, j], weights[..., rows, :][..., cols].sum(-1).mean(-1), atol=1e-5)


@given(st.integers(1, 10), st.data())
@settings(max_examples=30, deadline=None)
def test_rollout_rows_sum_to_one_and_one_layer_is_half_identity(n, data):
    weights = row_stochastic(data.draw, 3, 2, n, n)
    rolled = rollout(weights)
    assert rolled.shape == (3, 1, n, n)
    np.testing.assert_allclose(rolled.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(rolled[0, 0], 0.5 * weights[0].mean(0) + 0.5 * np.eye(n), atol=1e-5)


def test_pair_indices():
    query, key = pair_indices([0, 0, 0, 1, 1], "B->A")
    assert query.tolist() == [3, 4] and key.tolist() == [0, 1, 2]
    with pytest.raises(InputError, match="pair filter"):
        pair_indices([0, 1], "A->C")


def test_npz_holds_the_raw_result(minilm):
    loaded = np.load(io.BytesIO(npz_bytes(minilm)))
    np.testing.assert_array_equal(loaded["attentions"], minilm.attentions)
    assert loaded["tokens"].tolist() == minilm.tokens
    assert loaded["segments"].tolist() == minilm.segments
    assert set(arrays(minilm)) == set(loaded.files)


def test_write_npz_writes_what_npz_bytes_holds(minilm, tmp_path):
    write_npz(minilm, tmp_path / "a.npz")
    on_disk, in_memory = np.load(tmp_path / "a.npz"), np.load(io.BytesIO(npz_bytes(minilm)))
    assert set(on_disk.files) == set(in_memory.files)
    for name in on_disk.files:
        np.testing.assert_array_equal(on_disk[name], in_memory[name])


def test_results_are_frozen_dataclasses_of_plain_types(minilm):
    assert isinstance(minilm, AttentionResult) and not isinstance(minilm, TranslationAttention)
    with pytest.raises(AttributeError):
        minilm.tokens = []  # type: ignore[misc]
    assert all(isinstance(t, str) for t in minilm.tokens)


def test_attend_defaults_to_the_embedded_minilm_like_the_other_public_functions():
    assert inspect.signature(attend).parameters["model"].default == OFFLINE_MINILM
    assert inspect.signature(attend_translation).parameters["model"].default == "opus-mt-en-de"
    assert attend("The cat sat.").model == OFFLINE_MINILM
