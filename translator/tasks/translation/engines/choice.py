"""Which engine translates: ``engine="auto"`` takes CTranslate2 where it can run the model at the chosen precision.

Precision means one thing on both engines: ``auto`` the model's own numbers (fp32 on a CPU, bf16/fp16 on
CUDA), ``8bit`` CTranslate2's int8 (bitsandbytes 8-bit on transformers), ``4bit`` bitsandbytes NF4, which runs
on transformers only. transformers stays the reference, the 4-bit path and the path for models CTranslate2
can't convert; views that need attention weights or the search itself (beam tree, coverage) run on it, at the
precision ``explaining`` gives. Each choice ``auto`` makes comes with a sentence saying what ran and why.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from ....core.errors import InputError, ModelUnavailableError
from ....core.loading import (
    LoadedModel,
    bitsandbytes_available,
    checkpoint,
    load_model,
    load_tokenizer,
    resolve_spec,
)
from ....core.registry import ModelSpec
from ....core.settings import get_settings
from . import convert
from . import ctranslate2 as fast

ENGINES = ("auto", "transformers", "ctranslate2")
# precisions only the transformers engine runs (bitsandbytes' NF4)
TRANSFORMERS_ONLY = ("4bit",)
# what CTranslate2 reports for its int8 compute types: quantizations transformers has no copy of
CTRANSLATE2_INT8 = ("int8", "int8_float16", "int8_bfloat16")


# decodings CTranslate2 4.8 has no counterpart of: they run on transformers, with a note that says so
TRANSFORMERS_DECODINGS = {"diverse": "CTranslate2 has no diverse beam search"}


def load_translator(
    model: str, precision: str = "auto", engine: str = "auto", decoding: str = "beam"
) -> tuple[LoadedModel, list[str]]:
    """The loaded model for translating with ``engine``, and the notes that say which engine ran and why."""
    if engine not in ENGINES:
        raise InputError(f"The engine must be one of {', '.join(ENGINES)}, not {engine!r}.")
    if decoding in TRANSFORMERS_DECODINGS and engine != "transformers":
        return load_model(model, "translation", precision), [
            f"Translated with transformers: {TRANSFORMERS_DECODINGS[decoding]}."
        ]
    if engine == "transformers":
        return load_model(model, "translation", precision), []
    if engine == "ctranslate2":
        return fast.load(model, precision), []
    reason = _why_not_fast(model, get_settings().precision if precision == "auto" else precision)
    if reason is None:
        try:
            loaded = fast.load(model, precision)
        except ModelUnavailableError as exc:  # the checkpoint is there (checked above): its conversion failed
            reason = f"CTranslate2 could not take it ({exc})"
        else:
            return loaded, [
                f"Translated with CTranslate2 ({loaded.precision}), the fast engine, which runs this model; "
                "the transformers engine gives the reference."
            ]
    return load_model(model, "translation", precision), [f"Translated with transformers: {reason}."]


def engine_to_run(model: str, precision: str = "auto", engine: str = "auto", decoding: str = "beam") -> str:
    """The engine translate() runs for these arguments (without loading anything that isn't loaded)."""
    if engine not in ENGINES:
        raise InputError(f"The engine must be one of {', '.join(ENGINES)}, not {engine!r}.")
    if decoding in TRANSFORMERS_DECODINGS:
        return "transformers"
    if engine != "auto":
        return engine
    return (
        "ctranslate2"
        if _why_not_fast(model, get_settings().precision if precision == "auto" else precision) is None
        else "transformers"
    )


def explaining(engine: str, precision: str) -> tuple[str, str | None]:
    """The precision a view that runs on transformers (beam tree, coverage) takes to explain a translation that
    ``engine`` made at ``precision`` (asked for, or as a result reports it), and one sentence when it can't be
    the same numbers: CTranslate2's int8 has no transformers copy, so the view runs the model's own numbers
    (or bitsandbytes 8-bit on CUDA, the nearest)."""
    if engine != "ctranslate2" or precision not in ("8bit", *CTRANSLATE2_INT8):
        return precision, None
    nearest = "8bit" if torch.cuda.is_available() and bitsandbytes_available() else "auto"
    ran = "bitsandbytes 8-bit" if nearest == "8bit" else "the model's own numbers"
    return nearest, (
        f"The translation shown ran at int8 on CTranslate2; this view runs on transformers with {ran}, "
        "so its numbers (and rarely its words) differ slightly from that translation's."
    )


def _why_not_fast(model: str, precision: str) -> str | None:
    if precision in TRANSFORMERS_ONLY:
        return f"{precision} is bitsandbytes' NF4 quantization, which runs on transformers"
    if not convert.available():
        return "CTranslate2 is not installed (pip install ctranslate2)"
    return _unsupported(resolve_spec(model, "translation"))


@lru_cache(maxsize=64)
def _unsupported(spec: ModelSpec) -> str | None:
    """Why CTranslate2 can't run the checkpoint, remembered per spec (it needs the tokenizer, slow to load per call)."""
    folder, config = checkpoint(spec)
    reason = convert.unsupported(config, load_tokenizer(folder, spec))
    return f"CTranslate2 can't run it, because {reason}" if reason else None
