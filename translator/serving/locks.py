"""One lock per model, so requests served at once never use one model or tokenizer from two threads.

A fast tokenizer keeps its truncation and padding settings on the shared Rust object: two threads that set them
for different calls ("only_second" for QA, none for chunking) break each other's encodings, or fail with
"Already borrowed". Requests on different models still run side by side (settings.concurrency_limit)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager


class ModelLocks:
    """A lock per model name, made on first use."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    @contextmanager
    def hold(self, names: Iterable[str]) -> Iterator[None]:
        """Hold the locks of every model in ``names`` (a run may use two: Attention's encoder and translator)."""
        with ExitStack() as stack:
            # one order for every caller, so two requests never each hold a lock the other waits for
            for name in sorted(set(names)):
                stack.enter_context(self.lock(name))
            yield


MODEL_LOCKS = ModelLocks()
