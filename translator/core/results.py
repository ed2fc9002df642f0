"""What every task result shares: the run information (RunInfo) and the progress callback type."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loading import LoadedModel

# progress(fraction in [0, 1], message): how long work tells the caller (and the UI's one progress bar) where it is
Progress = Callable[[float, str], None]


def report(progress: Progress | None, fraction: float, message: str) -> None:
    """Tell ``progress`` (if any) how far the work is; fractions are clamped to [0, 1]."""
    if progress is not None:
        progress(min(1.0, max(0.0, fraction)), message)


@dataclass(frozen=True, eq=False, kw_only=True)
class RunInfo:
    """What ran, inherited by every task result (keyword-only, so subclasses list their own fields first)."""

    model: str  # the name the caller used: registry key, hub id or directory
    engine: str = "transformers"  # transformers | ctranslate2 | sentence-transformers | tokenizer
    device: str = ""  # e.g. "CPU", "NVIDIA H100 80GB HBM3"
    precision: str = ""  # what was actually loaded: fp32, bf16, 4bit...
    footprint_bytes: int = 0  # memory the model's weights take
    seconds: float = 0.0  # wall time of the whole call, loading included
    warnings: tuple[str, ...] = ()  # plain sentences for the user: fallbacks, cuts, flags
    # plain sentences that inform rather than warn (which engine ran and why, what a retry redid): shown apart
    notes: tuple[str, ...] = ()


def run_info(
    loaded: LoadedModel,
    started: float,
    warnings: Iterable[str] = (),
    *,
    engine: str | None = None,
    notes: Iterable[str] = (),
) -> dict[str, Any]:
    """RunInfo's fields for a call on ``loaded`` that began at ``started`` (perf_counter).

    Use: ``SomeResult(..., **run_info(loaded, started, warnings))``.

    The model's own load notes (precision fallbacks) come first, then ``warnings``; ``notes`` only inform.
    """
    return {
        "model": loaded.key,
        "engine": engine or loaded.engine,
        "device": loaded.device_name,
        "precision": loaded.precision,
        "footprint_bytes": loaded.footprint_bytes,
        "seconds": time.perf_counter() - started,
        "warnings": (*loaded.warnings, *warnings),
        "notes": tuple(notes),
    }
