"""CUDA paths, run on a lent GPU (skipped elsewhere): auto precision, 4-bit and 8-bit loading with device_map,
eviction that frees GPU memory, a real out-of-memory error, and the CTranslate2 engine on CUDA."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from translator import ModelUnavailableError, get_cache, load_model, translate
from translator.core.cache import free_memory

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]

TEXT = "The house is big. The river runs to the city.\n\nThe museum was built in the last century."


@pytest.fixture(autouse=True)
def empty_cache():
    get_cache().clear()
    yield
    get_cache().clear()


def test_auto_precision_is_bf16_or_fp16_on_the_gpu(tiny):
    loaded = load_model("tiny-marian", "translation", "auto")
    expected = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    assert loaded.precision == expected and loaded.device.type == "cuda"
    assert next(loaded.model.parameters()).dtype == {"bf16": torch.bfloat16, "fp16": torch.float16}[expected]
    result = translate(TEXT, model="tiny-marian", num_beams=2)
    assert result.device == torch.cuda.get_device_name(0) and result.precision == expected
    assert len(result.chunks) >= 3 and all(c.hypotheses for c in result.chunks)


def test_fp16_loads_fp16_and_translates_like_fp32_greedy(tiny):
    fp16 = translate(TEXT, model="tiny-marian", num_beams=1, precision="fp16")
    assert fp16.precision == "fp16" and not fp16.warnings
    fp32 = translate(TEXT, model="tiny-marian", num_beams=1, precision="fp32")
    same = sum(a.hypotheses[0].text == b.hypotheses[0].text for a, b in zip(fp16.chunks, fp32.chunks, strict=True))
    assert same >= len(fp32.chunks) - 1  # near-ties may flip one chunk of a random tiny model


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="bitsandbytes is not installed")
@pytest.mark.parametrize("precision, layer", [("4bit", "Linear4bit"), ("8bit", "Linear8bitLt")])
def test_quantized_loading_uses_bitsandbytes_layers_on_the_gpu(tiny, precision, layer):
    loaded = load_model("tiny-bert2bert", "translation", precision)
    assert loaded.precision == precision and not loaded.warnings  # no fallback on CUDA
    kinds = {type(module).__name__ for module in loaded.model.modules()}
    assert layer in kinds
    assert {p.device.type for p in loaded.model.parameters()} == {"cuda"}
    fp16 = load_model("tiny-bert2bert", "translation", "fp16")
    assert loaded.footprint_bytes < fp16.footprint_bytes
    result = translate("The house is big.", model="tiny-bert2bert", num_beams=2, precision=precision)
    assert result.precision == precision and result.chunks[0].hypotheses


def test_eviction_frees_cuda_memory(tiny, settings_with):
    first = load_model("tiny-bert2bert", "translation", "fp32")
    first_bytes = first.footprint_bytes
    settings_with(cache_budget_mb=first_bytes / 2**20 * 1.2)  # room for one of the two models, not both
    del first
    with_first = torch.cuda.memory_allocated()
    marian = load_model("tiny-marian", "translation", "fp32")  # evicts the BERT2BERT
    assert [m.key for m in get_cache().loaded()] == ["tiny-marian"]
    # the BERT2BERT's tensors are gone from the GPU: what is allocated grew by less than the Marian minus half of it
    assert torch.cuda.memory_allocated() < with_first + marian.footprint_bytes - first_bytes // 2


def test_a_real_out_of_memory_error_reaches_the_caller_and_the_next_request_succeeds(tiny, monkeypatch):
    loaded = load_model("tiny-marian", "translation", "fp32")
    generate = loaded.model.generate

    def hungry(**kwargs):
        total = torch.cuda.get_device_properties(0).total_memory
        torch.empty(total * 2, dtype=torch.uint8, device="cuda")  # more than the card has
        return generate(**kwargs)

    monkeypatch.setattr(loaded.model, "generate", hungry)
    with pytest.raises(torch.OutOfMemoryError):  # the transformers engine: the one whose generate is patched
        translate("The house is big.", model="tiny-marian", engine="transformers")
    monkeypatch.setattr(loaded.model, "generate", generate)
    free_memory()
    assert translate("The house is big.", model="tiny-marian", engine="transformers").text


@pytest.mark.skipif(importlib.util.find_spec("ctranslate2") is None, reason="ctranslate2 is not installed")
@pytest.mark.parametrize("precision", ["fp32", "fp16", "auto"])
def test_ctranslate2_runs_on_cuda(tiny, precision):
    try:
        fast = translate(TEXT, model="tiny-marian", num_beams=2, engine="ctranslate2", precision=precision)
    except ModelUnavailableError as exc:  # its wheel's CUDA is not this machine's: one sentence, found at load
        assert "on this GPU" in str(exc)
        pytest.skip(str(exc))
    assert fast.engine == "ctranslate2" and fast.device == torch.cuda.get_device_name(0)
    assert all(c.hypotheses and c.tokens for c in fast.chunks)  # confidences on CUDA too
    reference = translate(TEXT, model="tiny-marian", num_beams=2, engine="transformers", precision="fp32")
    assert len(fast.chunks) == len(reference.chunks)
    if precision == "fp32":  # the same numbers: the same words (a random tiny model runs every chunk to its cap,
        # so at fp16 one rounding flips the rest of a chunk, and only fp32 is compared)
        same = sum(
            a.hypotheses[0].text == b.hypotheses[0].text for a, b in zip(fast.chunks, reference.chunks, strict=True)
        )
        assert same >= len(reference.chunks) - 1
