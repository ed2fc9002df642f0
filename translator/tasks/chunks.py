"""chunk_text(): the Chunks tab's backend: plan_chunks() for a named model, checked against the settings."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..core.checks import text_arg
from ..core.errors import ModelUnavailableError
from ..core.limits import model_input_limit
from ..core.loading import fetch, first_line, load_tokenizer, resolve_spec
from ..core.registry import ModelSpec, get_registry
from ..core.results import RunInfo
from ..core.settings import get_settings
from ..text.chunking import Chunk, check_arguments, plan_chunks


@dataclass(frozen=True, eq=False)
class ChunkPlan(RunInfo):
    """What the Chunks tab shows: a plan for one text, tokenizer and limit, made without running a model."""

    text: str
    chunks: list[Chunk]
    mode: str
    max_tokens: int
    stride: int
    model_max_tokens: int  # the model's own input limit, special tokens included


def tokenizer_and_limit(model: str) -> tuple[Any, ModelSpec, int]:
    """The tokenizer of a registry key (any task), hub id or local directory, its spec and the model's input
    limit, without loading weights."""
    registry = get_registry()
    spec = registry.get(model) if isinstance(model, str) and model in registry else resolve_spec(model, "encoder")
    return _tokenizer_and_limit(spec)


@lru_cache(maxsize=16)
def _tokenizer_and_limit(spec: ModelSpec) -> tuple[Any, ModelSpec, int]:
    from transformers import AutoConfig

    folder = fetch(spec)
    tokenizer = load_tokenizer(folder, spec)
    try:
        config = AutoConfig.from_pretrained(folder, trust_remote_code=False)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"The config of {spec.key!r} could not be loaded: {first_line(exc)}") from None
    return tokenizer, spec, model_input_limit(tokenizer, config)


def chunk_text(
    text: str, *, model: str, max_tokens: int, stride: int = 0, mode: str = "sentences", language: str | None = None
) -> ChunkPlan:
    """plan_chunks() for a model named like translate()'s ``model=``, with the request checked against the settings."""
    started = time.perf_counter()
    text_arg("text", text, get_settings().max_chars_chunks)
    max_tokens, stride = check_arguments(text, max_tokens, stride, mode)
    tokenizer, spec, model_limit = tokenizer_and_limit(model)
    warnings = []
    if max_tokens > model_limit:
        warnings.append(
            f"{max_tokens} tokens is more than this model takes at once ({model_limit}, special tokens included)."
        )
    chunks = plan_chunks(
        text,
        tokenizer,
        max_tokens=max_tokens,
        stride=stride,
        mode=mode,
        language=language or (spec.languages[0] if spec.languages else "en"),
    )
    return ChunkPlan(
        text=text,
        chunks=chunks,
        mode=mode,
        max_tokens=max_tokens,
        stride=stride,
        model_max_tokens=model_limit,
        model=spec.key,
        engine="tokenizer",
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
    )
