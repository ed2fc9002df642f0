"""summarize() picks what bert-extractive-summarizer 0.10.1 picks (recorded by tests/summary_oracle.py)."""

from __future__ import annotations

import json

import pytest
import summary_oracle

from translator import summarize

CASES = [(text, run) for text in summary_oracle.TEXTS for run in summary_oracle.RUNS]


@pytest.fixture(scope="module")
def expected() -> dict:
    recorded = json.loads(summary_oracle.EXPECTED.read_text(encoding="utf-8"))
    stale = {
        name: sorted(texts["picks"]) for name, texts in recorded["texts"].items() if name in summary_oracle.TEXTS
    } != {name: sorted(summary_oracle.RUNS) for name in summary_oracle.TEXTS}
    assert not stale, "the recorded picks are stale: run tests/summary_oracle.py (see its docstring)"
    return recorded["texts"]


@pytest.mark.parametrize(("name", "run"), CASES, ids=[f"{name}-{run}" for name, run in CASES])
def test_the_same_sentences_as_the_anchor(tiny, expected, name, run):
    result = summarize(summary_oracle.TEXTS[name], **summary_oracle.RUNS[run])
    # these texts split the same with pysbd and spaCy's sentencizer: a difference below is a picking one
    assert [s.text for s in result.sentences] == expected[name]["sentences"]
    assert [s.text for s in result.sentences if s.selected] == expected[name]["picks"][run]


@pytest.mark.parametrize("name", list(summary_oracle.TEXTS))
def test_the_elbow_curve_is_the_anchors(tiny, expected, name):
    elbow = summarize(summary_oracle.TEXTS[name], num_sentences=3).elbow
    assert elbow.ks == list(range(1, len(expected[name]["elbow"]) + 1))
    assert elbow.inertias == pytest.approx(expected[name]["elbow"], rel=1e-4)
    assert elbow.suggested_k in elbow.ks  # ours on top: the knee of the same curve
