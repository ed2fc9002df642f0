from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.text.segment import paragraphs, sentences

# texts the segmenter must survive: no punctuation, one huge word, CJK, emoji, RTL, every newline kind
AWKWARD = [
    "no punctuation at all just words running on and on",
    "x" * 10_000,
    "日本語の文です。二つ目の文です！三つ目？",
    "Hi 😀. Ok 👍🏽! Family 👨‍👩‍👧 here.",
    "שלום עולם. מה שלומך? טוב מאוד.",
    "mixed\r\nnewlines\rhere.\n\nNext para.\u2029Another. \u2028Line.",
    "   leading and trailing spaces.   ",
    "",
    " \n\n\t ",
]


def assert_tiles(text: str, spans) -> None:
    """Spans are ordered, trimmed, exact slices, and cover every non-whitespace character exactly once."""
    covered = [0] * len(text)
    last_end = 0
    for i, span in enumerate(spans):
        assert span.index == i
        assert span.text == text[span.char_start : span.char_end]
        assert span.text and not span.text[0].isspace() and not span.text[-1].isspace()
        assert span.char_start >= last_end
        last_end = span.char_end
        for k in range(span.char_start, span.char_end):
            covered[k] += 1
    for k, char in enumerate(text):
        assert covered[k] == (1 if not char.isspace() else covered[k]), (k, char)


@pytest.mark.parametrize("text", AWKWARD)
def test_sentences_tile_awkward_text(text):
    assert_tiles(text, sentences(text))
    assert_tiles(text, paragraphs(text))


def test_sentences_split_at_full_stops_and_keep_abbreviations():
    text = "Mr. Smith went to Washington. He arrived at 3 p.m. on Monday! Did he stay?"
    assert [s.text for s in sentences(text)] == [
        "Mr. Smith went to Washington.",
        "He arrived at 3 p.m. on Monday!",
        "Did he stay?",
    ]


def test_paragraphs_split_at_blank_lines_and_sentences_know_their_paragraph():
    text = "One. Two.\r\n\r\nThree.\n  \nFour."
    assert [p.text for p in paragraphs(text)] == ["One. Two.", "Three.", "Four."]
    assert [p.text for p in paragraphs("a\r\nb\rc\nd\u2028e")] == ["a\r\nb\rc\nd\u2028e"]  # line breaks only
    assert [(s.text, s.paragraph) for s in sentences(text)] == [("One.", 0), ("Two.", 0), ("Three.", 1), ("Four.", 2)]


def test_cjk_uses_the_language_rules():
    assert [s.text for s in sentences("日本語の文です。二つ目の文。", "ja")] == ["日本語の文です。", "二つ目の文。"]


def test_unknown_language_falls_back_to_english():
    assert [s.text for s in sentences("One. Two.", "xx")] == ["One.", "Two."]


def test_a_huge_word_is_never_cut():
    spans = sentences("start. " + "y" * 10_000 + " end.")
    assert spans[0].text == "start."
    assert any("y" * 10_000 in s.text for s in spans)


def test_long_text_is_segmented_in_windows_without_losing_boundaries():
    sentence = "The quick brown fox jumps over the lazy dog near the river bank. "
    text = sentence * 1_600  # 100,000+ characters in one paragraph: pysbd sees it a window at a time
    spans = sentences(text)
    assert len(spans) == 1_600
    assert {s.text for s in spans} == {sentence.strip()}


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_sentences_tile_any_text(text):
    assert_tiles(text, sentences(text))
