"""Timing and the smoke size, shared by the benchmark scripts."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable


def add_smoke_flag(parser: argparse.ArgumentParser) -> None:
    """``--smoke``: every part of the script at its smallest size (tiny models, a few words, one round), in
    seconds; the figures mean nothing. tests/benchmarks/test_smoke.py runs each script so."""
    parser.add_argument("--smoke", action="store_true", help="smallest size: checks the script runs, measures nothing")


def best_of(repeats: int, run: Callable[[], object]) -> tuple[float, object]:
    """The fastest of ``repeats`` runs (the least disturbed by a noisy machine) and the last result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result
