"""translate(engine=...): which engine runs, what it says about it, and translate()'s promises on CTranslate2."""

from __future__ import annotations

import json

import builders
import pytest

from translator import InputError, ModelUnavailableError, translate
from translator.tasks.translation.engines import convert, cuda_libraries
from translator.tasks.translation.engines import ctranslate2 as fast

TEXT = (
    "The house is big. The river runs to the city.\n\n"
    "Paris is the capital of France. The museum was built in the last century!\n"
    "A new line starts here.\n\n"
    "London. Berlin. The king and the queen."
)


@pytest.fixture(scope="module")
def padded_marian(tmp_path_factory):
    """A Marian whose vocabulary goes on past <pad>: CTranslate2's converter would drop the wrong row."""
    folder = builders.build_marian(tmp_path_factory.mktemp("padded") / "marian", vocab_size=320)
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    vocab.update({f"\u2581w{i}": i for i in range(len(vocab), 320)})  # every row decodes
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return str(folder)


@pytest.mark.parametrize("model", ["tiny-marian", "tiny-bert2bert"])
def test_auto_runs_ctranslate2_at_the_models_own_fp32_on_a_cpu_and_says_so(fast_settings, model):
    result = translate(TEXT, model=model, num_beams=2)
    assert result.engine == "ctranslate2" and result.precision == "fp32"
    assert any("CTranslate2 (fp32)" in n for n in result.notes)
    reference = translate(TEXT, model=model, num_beams=2, engine="transformers")
    assert reference.engine == "transformers" and reference.precision == "fp32"


@pytest.mark.parametrize("model", ["tiny-marian", "tiny-bert2bert"])
def test_8bit_runs_ctranslate2_int8(fast_settings, model):
    result = translate(TEXT, model=model, num_beams=2, precision="8bit")
    assert result.engine == "ctranslate2" and result.precision == "int8"
    assert any("CTranslate2 (int8)" in n for n in result.notes)


def test_explicit_engines_run_what_was_asked_without_a_note(fast_settings):
    for engine in ("transformers", "ctranslate2"):
        result = translate(TEXT, model="tiny-marian", num_beams=1, engine=engine, precision="fp32")
        assert result.engine == engine and result.precision == "fp32"
        assert not any("Translated with" in n for n in result.notes)


def test_auto_keeps_bitsandbytes_precisions_on_transformers(fast_settings):
    result = translate("The house is big.", model="tiny-marian", num_beams=1, precision="4bit")
    assert result.engine == "transformers" and result.precision == "4bit"
    assert any("Translated with transformers" in n and "bitsandbytes" in n for n in result.notes)


def test_auto_falls_back_to_transformers_when_ctranslate2_is_missing(fast_settings, monkeypatch):
    monkeypatch.setattr(convert, "available", lambda: False)
    result = translate("The house is big.", model="tiny-marian", num_beams=1)
    assert result.engine == "transformers"
    assert any("CTranslate2 is not installed" in n for n in result.notes)


def test_auto_falls_back_to_transformers_for_a_model_that_does_not_convert(fast_settings, padded_marian):
    result = translate("The house is big.", model=padded_marian, num_beams=1)
    assert result.engine == "transformers"
    assert any("does not end with <pad>" in n for n in result.notes)


def test_the_cuda_libraries_ctranslate2_opens_by_name_are_read_from_its_build():
    # the PyPI wheel opens cuBLAS 12 at its first product; where that is missing (a CUDA 13 machine, as on the H200
    # this was seen on) the translation failed half-way, so the name is asked of the dynamic loader at load
    assert cuda_libraries.LOADED_BY_NAME.findall(b"x libcublas.so.12 libcublasLt.so.12 y") == [
        b"libcublas.so.12",
        b"libcublasLt.so.12",
    ]
    assert cuda_libraries.first_missing(["libc.so.6", "libcublas.so.99", "libm.so.6"]) == "libcublas.so.99"
    assert cuda_libraries.first_missing(["libc.so.6"]) is None
    # the installed wheel's own names (4.8's: cuBLAS 12), read from its shared library
    assert any(name.startswith("libcublas.so.") for name in cuda_libraries.opened_by_name())


def test_auto_takes_transformers_where_ctranslate2_cannot_run_on_the_gpu(fast_settings, monkeypatch):
    import ctranslate2

    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 1)
    monkeypatch.setattr(cuda_libraries, "missing_cuda_library", lambda: "libcublas.so.12")
    result = translate("The house is big.", model="tiny-marian", num_beams=1)
    assert result.engine == "transformers" and result.chunks[0].hypotheses
    assert any("libcublas.so.12" in n and n.startswith("Translated with transformers") for n in result.notes)
    with pytest.raises(ModelUnavailableError, match=r"^CTranslate2 can't run 'tiny-marian' on this GPU: its build"):
        translate("The house is big.", model="tiny-marian", engine="ctranslate2")


def test_asking_ctranslate2_for_what_it_cannot_run_is_one_clear_sentence(fast_settings, padded_marian):
    with pytest.raises(ModelUnavailableError, match="does not end with <pad>"):
        translate("The house is big.", model=padded_marian, engine="ctranslate2")
    with pytest.raises(InputError, match="4-bit"):
        translate("The house is big.", model="tiny-marian", engine="ctranslate2", precision="4bit")
    with pytest.raises(InputError, match="engine must be one of auto, transformers, ctranslate2"):
        translate("The house is big.", model="tiny-marian", engine="fastest")


@pytest.mark.parametrize("model", ["tiny-marian", "tiny-bert2bert"])
def test_chunks_n_best_and_order_are_the_transformers_engines(fast_settings, model):
    kwargs = dict(model=model, num_beams=4, num_return_sequences=3, precision="fp32")
    reference = translate(TEXT, engine="transformers", **kwargs)
    result = translate(TEXT, engine="ctranslate2", **kwargs)
    assert [(c.char_start, c.char_end, c.n_tokens) for c in result.chunks] == [
        (c.char_start, c.char_end, c.n_tokens) for c in reference.chunks
    ]
    assert result.batches == reference.batches
    for chunk in result.chunks:
        scores = [h.score for h in chunk.hypotheses]
        assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert result.text.count("\n") == reference.text.count("\n")


def test_a_tiny_new_token_limit_marks_chunks_truncated_and_warns(fast_settings):
    fast_settings(max_new_tokens=2)
    result = translate(TEXT, model="tiny-marian", num_beams=2, engine="ctranslate2")
    assert all(c.max_new_tokens == 2 and c.new_tokens <= 2 for c in result.chunks)
    cut = [c for c in result.chunks if c.truncated]
    assert cut and all(c.new_tokens == 2 for c in cut)
    assert any("cut short" in w for w in result.warnings)


def test_greedy_search_stops_every_chunk_at_the_time_limit(fast_settings):
    fast_settings(max_generate_seconds=0.0)
    result = translate(TEXT, model="tiny-marian", num_beams=1, engine="ctranslate2")
    assert all(c.truncated and c.new_tokens == 1 < c.max_new_tokens for c in result.chunks)
    assert any("time limit" in w for w in result.warnings)


def test_progress_is_reported_per_batch(fast_settings):
    calls = []
    kwargs = dict(model="tiny-marian", num_beams=1, max_chunk_tokens=8, engine="ctranslate2")
    result = translate(TEXT, **kwargs, progress=lambda fraction, message: calls.append(fraction))
    per_batch = calls[1:]
    assert len(per_batch) == result.batches and per_batch == sorted(per_batch) and per_batch[-1] == 1.0


def test_the_memory_guard_bounds_the_rows_per_call(fast_settings, monkeypatch):
    assert translate(TEXT, model="tiny-marian", num_beams=2, engine="ctranslate2").batches == 1
    monkeypatch.setattr(fast, "STATE_BYTES", 1)  # no two texts' decoder state fits
    result = translate(TEXT, model="tiny-marian", num_beams=2, engine="ctranslate2")
    assert result.batches == len(result.chunks) > 1


@pytest.mark.parametrize("beams", [1, 4])
def test_tokens_carry_their_probabilities_and_runners_up(fast_settings, beams):
    result = translate(TEXT, model="tiny-marian", num_beams=beams, engine="ctranslate2", precision="8bit")
    for chunk in result.chunks:
        assert len(chunk.tokens) == chunk.new_tokens and all(0 < t.prob <= 1 for t in chunk.tokens)
        assert all(len(t.alternatives) == 3 for t in chunk.tokens)


def test_precisions_map_to_ctranslate2_compute_types(monkeypatch):
    import ctranslate2

    assert fast.compute_type("auto", "cpu") == ("float32", [])
    assert fast.compute_type("8bit", "cpu") == ("int8", [])
    assert fast.compute_type("fp32", "cpu") == ("float32", [])
    chosen, notes = fast.compute_type("fp16", "cpu")  # no float16 kernels on a CPU
    assert chosen == "float32" and "float16" in notes[0]
    with pytest.raises(InputError, match="4-bit"):
        fast.compute_type("4bit", "cpu")
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types", lambda device: {"float16", "float32"})
    chosen, notes = fast.compute_type("8bit", "cuda")  # a GPU without int8 kernels
    assert chosen == "float16" and "int8_float16" in notes[0]
    chosen, notes = fast.compute_type("auto", "cuda")  # nor bf16 ones: the model's own numbers in fp16
    assert chosen == "float16" and "bfloat16" in notes[0]
