"""The chunk viewer: every chunk drawn over the whole text, overlaps hatched, cuts marked, a row per chunk."""

from __future__ import annotations

import re

from html_text import drawing_text

from translator.render.chunk_view import MAX_CHUNK_ROWS, OVERLAP_STYLE, chunk_viewer, translation_viewer
from translator.tasks.qa import Window
from translator.tasks.translation.results import Hypothesis, TranslatedChunk, TranslationResult
from translator.text.chunking import Chunk

TEXT = "One two. Three four five. Six."
PIECE = re.compile(r'<span style="([^"]*)"[^>]*>([^<]*)</span>')  # (style, text) of each drawn piece


def test_the_drawing_shows_the_whole_text_and_a_row_per_chunk():
    chunks = [
        Chunk(0, 0, 8, 3, 0, "One two."),
        Chunk(1, 9, 19, 4, 0, "Three four", split_inside_sentence=True, continues=True),
        Chunk(2, 20, 25, 2, 0, "five.", split_inside_sentence=True),
    ]
    html = chunk_viewer(TEXT, chunks, limit=4)
    assert drawing_text(html) == TEXT  # the uncovered tail too, in grey
    assert html.count("<tr") == 4 and "3 / 4" in html and "4 / 4" in html
    assert html.count("✂") == 3  # in the drawing, in the summary line and in the cut chunk's row
    assert "<b>3</b> chunk(s)" in html and "largest <b>4</b> of 4 tokens" in html


def test_a_cut_is_marked_only_where_a_chunk_continues():
    """plan_chunks says where a chunk continues (tests/text/test_chunking.py); the viewer draws a ✂ there only."""
    text = "Aaaa bbbb cccc dddd. Eeee ffff gggg. Hhhh."
    pieces = [(0, 9), (10, 20), (21, 30), (31, 36), (37, 42)]  # two long sentences cut in two, then a short one
    flagged = [True, True, True, True, False]
    chunks = [
        Chunk(i, a, b, 4, 0, text[a:b], split_inside_sentence=f, continues=i in (0, 2))
        for i, ((a, b), f) in enumerate(zip(pieces, flagged, strict=True))
    ]
    html = chunk_viewer(text, chunks, limit=4)
    drawing = re.search(r'<div class="chunk-text"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert drawing.count("✂") == 2  # after "bbbb" and after "ffff", not after "dddd." nor "gggg."
    assert re.search(r"bbbb</span><sup[^>]*>✂", drawing) and re.search(r"ffff</span><sup[^>]*>✂", drawing)
    assert "<b>2</b> cut inside a sentence" in html


def test_overlapping_windows_are_hatched_where_they_overlap_only():
    windows = [Window(0, 0, 16, 6, 0), Window(1, 9, 30, 6, 2)]
    html = chunk_viewer(TEXT, windows, limit=8)
    assert [piece for style, piece in PIECE.findall(html) if OVERLAP_STYLE in style] == ["Three f"]
    assert "2 tokens overlap the previous chunk" in html and "overlapping the previous one" in html


def test_outputs_sit_beside_their_source_and_a_cut_output_says_so():
    chunk = TranslatedChunk(
        index=0, char_start=0, char_end=8, n_tokens=3, overlap_prev=0, text="One two.",
        hypotheses=[Hypothesis("<Eins> zwei.", -0.5)], truncated=True,
    )  # fmt: skip
    html = chunk_viewer("One two.", [chunk], limit=4, outputs=["<Eins> zwei."])
    assert "<th>Output</th>" in html and "&lt;Eins&gt; zwei." in html and "<Eins>" not in html
    assert "output hit the length or time limit" in html


def test_a_translation_shows_each_chunks_best_output_and_its_flags_in_words():
    def chunk(i, start, end, hypotheses, **facts):
        return TranslatedChunk(
            index=i, char_start=start, char_end=end, n_tokens=3, overlap_prev=0, text=TEXT[start:end],
            hypotheses=hypotheses, truncated=False, **facts,
        )  # fmt: skip

    chunks = [
        chunk(0, 0, 8, [Hypothesis("Eins zwei.", -0.1), Hypothesis("Ein zwei.", -0.7)]),
        chunk(1, 9, 30, [], flags=("sentence_count", "length_ratio"), source_sentences=2, length_ratio=0.0),
    ]
    result = TranslationResult(
        model="m", engine="e", device="cpu", precision="fp32", footprint_bytes=0, seconds=0.0, warnings=(),
        text="Eins zwei. ", chunks=chunks, source=TEXT, max_chunk_tokens=8,
    )  # fmt: skip
    html = translation_viewer(result)
    rows = re.findall(r"<tr style=.*?</tr>", html, re.S)
    assert "Eins zwei." in rows[0] and "Ein zwei." not in html  # the best hypothesis only
    assert "⚑ fewer sentences than the source" in rows[1]
    assert "⚑ much shorter or longer than the source (0.00x its length)" in rows[1]
    assert "<b>1</b> flagged as possibly missing part of the source" in html


def test_highlighted_spans_are_outlined_and_marks_underlined():
    windows = [Window(0, 0, 8, 4, 0), Window(1, 9, 30, 6, 0)]
    html = chunk_viewer(TEXT, windows, limit=8, highlight={1}, marks=[(15, 19)])
    rows = re.findall(r'<tr style="([^"]*)">', html)
    assert rows == ["", "outline:2px solid #1d4ed8;"]
    assert [piece for style, piece in PIECE.findall(html) if "box-shadow" in style] == ["four"]


def test_a_long_plan_lists_the_first_rows_but_draws_every_chunk():
    text = "ab " * (MAX_CHUNK_ROWS + 5)
    chunks = [Chunk(i, 3 * i, 3 * i + 2, 1, 0, "ab") for i in range(MAX_CHUNK_ROWS + 5)]
    html = chunk_viewer(text, chunks, limit=1)
    assert html.count("<tr") == MAX_CHUNK_ROWS + 1
    assert f"Showing the first {MAX_CHUNK_ROWS} of {MAX_CHUNK_ROWS + 5} chunks." in html
    assert f">{MAX_CHUNK_ROWS + 5}</sup>" in html  # the last chunk is still numbered in the drawing


def test_an_empty_plan_says_so():
    assert "No chunks: the text is empty." in chunk_viewer("", [], limit=8)
