"""Attention results as files: named arrays for ``np.savez``, and one view written out for download."""

from __future__ import annotations

import dataclasses
import io
import shutil
import tempfile
import time
from pathlib import Path
from typing import IO

import numpy as np

from ..tasks.attention.results import AttentionOptions, AttentionResult, TranslationAttention
from .attention_view import attention_json, attention_png, attention_view

# each export gets a folder here; folders older than EXPORT_KEEP_SECONDS go when the next export is made
EXPORT_DIR = Path(tempfile.gettempdir()) / "bert-studio-attention"
EXPORT_KEEP_SECONDS = 3600


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


def export_folder(root: Path = EXPORT_DIR, keep_seconds: float = EXPORT_KEEP_SECONDS) -> Path:
    """A fresh folder under ``root`` for one export; folders older than ``keep_seconds`` are removed first."""
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        try:
            stale = time.time() - old.stat().st_mtime > keep_seconds
        except FileNotFoundError:  # another export removed it first
            continue
        if stale:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=root))


def export_view(
    result: AttentionResult | TranslationAttention, options: AttentionOptions, folder: Path | None = None
) -> list[Path]:
    """The view ``options`` select as SVG, PNG and JSON (when small enough), and the raw arrays as .npz.

    Written into ``folder`` (a fresh ``export_folder()`` by default); returns the files' paths.
    """
    rendered = attention_view(result, options)
    folder = folder or export_folder()
    name = f"attention-{options.view}"
    files = {f"{name}.svg": rendered.svg.encode(), f"{name}.png": attention_png(rendered)}
    view_json = attention_json(rendered)
    if view_json is not None:
        files[f"{name}.json"] = view_json.encode()
    for filename, data in files.items():
        (folder / filename).write_bytes(data)
    # written straight to disk: the raw arrays can be hundreds of MB, too many to copy into memory first
    write_npz(result, folder / "attention-arrays.npz")
    return [folder / filename for filename in [*files, "attention-arrays.npz"]]
