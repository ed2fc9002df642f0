"""Read from the app's config: every run shows its progress on one pane, and every model run that can fail
empties its outputs afterwards (no stale result, no leftover red "Error" badge)."""

from __future__ import annotations

import httpx
import pytest

MODEL_RUNS = [
    "translate",
    "translate_file",
    "retry_flagged",
    "coverage",
    "beam_tree",
    "compare",
    "answer",
    "summarize",
    "attention",
    "chunks",
]


@pytest.fixture(scope="module")
def dependencies(app_url) -> list[dict]:
    return httpx.get(app_url + "config", timeout=30).json()["dependencies"]


def test_each_event_that_shows_progress_shows_it_on_one_pane(dependencies):
    spread = [
        (d["api_name"], d["outputs"])
        for d in dependencies
        if d["backend_fn"]
        and d["show_progress"] != "hidden"
        and len(d["outputs"]) > 1
        and len(d["show_progress_on"] or []) != 1
    ]
    assert spread == []


@pytest.mark.parametrize("api_name", MODEL_RUNS)
def test_a_failed_run_empties_its_outputs(dependencies, api_name):
    run = next(d for d in dependencies if d["api_name"] == api_name)
    after_failure = [d for d in dependencies if d["trigger_after"] == run["id"] and d["trigger_only_on_failure"]]
    assert [d["outputs"] for d in after_failure] == [run["outputs"]]
    assert all(d["show_progress"] == "hidden" and not d["queue"] for d in after_failure)
