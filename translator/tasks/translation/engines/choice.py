"""Which engine translates: ``engine="auto"`` takes CTranslate2 where it can run the model, else transformers.

transformers stays the reference, the 4-bit/8-bit (bitsandbytes) path and the path for models CTranslate2
can't convert; attention views always use it (they need its attention weights). Each choice ``auto`` makes
comes with a sentence saying what ran and why.
"""

from __future__ import annotations

from functools import lru_cache

from ....core.errors import InputError, ModelUnavailableError
from ....core.loading import LoadedModel, checkpoint, load_model, load_tokenizer, resolve_spec
from ....core.registry import ModelSpec
from ....core.settings import get_settings
from . import convert
from . import ctranslate2 as fast

ENGINES = ("auto", "transformers", "ctranslate2")
# bitsandbytes' quantizations: the transformers engine's
BITSANDBYTES = ("8bit", "4bit")


def load_translator(model: str, precision: str = "auto", engine: str = "auto") -> tuple[LoadedModel, list[str]]:
    """The loaded model for translating with ``engine``, and the notes that say which engine ran and why."""
    if engine not in ENGINES:
        raise InputError(f"The engine must be one of {', '.join(ENGINES)}, not {engine!r}.")
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


def _why_not_fast(model: str, precision: str) -> str | None:
    if precision in BITSANDBYTES:
        return f"{precision} is bitsandbytes' quantization, which runs on transformers"
    if not convert.available():
        return "CTranslate2 is not installed (pip install ctranslate2)"
    return _unsupported(resolve_spec(model, "translation"))


@lru_cache(maxsize=64)
def _unsupported(spec: ModelSpec) -> str | None:
    """Why CTranslate2 can't run the checkpoint, remembered per spec (it needs the tokenizer, slow to load per call)."""
    folder, config = checkpoint(spec)
    reason = convert.unsupported(config, load_tokenizer(folder, spec))
    return f"CTranslate2 can't run it, because {reason}" if reason else None
