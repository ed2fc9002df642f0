"""Run a coroutine to its end from a test, whatever loop the test's thread already runs.

Playwright's sync API leaves an event loop running in the main thread of a worker that ran the browser tests,
and ``asyncio.run`` refuses to start inside it; a thread of its own has no loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
