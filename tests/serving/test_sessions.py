"""What sessions keep: its size estimated, and the byte budget that forgets the least recently used session."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import torch

from translator.serving.locks import ModelLocks
from translator.serving.sessions import SessionBudget, approximate_bytes


@dataclass(frozen=True)
class Result:
    attentions: np.ndarray
    tokens: tuple[str, ...]


def test_arrays_tensors_and_text_inside_results_are_counted():
    result = Result(np.zeros((4, 2, 100, 100), dtype=np.float32), ("a",) * 10)
    assert 320_000 <= approximate_bytes(result) < 330_000
    assert approximate_bytes({"html": "x" * 1_000_000, "t": torch.zeros(1000)}) > 1_004_000
    assert approximate_bytes([None, 1, "ab"]) < 500


def test_past_the_budget_the_least_recently_used_sessions_go_first():
    dropped = []
    budget = SessionBudget(1000, dropped.append)
    budget.update("a", 400)
    budget.update("b", 400)
    budget.update("a", 450)  # a is used again: b is now the oldest
    assert budget.update("c", 300) == ["b"] and dropped == ["b"]
    assert budget.sessions() == ["a", "c"] and budget.total_bytes() == 750


def test_a_session_larger_than_the_budget_keeps_its_own_result():
    dropped = []
    budget = SessionBudget(100, dropped.append)
    budget.update("a", 50)
    assert budget.update("big", 5000) == ["a"]
    assert budget.sessions() == ["big"]  # its own views redraw from it until the next session comes
    budget.forget("big")
    assert budget.total_bytes() == 0


def test_runs_on_one_model_take_turns_and_runs_on_others_do_not_wait():
    locks = ModelLocks()
    inside: list[str] = []
    overlap = []

    def run(models: list[str], tag: str) -> None:
        with locks.hold(models):
            inside.append(tag)
            overlap.append(sorted(inside))
            time.sleep(0.05)
            inside.remove(tag)

    # a and b both take "qa" (b also "mt", in the other order: no deadlock); c takes another model
    threads = [
        threading.Thread(target=run, args=(["qa", "mt"], "a")),
        threading.Thread(target=run, args=(["mt", "qa", "qa"], "b")),
        threading.Thread(target=run, args=(["bert"], "c")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert not any(thread.is_alive() for thread in threads)
    assert not any({"a", "b"} <= set(seen) for seen in overlap)
