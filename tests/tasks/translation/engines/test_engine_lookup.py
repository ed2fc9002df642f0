"""Which engine runs a loaded model (known by what the model is, not by a name), and the Engine protocol."""

from __future__ import annotations

import inspect
import math

import pytest

from translator import load_model, translate
from translator.tasks.translation import generation
from translator.tasks.translation.engines import base
from translator.tasks.translation.engines import ctranslate2 as fast
from translator.tasks.translation.engines import transformers as reference
from translator.training.evaluation import ModelInTraining


@pytest.mark.parametrize("engine", [reference, fast])
def test_both_engines_have_the_protocols_methods(engine):
    for name in ("generate", "max_rows"):
        wanted = list(inspect.signature(getattr(base.Engine, name)).parameters)[1:]  # without self
        assert list(inspect.signature(getattr(engine, name)).parameters) == wanted


def test_a_converted_model_runs_on_ctranslate2_and_any_other_on_transformers(fast_settings):
    converted = fast.load("tiny-marian", "fp32")
    assert isinstance(converted.model, fast.FastModel)
    assert generation.engine_for(converted) is fast
    loaded = load_model("tiny-marian", "translation", "fp32")
    assert generation.engine_for(loaded) is reference
    # a model being trained has no engine name at all
    training = ModelInTraining(loaded.model, loaded.tokenizer, loaded.device)
    assert generation.engine_for(training) is reference


def test_greedy_scores_are_the_mean_log_prob_of_the_tokens(fast_settings):
    """compute_transition_scores gives greedy search the score beam search reports: sum of log-probs / length."""
    result = translate(
        "The house is big. The river runs to the city.", model="tiny-marian", num_beams=1, engine="transformers"
    )
    for chunk in result.chunks:
        logprobs = [math.log(token.prob) for token in chunk.tokens]
        assert chunk.hypotheses[0].score == pytest.approx(sum(logprobs) / len(logprobs), abs=1e-5)
