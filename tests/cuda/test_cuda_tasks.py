"""The other backends on a lent GPU (skipped elsewhere): attention, QA, summaries, layer embeddings, the beam
tree, token confidences and steering run on CUDA at the GPU's own precision and at 4-bit, and agree with fp32."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from translator import (
    answer,
    attend,
    attend_translation,
    beam_search_tree,
    embed_layers,
    get_cache,
    steer,
    summarize,
    translate,
)

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]
needs_bitsandbytes = pytest.mark.skipif(
    importlib.util.find_spec("bitsandbytes") is None, reason="bitsandbytes is not installed"
)

CONTEXT = (
    "The museum was built in the last century. It stands by the river in the city. "
    "The king and the queen came to the tower. Paris is the capital of France. "
    "The school has a new team. The film was about music and war."
)


@pytest.fixture(autouse=True)
def empty_cache():
    get_cache().clear()
    yield
    get_cache().clear()


def on_gpu(result) -> bool:
    return result.device == torch.cuda.get_device_name(0)


@pytest.mark.parametrize("precision", ["auto", pytest.param("4bit", marks=needs_bitsandbytes)])
def test_attention_runs_on_the_gpu_with_rows_that_sum_to_one(tiny, precision):
    result = attend("The house is big.", text_pair="The river runs.", model="tiny-bert", precision=precision)
    assert on_gpu(result) and result.precision != "fp32"
    assert result.attentions.dtype == np.float32 and np.isfinite(result.attentions).all()
    np.testing.assert_allclose(result.attentions.sum(-1), 1.0, atol=1e-2)
    reference = attend("The house is big.", text_pair="The river runs.", model="tiny-bert", precision="fp32")
    assert result.tokens == reference.tokens
    assert np.abs(result.attentions - reference.attentions).max() < 0.05


def test_translation_attention_runs_on_the_gpu(tiny):
    result = attend_translation("The house is big.", model="tiny-marian")
    assert on_gpu(result)
    assert np.isfinite(result.cross).all() and result.translation


def test_span_qa_runs_on_the_gpu_and_finds_what_fp32_finds(tiny):
    gpu = answer("Where is the museum?", CONTEXT, model="tiny-qa", top_k=3, mode="span")
    fp32 = answer("Where is the museum?", CONTEXT, model="tiny-qa", top_k=3, mode="span", precision="fp32")
    assert on_gpu(gpu) and gpu.mode == "span" and gpu.answers
    assert all(a.text == CONTEXT[a.start : a.end] for a in gpu.answers)
    assert gpu.answers[0].text == fp32.answers[0].text or abs(gpu.answers[0].score - fp32.answers[0].score) < 0.05


@pytest.mark.parametrize("precision", ["auto", "fp32", pytest.param("4bit", marks=needs_bitsandbytes)])
def test_summaries_run_on_the_gpu(tiny, precision):
    result = summarize(CONTEXT, model="tiny-bert", num_sentences=2, precision=precision)
    assert on_gpu(result)
    picked = [s for s in result.sentences if s.selected]
    assert len(picked) == 2 and all(s.text in CONTEXT for s in picked)


@pytest.mark.parametrize("precision", ["auto", pytest.param("4bit", marks=needs_bitsandbytes)])
def test_layer_embeddings_run_on_the_gpu_close_to_fp32(tiny, precision):
    texts = ["The river bank.", "The money bank."]
    gpu = embed_layers(texts, model="tiny-bert", precision=precision)
    fp32 = embed_layers(texts, model="tiny-bert", precision="fp32")
    assert on_gpu(gpu) and gpu.hidden_states[0].dtype == np.float32
    for a, b in zip(gpu.hidden_states, fp32.hidden_states, strict=True):
        cosine = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
        assert cosine.min() > 0.9


@pytest.mark.parametrize("num_beams", [1, 4])
def test_the_beam_tree_and_confidences_explain_the_gpu_translation(tiny, num_beams):
    shown = translate("The house is big.", model="tiny-marian", num_beams=num_beams, engine="transformers")
    tree = beam_search_tree("The house is big.", model="tiny-marian", num_beams=num_beams, engine="transformers")
    assert on_gpu(shown) and on_gpu(tree)
    best = shown.chunks[0].hypotheses[0]
    assert tree.hypotheses[0].text == best.text and abs(tree.hypotheses[0].score - best.score) < 1e-2
    tokens = shown.chunks[0].tokens
    assert tokens and all(0.0 <= t.prob <= 1.0 for t in tokens)


def test_steering_runs_on_the_gpu(tiny):
    own = translate("The house is big.", model="tiny-marian", num_beams=1, engine="transformers")
    first = [own.chunks[0].tokens[0].text]
    result = steer("The house is big.", prefix_tokens=first, model="tiny-marian", num_beams=1, engine="transformers")
    assert on_gpu(result) and result.steered.text == own.chunks[0].hypotheses[0].text
