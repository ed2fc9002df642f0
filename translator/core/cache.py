"""The memory-budgeted LRU cache every loaded model (and fast-engine translator) lives in."""

from __future__ import annotations

import atexit
import gc
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol

import torch

from .settings import get_settings


class Cached(Protocol):
    """What the cache keeps: a loaded model (Cached) or a fast-engine translator, with its memory footprint."""

    @property
    def footprint_bytes(self) -> int: ...


class ModelCache:
    """LRU of loaded models under a byte budget; concurrent requests for one key share one load."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._models: OrderedDict[tuple, Cached] = OrderedDict()
        self._pending: dict[tuple, Future] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, load: Callable[[], Cached]) -> Cached:
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            future = self._pending.get(key)
            owner = future is None
            if owner:
                future = self._pending[key] = Future()
        if not owner:
            return future.result()
        try:
            loaded = load()
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            future.set_exception(exc)
            raise
        with self._lock:
            del self._pending[key]
            self._models[key] = loaded
            evicted = self._evict_over_budget(keep=key)
        future.set_result(loaded)
        if evicted:  # outside the lock: gc.collect() is slow, and cache hits must not wait for it
            free_memory()
        return loaded

    def _evict_over_budget(self, keep: tuple) -> bool:
        """Drop least recently used models until the cache fits its budget; whether any went. Lock held."""
        evicted = False
        while self.total_bytes() > self.budget_bytes and len(self._models) > 1:
            oldest = next(k for k in self._models if k != keep)
            del self._models[oldest]
            evicted = True
        return evicted

    def total_bytes(self) -> int:
        return sum(m.footprint_bytes for m in self._models.values())

    def loaded(self) -> list[Cached]:
        with self._lock:
            return list(self._models.values())

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
        free_memory()


def free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


_cache = ModelCache(int(get_settings().cache_budget_mb * 2**20))
# the models go while the interpreter is whole: a CTranslate2 translator left to its teardown could still hold
# running worker threads when C++ destroyed them, and the process aborted at exit ("terminate called without an
# active exception": 1 in 30 runs of the README's hub snippet, after all its output)
atexit.register(_cache.clear)


def get_cache() -> ModelCache:
    return _cache
