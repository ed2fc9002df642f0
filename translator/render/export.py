"""Attention results as files: named arrays for ``np.savez``."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import IO

import numpy as np

from ..tasks.attention import AttentionResult, TranslationAttention


def arrays(result: AttentionResult | TranslationAttention) -> dict[str, np.ndarray]:
    """Everything in a result as named arrays (tokens as unicode arrays), ready for ``np.savez``."""
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    out: dict[str, np.ndarray] = {}
    for name, value in fields.items():
        if isinstance(value, np.ndarray):
            out[name] = value
        elif isinstance(value, list | tuple):
            out[name] = np.asarray(value, dtype=str if value and isinstance(value[0], str) else None)
        else:
            out[name] = np.asarray(value)
    return out


def write_npz(result: AttentionResult | TranslationAttention, file: str | Path | IO[bytes]) -> None:
    """The raw result as an uncompressed .npz (attention weights barely compress; writing stays fast)."""
    np.savez(file, **arrays(result))


def npz_bytes(result: AttentionResult | TranslationAttention) -> bytes:
    """``write_npz`` into memory."""
    buffer = io.BytesIO()
    write_npz(result, buffer)
    return buffer.getvalue()
