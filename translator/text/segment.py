"""Paragraphs and sentences with character offsets into the original text.

Sentence boundaries come from pysbd (rule-based, many languages). We only take the
*start* of each sentence from it and rebuild the spans on the original string, so
offsets are exact whatever pysbd does to the text, and every non-whitespace character
lands in exactly one sentence. Whitespace between spans belongs to no span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pysbd
from pysbd.languages import LANGUAGE_CODES

# paragraphs are separated by a blank line (two line breaks with only whitespace between) or U+2029
LINE_BREAK = r"(?:\r\n|\r(?!\n)|\n|\u2028)"  # \r\n is one break, never two
PARAGRAPH_BREAK = re.compile(rf"{LINE_BREAK}\s*{LINE_BREAK}|\u2029")
# any character that ends a line (\u2029 ends a paragraph too); chunks and joins never hide one
ANY_LINE_BREAK = re.compile("[\r\n\u2028\u2029]")
# pysbd slows down superlinearly on long input, so it never sees more than this many characters at once
SEGMENT_WINDOW = 4_000
NON_SPACE = re.compile(r"\S")
SPACE = re.compile(r"\s")
# the last whitespace or CJK full stop in a piece: a place to cut that is not inside a word
LAST_BREAK = re.compile(r"(?s).*[\s。！？]")


@dataclass(frozen=True)
class Span:
    index: int
    text: str  # == source[char_start:char_end]
    char_start: int
    char_end: int
    paragraph: int  # index of the paragraph the span lies in


def paragraphs(text: str) -> list[Span]:
    """Blocks of text separated by blank lines, trimmed of surrounding whitespace; empty blocks are skipped."""
    spans: list[Span] = []
    start = 0
    for match in [*PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        trimmed = _trim(text, start, end)
        if trimmed:
            a, b = trimmed
            spans.append(Span(len(spans), text[a:b], a, b, len(spans)))
        if match:
            start = match.end()
    return spans


def sentences(text: str, language: str = "en") -> list[Span]:
    """Sentences inside each paragraph; ``language`` is an ISO 639-1 code (pysbd's rules, English if unknown)."""
    code = language if isinstance(language, str) and language in LANGUAGE_CODES else "en"
    spans: list[Span] = []
    for para in paragraphs(text):
        starts = _sentence_starts(text, para.char_start, para.char_end, code)
        for a, b in zip(starts, [*starts[1:], para.char_end], strict=True):
            b = end_before_space(text, a, b)  # a is never whitespace
            spans.append(Span(len(spans), text[a:b], a, b, para.index))
    return spans


def _sentence_starts(text: str, start: int, end: int, language: str) -> list[int]:
    """Absolute offsets where sentences begin in ``text[start:end]`` (a trimmed paragraph), first one included."""
    starts: list[int] = []
    pos = start
    while pos < end:
        cut = _window_end(text, pos, end)
        found = _pysbd_starts(text, pos, cut, language)
        if cut < end and len(found) > 1:
            # the last sentence may run past the window: segment it again at the head of the next one
            starts += found[:-1]
            pos = found[-1]
        else:
            starts += found
            pos = skip_space(text, cut, end)
    return starts


def _window_end(text: str, pos: int, end: int) -> int:
    """End of the next piece for pysbd: ``end`` if close, else a break point near SEGMENT_WINDOW characters on."""
    if end - pos <= SEGMENT_WINDOW:
        return end
    limit = pos + SEGMENT_WINDOW
    last_break = LAST_BREAK.match(text, pos + SEGMENT_WINDOW // 2, limit)
    if last_break:
        return last_break.end()
    # one very long word: don't cut inside it unless it is absurdly long (or the script has no spaces)
    far = min(end, pos + 4 * SEGMENT_WINDOW)
    space = SPACE.search(text, limit, far)
    return space.start() if space else far


def _pysbd_starts(text: str, start: int, end: int, language: str) -> list[int]:
    """Sentence starts pysbd finds in ``text[start:end]``, aligned back onto the original string."""
    piece = text[start:end]
    first = NON_SPACE.search(piece)
    if first is None:
        return []
    starts = [start + first.start()]
    cursor = first.start()
    # a new Segmenter per call: it keeps per-call state, and app handlers run in threads
    for segment in pysbd.Segmenter(language=language, clean=False).segment(piece):
        stripped = segment.strip()
        found = piece.find(stripped, cursor) if stripped else -1
        if found < 0:
            continue  # pysbd changed this text: it stays in the previous sentence
        if start + found > starts[-1]:
            starts.append(start + found)
        cursor = found + len(stripped)
    return starts


def skip_space(text: str, pos: int, end: int | None = None) -> int:
    """The first non-whitespace position in ``text[pos:end]``, or ``end``."""
    end = len(text) if end is None else end
    match = NON_SPACE.search(text, pos, end)
    return match.start() if match else end


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` moved inward past whitespace; None if only whitespace is left."""
    match = NON_SPACE.search(text, start, end)
    if match is None:
        return None
    return match.start(), end_before_space(text, match.start(), end)


def end_before_space(text: str, start: int, end: int) -> int:
    """``end`` moved back past trailing whitespace, never before ``start``."""
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def has_line_break(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether ``text[start:end]`` holds a line or paragraph break."""
    return ANY_LINE_BREAK.search(text, start, len(text) if end is None else end) is not None
