"""The views explain the translation shown: at the defaults translate() runs CTranslate2 at the model's own numbers,
and the beam tree, the token confidences and coverage agree with it; int8 is said to differ, in one line."""

from __future__ import annotations

import logging
import shutil

import pytest
from builders import sentences

from translator import beam_search_tree, chunk_coverage, translate
from translator.tasks.translation.engines.choice import explaining

MODELS = ["marian", "bert2bert"]


def close_tokens(have, want, tolerance: float = 1e-4) -> None:
    """Token confidences equal: the same tokens and runners-up, their probabilities within ``tolerance``."""
    assert [t.text for t in have] == [t.text for t in want]
    for got, expected in zip(have, want, strict=True):
        assert got.prob == pytest.approx(expected.prob, abs=tolerance)
        assert len(got.alternatives) == len(expected.alternatives) == 3
        for (name, prob), (expected_name, expected_prob) in zip(got.alternatives, expected.alternatives, strict=True):
            assert prob == pytest.approx(expected_prob, abs=tolerance)
            assert name == expected_name or abs(prob - expected_prob) < tolerance  # a tie may list either first


@pytest.mark.parametrize("beams", [1, 4])
@pytest.mark.parametrize("name", MODELS)
def test_tree_confidences_and_text_agree_across_engines_at_fp32(ending_models, fast_settings, name, beams):
    model = str(ending_models[name])
    text = " ".join(sentences(6, seed=7))
    shown = translate(text, model=model, num_beams=beams)  # the defaults: engine and precision "auto"
    assert (shown.engine, shown.precision) == ("ctranslate2", "fp32")
    reference = translate(text, model=model, num_beams=beams, engine="transformers")
    assert reference.precision == "fp32"
    assert [c.best for c in shown.chunks] == [c.best for c in reference.chunks]
    for chunk, expected in zip(shown.chunks, reference.chunks, strict=True):
        assert chunk.hypotheses[0].score == pytest.approx(expected.hypotheses[0].score, abs=1e-4)
        assert len(chunk.tokens) == chunk.new_tokens
        close_tokens(chunk.tokens, expected.tokens)
        tree = beam_search_tree(chunk.source, model=model, num_beams=beams)
        assert tree.hypotheses[0].text == chunk.best
        assert tree.hypotheses[0].score == pytest.approx(chunk.hypotheses[0].score, abs=1e-3)
        assert not tree.warnings or all("int8" not in w for w in tree.warnings)


def test_8bit_runs_ctranslate2_int8_and_the_views_say_they_differ(ending_models, fast_settings):
    model = str(ending_models["marian"])
    result = translate("The house is big. The river runs.", model=model, num_beams=2, precision="8bit")
    assert (result.engine, result.precision) == ("ctranslate2", "int8")
    assert all(len(c.tokens) == c.new_tokens for c in result.chunks)  # int8's own confidences
    tree = beam_search_tree(result.chunks[0].source, model=model, num_beams=2, precision="8bit")
    assert tree.precision == "fp32"
    assert sum("int8 on CTranslate2" in w for w in tree.warnings) == 1
    covered = chunk_coverage(result, 0)  # runs as is: no precision rewritten by the caller
    assert covered.precision == "fp32" and any("int8 on CTranslate2" in w for w in covered.warnings)


def test_views_take_the_same_numbers_where_transformers_has_them():
    assert explaining("ctranslate2", "fp32") == ("fp32", None)
    assert explaining("ctranslate2", "bf16") == ("bf16", None)
    assert explaining("transformers", "4bit") == ("4bit", None)
    assert explaining("transformers", "8bit") == ("8bit", None)
    precision, note = explaining("ctranslate2", "int8")
    assert precision == "auto" and note  # no CUDA here: the model's own numbers


def test_coverage_of_a_default_translation_runs_at_its_precision(ending_models, fast_settings):
    model = str(ending_models["marian"])
    result = translate("The house is big.", model=model, num_beams=1)
    covered = chunk_coverage(result, 0)
    assert covered.precision == "fp32" and covered.translation == result.chunks[0].best
    assert not covered.warnings


def test_the_footprint_of_a_ctranslate2_model_is_reported(ending_models, fast_settings):
    result = translate("The house is big.", model=str(ending_models["bert2bert"]), num_beams=1)
    assert result.engine == "ctranslate2" and result.footprint_bytes > 0


def test_generate_logs_no_generation_config_warning(ending_models, fast_settings, tmp_path):
    """A checkpoint's max_length (opus-mt sets 512) beside generate()'s max_new_tokens used to warn on every call."""
    from transformers import GenerationConfig

    folder = tmp_path / "marian"
    shutil.copytree(ending_models["marian"], folder)
    config = GenerationConfig.from_pretrained(folder)
    config.max_length = 512
    config.save_pretrained(folder)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    library = logging.getLogger("transformers")  # it doesn't propagate to the root logger
    library.addHandler(handler)
    try:
        for beams in (1, 2):
            translate("The house is big.", model=str(folder), num_beams=beams, engine="transformers")
    finally:
        library.removeHandler(handler)
    assert not [r for r in records if "seem to have been set" in r.getMessage()]
