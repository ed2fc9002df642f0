"""The run line and the one warnings renderer."""

from __future__ import annotations

from translator.core.results import RunInfo
from translator.render.run import info_html, info_markdown, notes_html, qa_mode_note, run_line, summary_notes
from translator.tasks.qa import QAResult, Window
from translator.tasks.summarize import DroppedSentence, Elbow, SummaryResult


def test_the_run_line_names_model_engine_device_precision_memory_and_time():
    info = RunInfo(
        model="opus-mt-en-de",
        engine="ctranslate2",
        device="CPU",
        precision="int8",
        footprint_bytes=300 * 2**20,
        seconds=1.234,
    )
    assert run_line(info) == (
        "**Model:** `opus-mt-en-de` · **engine:** ctranslate2 · **device:** CPU · **precision:** int8 · "
        "**memory:** 300 MB · **time:** 1.23 s"
    )


def test_the_run_line_leaves_out_what_is_unknown():
    assert run_line(RunInfo(model="m", engine="tokenizer", seconds=0.5)) == (
        "**Model:** `m` · **engine:** tokenizer · **time:** 0.50 s"
    )


def test_warnings_are_one_escaped_list_or_nothing():
    assert notes_html([]) == ""
    html = notes_html(["Chunk 2 was cut <short>.", "Fell back to fp32."])
    assert html.count("<li>⚠️ ") == 2 and "&lt;short&gt;" in html and "<short>" not in html
    assert "<li>merged</li>" in notes_html(["merged"], icon="")


def test_warnings_are_counted_and_information_reads_apart_in_a_quieter_style():
    one = notes_html(["Chunk 2 was cut."])
    assert '<p class="warnings-count"' in one and ">1 warning</p>" in one
    two = notes_html(["a.", "b."])
    assert ">2 warnings</p>" in two and 'class="warnings"' in two
    info = info_html(["Translated with CTranslate2 (int8)."])
    assert "warning" not in info and "info-notes" in info and "ℹ️ Translated" in info
    # under a run line, as Markdown quotes; a model key's marks stay as typed
    assert info_markdown(["Ran my_model with `x` *fast*."]) == "\n\n> ℹ️ Ran my\\_model with \\`x\\` \\*fast\\*."
    assert info_markdown([]) == ""


def test_the_qa_note_says_how_the_answers_were_found_then_warns():
    span = QAResult(answers=[], windows=[Window(0, 0, 1, 1, 0)], mode="span", model="qa", max_seq_len=384)
    assert qa_mode_note(span).startswith("**Span extraction** over 1 window(s) of at most 384 tokens")
    retrieval = QAResult(answers=[], windows=[], mode="retrieval", model="minilm", warnings=("No QA model.",))
    note = qa_mode_note(retrieval)
    assert note.startswith("**Sentence retrieval, not span extraction:**") and "`minilm`" in note
    assert note.endswith(notes_html(["No QA model."]))


def test_summary_notes_list_the_dropped_sentences_with_their_reason():
    result = SummaryResult(
        summary="",
        sentences=[],
        elbow=Elbow([], [], 0),
        dropped=[DroppedSentence(0, "x" * 200, 0, 200, "longer than max_length")],
        model="m",
    )
    notes = summary_notes(result)
    assert "1 sentence(s) dropped" in notes and "#1 (longer than max_length)" in notes
    assert "x" * 119 + "…" in notes and "x" * 120 not in notes  # long sentences are shortened
    assert summary_notes(SummaryResult(summary="", sentences=[], elbow=Elbow([], [], 0), dropped=[], model="m")) == (
        "<p>No sentence was dropped by the length filters.</p>"
    )
