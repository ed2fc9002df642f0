"""Table rows: one per hypothesis / answer / sentence, in the order a reader expects, numbers rounded."""

from __future__ import annotations

from translator.render.tables import (
    NBEST_HEADERS,
    QA_ANSWER_HEADERS,
    SUMMARY_HEADERS,
    nbest_rows,
    qa_answer_rows,
    summary_rows,
)
from translator.tasks.qa import Answer, QAResult
from translator.tasks.summarize import Elbow, ScoredSentence, SummaryResult
from translator.tasks.translation.results import Hypothesis, TranslatedChunk


def chunk(index: int, *hypotheses: Hypothesis) -> TranslatedChunk:
    return TranslatedChunk(
        index=index, char_start=0, char_end=1, n_tokens=1, overlap_prev=0, hypotheses=list(hypotheses), truncated=False
    )


def test_nbest_rows_number_chunks_from_one_and_keep_each_chunks_order():
    rows = nbest_rows([chunk(0, Hypothesis("a", -0.123456), Hypothesis("b", -1.0)), chunk(1, Hypothesis("c", -0.5))])
    assert rows == [[1, 1, "a", -0.1235], [1, 2, "b", -1.0], [2, 1, "c", -0.5]]
    assert all(len(row) == len(NBEST_HEADERS) for row in rows)


def test_qa_rows_count_windows_from_one_and_name_the_empty_answer():
    result = QAResult(
        answers=[Answer("Paris", 3, 8, 0.51234, 1), Answer("", 0, 0, 0.1, 0)], windows=[], mode="span", model="m"
    )
    rows = qa_answer_rows(result)
    assert rows == [[1, "Paris", 0.5123, 3, 8, 2], [2, "(no answer)", 0.1, 0, 0, 1]]
    # each value sits under its own header
    named = {"#": 1, "Answer": "Paris", "Score": 0.5123, "Start": 3, "End": 8, "Window": 2}
    assert dict(zip(QA_ANSWER_HEADERS, rows[0], strict=True)) == named


def test_summary_rows_come_best_rank_first_with_the_picked_ticked():
    sentences = [
        ScoredSentence(0, "first", 0, 5, False, 2, 0.4, 1),
        ScoredSentence(1, "second", 6, 12, True, 1, 0.91234, 0),
    ]
    result = SummaryResult(summary="second", sentences=sentences, elbow=Elbow([], [], 0), dropped=[], model="m")
    rows = summary_rows(result)
    assert rows == [[1, "✓", "second", 0.9123, 1, 2], [2, "", "first", 0.4, 2, 1]]
    named = {"Rank": 1, "Picked": "✓", "Text": "second", "Score": 0.9123, "Cluster": 1, "No.": 2}
    assert dict(zip(SUMMARY_HEADERS, rows[0], strict=True)) == named
