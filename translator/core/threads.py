"""One CPU thread budget for the process: ``settings.threads``, shared rather than multiplied.

torch's intra-op pool takes it; CTranslate2 runs that many one-thread workers, each on a share of a call's
texts (engines/ctranslate2.py), and the app runs one model at a time (``settings.concurrency_limit``), so the
busy threads never exceed it. OpenMP pools spin while they wait: two pools of N threads each on N cores, or N
threads on cores other work is using, cost several times the run (issue 25 measured 8x in fine-tuning).
"""

from __future__ import annotations

import contextlib
import os

import torch


def default_threads() -> int:
    """``OMP_NUM_THREADS`` where it is set (the usual way to size every OpenMP pool of a process), else the
    physical cores."""
    raw = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else physical_cores()


def physical_cores() -> int:
    """Physical cores this process may run on (hyper-threads share one core's arithmetic units), at least 1."""
    import psutil

    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(allowed, psutil.cpu_count(logical=False) or allowed))


def apply_threads(threads: int) -> int:
    """Make ``threads`` torch's intra-op thread count (CTranslate2 reads it from the settings when it loads a
    model); the inter-op pool gets one thread, which can be set only before torch first uses it."""
    torch.set_num_threads(threads)
    # already used or already set: it keeps its size, which is harmless: our work never runs ops side by side
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    return threads
