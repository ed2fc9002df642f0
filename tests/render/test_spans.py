"""marked_text, the one highlighting routine, and the QA and summary highlights built on it."""

from __future__ import annotations

import re

from html_text import visible_text

from translator.render.spans import DROPPED_STYLE, Mark, marked_text, qa_context_html, summary_source_html
from translator.tasks.qa import Answer, QAResult, Window
from translator.tasks.summarize import DroppedSentence, Elbow, ScoredSentence, SummaryResult


def test_marks_keep_the_text_whole_and_escaped():
    text = "a <b>bold</b> & plain\nline"
    html = marked_text(text, [Mark(2, 13, "color:red;", "1"), Mark(16, 21, "color:blue;")])
    assert visible_text(html) == text
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_where_marks_overlap_the_later_marks_declarations_win():
    html = marked_text("abcdef", [Mark(0, 4, "background-color:red;"), Mark(2, 6, "background-color:blue;")])
    assert '<span style="background-color:red;">ab</span>' in html
    assert '<span style="background-color:red;background-color:blue;">cd</span>' in html
    assert '<span style="background-color:blue;">ef</span>' in html


def test_labels_sit_at_the_start_and_a_zero_width_mark_draws_only_its_label():
    html = marked_text("one two", [Mark(4, 7, "", "2", "second"), Mark(7, 7, label="✂")])
    assert html.index(">2</sup>") < html.index("two") < html.index(">✂</sup>")  # the ✂ at the very end survives
    assert 'title="second"' in html


def test_unmarked_text_gets_its_own_style_and_no_style_means_plain_text():
    html = marked_text("markrest", [Mark(0, 4, "x:y;")], unmarked="color:grey;")
    assert '<span style="x:y;">mark</span><span style="color:grey;">rest</span>' in html
    html = marked_text("plain", [])
    assert visible_text(html) == "plain" and "<span" not in html


def test_views_mark_overlapping_answers_and_escape_the_context():
    """Moved from tests/tasks/test_qa.py with the renderers it checks (translator.render)."""
    from translator.render.chunk_view import qa_windows_html
    from translator.render.tables import qa_answer_rows

    context = "<b>Paris</b> & the tower"
    answers = [Answer("Paris", 3, 8, 0.5, 0), Answer("<b>Paris</b>", 0, 12, 0.2, 0), Answer("", 0, 0, 0.1, 0)]
    result = QAResult(
        answers=answers,
        windows=[Window(0, 0, len(context), 12, 0, 9)],
        mode="span",
        model="tiny-qa",
        seconds=0.1,
        max_seq_len=64,
    )
    html = qa_context_html(context, result)
    assert "<b>" not in html and "&lt;b&gt;" in html and "&amp; the tower" in html
    assert html.count("<sup") == 2  # the empty "no answer" is listed, not drawn
    assert html.index(">1</sup>") > html.index(">2</sup>")  # answer 2 starts first; answer 1 lies inside it
    assert qa_answer_rows(result)[2][1] == "(no answer)"
    assert "outline:2px solid" in qa_windows_html(context, result)


def test_the_better_answer_shows_where_answers_overlap():
    context = "Paris, France"
    result = QAResult(
        answers=[Answer("Paris", 0, 5, 0.9, 0), Answer("Paris, France", 0, 13, 0.1, 0)],
        windows=[Window(0, 0, 13, 8, 0, 5)],
        mode="span",
        model="tiny-qa",
        max_seq_len=64,
    )
    html = qa_context_html(context, result)
    paris = re.search(r'<span style="([^"]*)"[^>]*>Paris</span>', html).group(1)
    assert paris.endswith("background-color:#fde047;border-radius:3px;")  # rank 1's fill comes last, so it wins
    assert visible_text(html) == context


def summary() -> tuple[str, SummaryResult]:
    text = "Short. The first real sentence is here. The second one follows."
    sentences = [
        ScoredSentence(1, "The first real sentence is here.", 7, 39, True, 1, 0.9, 0),
        ScoredSentence(2, "The second one follows.", 40, 63, False, 2, 0.5, 0),
    ]
    result = SummaryResult(
        summary=sentences[0].text,
        sentences=sentences,
        elbow=Elbow([1, 2], [1.0, 0.5], 1),
        dropped=[DroppedSentence(0, "Short.", 0, 6, "shorter than min_length")],
        model="fake",
    )
    return text, result


def test_summary_source_ranks_the_picked_sentences_and_strikes_the_dropped():
    text, result = summary()
    html = summary_source_html(text, result)
    assert html.count("<sup") == 1 and ">1</sup>" in html  # only the picked sentence is numbered
    assert f'<span style="{DROPPED_STYLE}" title="dropped: shorter than min_length">Short.</span>' in html
    assert visible_text(html) == text
