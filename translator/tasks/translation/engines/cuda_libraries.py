"""Whether CTranslate2's build can run on this machine's CUDA, asked before it fails mid-translation.

CTranslate2 opens cuBLAS by name (``dlopen``) at its first matrix product, not when a model loads. Its PyPI
wheel (4.8) is built for CUDA 12 and asks for ``libcublas.so.12``; a machine with CUDA 13 only (torch cu130, as
on the H200 this project was tested on) has ``libcublas.so.13``, and the translation fails half-way with
"Library libcublas.so.12 is not found or cannot be loaded". The names the build asks for are read from its own
shared library and put to the same dynamic loader, so the answer is the one CTranslate2 will get.
"""

from __future__ import annotations

import ctypes
import mmap
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from ....core.errors import ModelUnavailableError

# the CUDA libraries CTranslate2 opens by name at run time (the CUDA runtime itself is linked in statically)
LOADED_BY_NAME = re.compile(rb"libcublas(?:Lt)?\.so\.\d+")


def check(key: str) -> None:
    """Refuse, in one sentence, to run model ``key`` on a GPU whose CUDA lacks a library CTranslate2 opens."""
    if library := missing_cuda_library():
        raise ModelUnavailableError(
            f"CTranslate2 can't run {key!r} on this GPU: its build loads {library}, which this machine's CUDA "
            "lacks (engine='auto' takes transformers)."
        )


@lru_cache(maxsize=1)
def missing_cuda_library() -> str | None:
    """The first CUDA library CTranslate2's build opens at run time that this machine can't load, or None."""
    return first_missing(opened_by_name())


def opened_by_name() -> list[str]:
    """The CUDA libraries the installed CTranslate2 build opens by name, read from its shared library."""
    import ctranslate2

    package = Path(ctranslate2.__file__).parent
    builds = [*package.parent.glob("ctranslate2.libs/libctranslate2*.so*"), *package.glob("libctranslate2*.so*")]
    return sorted({name.decode() for path in builds for name in _names_in(path)})


def first_missing(names: Iterable[str]) -> str | None:
    """The first of ``names`` the dynamic loader can't open (a library already loaded, e.g. by torch, opens)."""
    for name in names:
        try:
            ctypes.CDLL(name)
        except OSError:
            return name
    return None


def _names_in(path: Path) -> set[bytes]:
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return set(LOADED_BY_NAME.findall(data))
