"""Rows for the app's tables (n-best translations, QA answers, summary sentences), with their headers.

Numbers are rounded for display; the full values stay in the result.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..tasks.qa import QAResult
from ..tasks.summarize import SummaryResult
from ..tasks.translation.results import TranslatedChunk

Row = list[int | float | str]

NBEST_HEADERS = ("Chunk", "#", "Translation", "Score")
QA_ANSWER_HEADERS = ("#", "Answer", "Score", "Start", "End", "Window")
SUMMARY_HEADERS = ("Rank", "Picked", "Text", "Score", "Cluster", "No.")


def nbest_rows(chunks: Sequence[TranslatedChunk]) -> list[Row]:
    """Chunk number, rank, hypothesis, score: every hypothesis of every chunk, best first within a chunk."""
    return [
        [chunk.index + 1, rank, hypothesis.text, round(hypothesis.score, 4)]
        for chunk in chunks
        for rank, hypothesis in enumerate(chunk.hypotheses, 1)
    ]


def qa_answer_rows(result: QAResult) -> list[Row]:
    """Rank, answer, score, characters, window (counted from 1)."""
    return [
        [rank, a.text or "(no answer)", round(a.score, 4), a.start, a.end, a.window + 1]
        for rank, a in enumerate(result.answers, 1)
    ]


def summary_rows(result: SummaryResult) -> list[Row]:
    """Best rank first (the picked sentences, then the rest, each by score): rank, picked, text, score (similarity
    to its cluster's centre), cluster, sentence number. The text comes before the numbers so that a narrow
    screen shows it without scrolling."""
    ranked = sorted(result.sentences, key=lambda s: s.rank)
    return [[s.rank, "✓" if s.selected else "", s.text, round(s.score, 4), s.cluster + 1, s.index + 1] for s in ranked]
