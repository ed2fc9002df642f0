"""attribute() and attribute_answer() on the tiny models: the numbers hold to their definitions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import translator
from translator import InputError, attend_translation, attribute, attribute_answer, load_model

SOURCE = "the house by the river was built"
TARGET = "das haus ist in der stadt"
MODELS = ("tiny-marian", "tiny-bert2bert")


def _ids(loaded, result):
    """The source and decoder-input ids the result explains, rebuilt from the tokenizer."""
    tok = loaded.tokenizer
    source = tok(SOURCE, add_special_tokens=loaded.recipe.add_special_tokens)["input_ids"]
    target = [
        *tok(text_target=TARGET, add_special_tokens=False)["input_ids"],
        loaded.model.generation_config.eos_token_id,
    ]
    prefix = [loaded.model.generation_config.decoder_start_token_id, *target[:-1]]
    assert tok.convert_ids_to_tokens(target) == result.target_tokens
    return torch.tensor([source]), torch.tensor([prefix]), target


def _log_p(model, source, prefix, target, row):
    logits = model(input_ids=source, decoder_input_ids=prefix, use_cache=False).logits
    return torch.log_softmax(logits.float(), -1)[0, row, target[row]]


@pytest.mark.parametrize("model", MODELS)
def test_input_x_gradient_equals_a_hand_computed_autograd_product(tiny, model):
    result = attribute(SOURCE, model=model, target=TARGET, method="input_x_gradient")
    loaded = load_model(model, "translation", attn="eager")
    source, prefix, target = _ids(loaded, result)
    row = 2
    kept = {}

    def keep(name):
        def hook(_module, _args, out):
            out.requires_grad_(True)
            out.retain_grad()
            kept[name] = out

        return hook

    net = loaded.model
    handles = [
        net.get_encoder().get_input_embeddings().register_forward_hook(keep("source")),
        net.get_decoder().get_input_embeddings().register_forward_hook(keep("prefix")),
    ]
    try:
        _log_p(net, source, prefix, target, row).backward()
    finally:
        for handle in handles:
            handle.remove()
    by_hand = [(kept[name].grad * kept[name])[0].sum(-1).detach().numpy() for name in ("source", "prefix")]
    np.testing.assert_allclose(result.scores[row], np.concatenate(by_hand), rtol=1e-4, atol=1e-6)
    assert result.deltas is None and result.convergence_delta is None and result.steps == 0
    # the decoder can't see the target at or after a row's position: those prefix columns are exactly 0
    assert not result.scores[row, len(result.source_tokens) + row + 1 :].any()


@pytest.mark.parametrize("model", MODELS)
def test_integrated_gradients_are_complete_within_the_reported_delta(tiny, model):
    coarse = attribute(SOURCE, model=model, target=TARGET, steps=1)
    fine = attribute(SOURCE, model=model, target=TARGET, steps=48)
    loaded = load_model(model, "translation", attn="eager")
    source, prefix, target = _ids(loaded, fine)
    pad = loaded.tokenizer.pad_token_id
    base_source = torch.tensor(
        [[i if s else pad for i, s in zip(source[0].tolist(), fine.source_special, strict=True)]]
    )
    base_prefix = torch.tensor([[prefix[0, 0].item()] + [pad] * (prefix.shape[1] - 1)])
    with torch.no_grad():
        for row in range(len(target)):
            difference = float(
                _log_p(loaded.model, source, prefix, target, row)
                - _log_p(loaded.model, base_source, base_prefix, target, row)
            )
            total = float(fine.scores[row].sum())
            assert total - difference == pytest.approx(float(fine.deltas[row]), abs=1e-5)
            assert abs(total - difference) <= fine.convergence_delta + 1e-5
    assert fine.convergence_delta < coarse.convergence_delta
    assert fine.convergence_delta < 1e-3
    # the baseline keeps special tokens, so theirs is exactly 0
    assert not fine.scores[:, : len(fine.source_tokens)][:, fine.source_special].any()


def test_contrast_with_itself_is_zero_and_swapping_flips_the_sign(tiny):
    first = attribute(SOURCE, model="tiny-marian", target="the house")
    same = attribute(SOURCE, model="tiny-marian", target="the house", contrast=(0, first.target_tokens[0]))
    assert same.positions == [0] and same.scores.shape[0] == 1
    np.testing.assert_allclose(same.scores, 0, atol=1e-7)

    # row 0 reads only the source and the start token: its target token can be swapped without changing its input
    x = first.target_tokens[0]
    y = attribute(SOURCE, model="tiny-marian", target="river", method="input_x_gradient").target_tokens[0]
    x_vs_y = attribute(SOURCE, model="tiny-marian", target="the house", contrast=(0, y), steps=8)
    y_vs_x = attribute(SOURCE, model="tiny-marian", target="river", contrast=(0, x), steps=8)
    assert x != y
    assert (x_vs_y.target_tokens[0], x_vs_y.contrast) == (x, y)
    assert (y_vs_x.target_tokens[0], y_vs_x.contrast) == (y, x)
    width = len(x_vs_y.source_tokens) + 1
    np.testing.assert_allclose(x_vs_y.scores[0, :width], -y_vs_x.scores[0, :width], rtol=1e-4, atol=1e-6)
    assert np.abs(x_vs_y.scores).max() > 0


@pytest.mark.parametrize("method", ["integrated_gradients", "input_x_gradient"])
def test_word_merge_keeps_the_totals(tiny, method):
    pieces = attribute(SOURCE, model="tiny-bert2bert", target=TARGET, method=method, steps=8)
    words = attribute(SOURCE, model="tiny-bert2bert", target=TARGET, method=method, steps=8, word_level=True)
    assert words.word_level and len(words.source_tokens) == len(set(pieces.source_words))
    assert words.scores.shape == (len(words.target_tokens), len(words.source_tokens) + len(words.prefix_tokens))
    assert words.scores.sum() == pytest.approx(pieces.scores.sum(), abs=1e-4)
    n = len(pieces.source_tokens)
    for word in set(pieces.source_words):  # each source word's column is the sum of its pieces' columns
        members = [i for i, w in enumerate(pieces.source_words) if w == word]
        assert words.scores[:, word].sum() == pytest.approx(pieces.scores[:, members].sum(), abs=1e-5)
    assert words.scores[:, : len(words.source_tokens)].sum() == pytest.approx(pieces.scores[:, :n].sum(), abs=1e-4)
    if method == "integrated_gradients":
        assert words.deltas.sum() == pytest.approx(pieces.deltas.sum(), abs=1e-6)


def test_the_attention_method_is_the_cross_attention_of_attend_translation(tiny):
    result = attribute(SOURCE, model="tiny-marian", method="attention", num_beams=1)
    attention = attend_translation(SOURCE, model="tiny-marian", num_beams=1)
    assert result.translation == attention.translation
    assert attention.target_tokens[1:] == result.target_tokens  # [0] is the decoder start token there
    expected = attention.cross.mean(axis=(0, 1))[: len(result.target_tokens)]  # row i predicts token i + 1
    n = len(result.source_tokens)
    np.testing.assert_allclose(result.scores[:, :n], expected, atol=1e-5)
    assert not result.scores[:, n:].any()
    np.testing.assert_allclose(result.rank_correlation, 1.0)  # attention against itself


def test_the_default_target_is_the_translation_translate_gives(tiny):
    result = attribute(SOURCE, model="tiny-marian", method="input_x_gradient", num_beams=2)
    translated = translator.translate(SOURCE, model="tiny-marian", num_beams=2)
    assert result.translation == translated.text
    assert len(result.alternatives) == len(result.target_tokens)
    assert all(len(options) <= 3 and all(0 <= p <= 1 for _, p in options) for options in result.alternatives)
    finite = [rho for rho in result.rank_correlation if np.isfinite(rho)]
    assert finite and all(-1 <= rho <= 1 for rho in finite)


def test_qa_attribution_explains_the_answer_within_its_window(tiny):
    question, context = "where is the tower", "the tower is in paris . the river is in london ."
    found = translator.answer(question, context, model="tiny-qa")
    result = attribute_answer(question, context, model="tiny-qa", steps=16)
    assert result.kind == "qa" and result.target_tokens == [found.answers[0].text]
    assert result.scores.shape == (1, len(result.source_tokens))
    assert result.source_tokens[0] == "[CLS]" and "tower" in result.source_tokens
    assert result.convergence_delta < 1e-3
    assert not result.scores[0, result.source_special].any()
    assert result.attention is None and np.isnan(result.mean_rank_correlation)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: attribute(SOURCE, model="tiny-marian", steps=0), "steps must be between 1 and 128"),
        (lambda: attribute(SOURCE, model="tiny-marian", steps=129), "steps must be between 1 and 128"),
        (lambda: attribute(SOURCE, model="tiny-marian", method="lime"), "method must be one of"),
        (lambda: attribute(SOURCE, model="tiny-marian", precision="4bit"), "choose precision fp32"),
        (lambda: attribute("house " * 600, model="tiny-marian"), "this model reads at most 512"),
        (lambda: attribute(SOURCE, model="tiny-marian", target="a " * 600), "the limit is"),
        (lambda: attribute(SOURCE, model="tiny-marian", target="the", contrast=(5, "▁a")), "contrast position"),
        (lambda: attribute(SOURCE, model="tiny-marian", contrast=(0, "the house")), "pick a single token"),
        (lambda: attribute_answer("where", "the tower", model="tiny-qa", method="attention"), "no cross-attention"),
    ],
)
def test_bad_calls_get_one_sentence(tiny, call, message):
    with pytest.raises(InputError, match=message):
        call()
