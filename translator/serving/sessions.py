"""What the server keeps for sessions between requests, under a byte budget: the oldest session goes first.

A session keeps its results (a run's AttentionResult, TranslationResult) and the last value of every component
it used, HTML views included, so an attention run on a long text keeps tens of MB. Every API call through
``/call/`` is a session of its own that no one can come back to: those are dropped a few seconds after their
answer, and the budget holds whatever the visitors keep."""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping

import numpy as np
import torch

# results of a one-off API session outlive its answer this long (nothing can read them; a stream may still be sent)
API_SESSION_SECONDS = 1.0


def approximate_bytes(value: object, depth: int = 0) -> int:
    """The memory ``value`` holds, counting arrays, tensors, text and the containers and dataclasses around them
    (shared objects counted each time they appear: an estimate that errs high)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, torch.Tensor):
        return value.element_size() * value.nelement()
    if isinstance(value, str | bytes | bytearray) or depth > 12:
        return sys.getsizeof(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items: list[object] = [getattr(value, field.name) for field in dataclasses.fields(value)]
    elif isinstance(value, Mapping):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        return sys.getsizeof(value)
    return sys.getsizeof(value) + sum(approximate_bytes(item, depth + 1) for item in items)


class SessionBudget:
    """The bytes each session keeps, least recently used first; ``update`` calls ``drop`` on the oldest sessions
    until the total fits the budget (the session just updated always stays: its own views redraw from it)."""

    def __init__(self, budget_bytes: int, drop: Callable[[str], None]) -> None:
        self.budget_bytes = budget_bytes
        self._drop = drop
        self._sizes: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def update(self, session: str, size: int) -> list[str]:
        """Record that ``session`` now keeps ``size`` bytes; returns the sessions dropped to make room."""
        with self._lock:
            self._sizes[session] = size
            self._sizes.move_to_end(session)
            dropped = []
            while self.total_bytes() > self.budget_bytes and len(self._sizes) > 1:
                oldest = next(iter(self._sizes))
                del self._sizes[oldest]
                dropped.append(oldest)
        for name in dropped:  # outside the lock: dropping frees memory, which may take a while
            self._drop(name)
        return dropped

    def forget(self, session: str) -> None:
        """Stop counting a session that ended (its data is gone)."""
        with self._lock:
            self._sizes.pop(session, None)

    def total_bytes(self) -> int:
        return sum(self._sizes.values())

    def sessions(self) -> list[str]:
        with self._lock:
            return list(self._sizes)
