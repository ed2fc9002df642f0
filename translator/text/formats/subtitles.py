"""Subtitles (.srt, .vtt): the text of each cue is a unit; numbers, timestamps, cue settings and notes stay as they are.

pysubs2 reads the file first, so a file that isn't valid subtitles is refused with one sentence, and
cues are found by pysubs2's own rule: a timing line is any line where pysubs2's timestamp pattern
matches twice (``00:00:01,000-->00:00:02,000``, ``0:01:00,00 --> 0:02:00,00``, a ``-`` before a time).
The translation is then written into the file's own text, cue by cue: nothing pysubs2 would normalise
(renumbering, timestamp format, WebVTT cue settings, NOTE and STYLE blocks) changes.

A cue's text runs from its timing line to the next blank line or timing line (yt-dlp captions have
no blank line between cues); a digits-only line just before a timing line is the next cue's number,
as pysubs2 reads it, and in WebVTT a line after a blank line just before one is the cue's identifier.

Tags: those around a cue's whole text (``<i>…</i>``, ``{\\an8}``, ``<v Speaker>``) stay, as long as
each one's partner stays too; all other tags of the cue are dropped and the cue is translated as one
text (a cue is a line or two: translating the pieces between tags apart would break its grammar, and
karaoke timestamps would cut it word by word). So no closing tag ever loses its opening one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pysubs2
from pysubs2.formats.subrip import SubripFormat
from pysubs2.formats.webvtt import WebVTTFormat

from ...core.errors import InputError
from .base import LETTER, Replacement

# pysubs2's own timestamp patterns: a line where one matches twice is a timing line, as pysubs2 reads it
STAMP = {"srt": SubripFormat.TIMESTAMP, "vtt": WebVTTFormat.TIMESTAMP}
# HTML-like tags (SRT and WebVTT) and ASS override blocks (some SRT files)
TAG = re.compile(r"<[^<>\n]*>|\{\\[^{}\n]*\}")
# an HTML-like tag's name and whether it closes; ``<c.yellow>`` is a ``c``, ``< /  i >`` closes an ``i``
TAG_NAME = re.compile(r"<\s*(/?)\s*([^\s./<>]*)")
NUMBER = re.compile(r"\s*\d+\s*")  # a cue number line, as pysubs2 recognises one
BLANK_LINES = re.compile(r"\n\s*\n")
NAMES = {"srt": "SRT", "vtt": "WebVTT"}
# WebVTT blocks between cues that hold no cue text
VTT_BLOCKS = re.compile(r"\s*(?:NOTE|STYLE|REGION)(?:\s|$)")
NAMED = 5  # cues listed by name in one warning; the rest are counted


def subtitle_units(text: str, kind: str, name: str) -> tuple[list[Replacement], list[str]]:
    """One unit per cue (its lines kept), and warnings naming cues whose tags or text could not all be kept."""
    _check(text, kind, name)
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    timing = [i for i, line in enumerate(lines) if len(STAMP[kind].findall(line)) == 2]
    units: list[Replacement] = []
    tagged: list[str] = []
    left: list[str] = []
    for number, first in enumerate(timing):
        end = _body_end(lines, first, timing[number + 1] if number + 1 < len(timing) else len(lines), kind)
        top = first + 1
        while top < end and not lines[top].strip():
            top += 1  # pysubs2 strips blank lines before the text
        bottom = top
        while bottom < end and lines[bottom].strip():
            bottom += 1
        cue = f"cue {number + 1} ({next(STAMP[kind].finditer(lines[first])).group(0)})"
        if bottom > top:
            replacement, dropped = _cue_text(text, starts[top], starts[bottom] - 1)
            units += [replacement] if replacement else []
            tagged += [cue] if dropped and replacement else []
        if _more_text(lines[bottom:end], kind):
            left.append(cue)
    warnings = []
    if tagged:
        warnings.append(
            f"{len(tagged)} subtitle cue(s) had formatting tags inside their text ({_list(tagged)}); "
            "those tags were dropped in the translation, and tags around a whole cue stay."
        )
    if left:
        warnings.append(
            f"{len(left)} subtitle cue(s) of {name} have more text after a blank line ({_list(left)}); "
            "that text was left untranslated."
        )
    return units, warnings


def keep_cue_shape(translation: str) -> str:
    """A translation as cue text: a blank line would end the cue, so none is let in."""
    return BLANK_LINES.sub("\n", translation.strip())


def _body_end(lines: Sequence[str], first: int, following: int, kind: str) -> int:
    """Where the text after timing line ``first`` ends: before ``following`` (the next timing line) and its label."""
    label = following - 1
    if following == len(lines) or label <= first or not lines[label].strip():
        return following
    if NUMBER.fullmatch(lines[label]) or (kind == "vtt" and label - 1 > first and not lines[label - 1].strip()):
        return label
    return following


def _more_text(rest: Sequence[str], kind: str) -> bool:
    """Whether lines after the cue's text (pysubs2 reads them into the cue) hold text that stays untranslated."""
    blocks = [block for block in BLANK_LINES.split("\n".join(rest)) if block.strip()]
    if kind == "vtt":
        blocks = [block for block in blocks if not VTT_BLOCKS.match(block)]
    return any(LETTER.search(TAG.sub("", block)) for block in blocks)


def _cue_text(text: str, start: int, end: int) -> tuple[Replacement | None, bool]:
    """The unit replacing the cue text ``text[start:end]`` (None without letters), and whether tags were dropped.

    A cue whose lines are each wrapped in the same tags (``<i>one</i>\\n<i>two</i>``) is read as
    wrapped as a whole: the translation gets those tags once, around all its lines, and looks the same.
    """
    span_start, span_end, dropped = _unwrap(text, start, end)
    if dropped and "\n" in text[start:end]:
        spans, position = [], start
        for line in text[start:end].split("\n"):
            spans.append((position, position + len(line)))
            position += len(line) + 1
        lines = [_unwrap(text, a, b) for a, b in spans]
        looks = {
            (tuple(TAG.findall(text[a:s])), tuple(TAG.findall(text[e:b])))
            for (a, b), (s, e, _) in zip(spans, lines, strict=True)
        }
        if len(looks) == 1 and not any(lost for _, _, lost in lines):
            span_start, span_end, dropped = lines[0][0], lines[-1][1], False
    plain = TAG.sub("", text[span_start:span_end])
    unit = "\n".join(line.strip() for line in plain.split("\n") if line.strip())
    if not LETTER.search(unit):
        return None, False
    return (span_start, span_end, unit), dropped


def _unwrap(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """The span of ``text[start:end]`` inside the tags that wrap it, and whether tags inside it are dropped.

    A wrapping tag whose partner lies inside the text goes with it, so the kept ones stay balanced.
    """
    tags = list(TAG.finditer(text, start, end))
    head = 0  # tags[:head] wrap the text's start
    while head < len(tags) and not text[tags[head - 1].end() if head else start : tags[head].start()].strip():
        head += 1
    tail = len(tags)  # tags[tail:] wrap its end
    while tail > head and not text[tags[tail - 1].end() : tags[tail].start() if tail < len(tags) else end].strip():
        tail -= 1
    partner = _partners([t.group(0) for t in tags])
    while True:  # drop kept tags whose partner isn't kept, until none is left
        cut_head = next((i for i in range(head) if head <= partner.get(i, 0) < tail), head)
        cut_tail = max((i + 1 for i in range(tail, len(tags)) if head <= partner.get(i, head - 1) < tail), default=tail)
        if (cut_head, cut_tail) == (head, tail):
            break
        head, tail = cut_head, cut_tail
    span_start = tags[head - 1].end() if head else start
    span_end = tags[tail].start() if tail < len(tags) else end
    source = text[span_start:span_end]
    span_start += len(source) - len(source.lstrip())
    span_end -= len(source) - len(source.rstrip())
    return span_start, max(span_start, span_end), tail > head


def _partners(tags: Sequence[str]) -> dict[int, int]:
    """Opening and closing HTML-like tags matched by name, both ways (index -> index of its partner)."""
    partner: dict[int, int] = {}
    open_tags: list[tuple[str, int]] = []
    for index, tag in enumerate(tags):
        match = TAG_NAME.match(tag)
        if not match or not match.group(2) or match.group(2)[0].isdigit() or tag.endswith("/>"):
            continue  # ASS overrides, WebVTT timestamps and self-closing tags stand alone
        closing, tag_name = match.group(1), match.group(2).lower()
        if not closing:
            open_tags.append((tag_name, index))
            continue
        for depth in range(len(open_tags) - 1, -1, -1):
            if open_tags[depth][0] == tag_name:
                opening = open_tags[depth][1]
                partner[opening], partner[index] = index, opening
                del open_tags[depth:]  # tags opened inside it and never closed stay unmatched
                break
    return partner


def _list(cues: Sequence[str]) -> str:
    more = f" and {len(cues) - NAMED} more" if len(cues) > NAMED else ""
    return ", ".join(cues[:NAMED]) + more


def _check(text: str, kind: str, name: str) -> None:
    try:
        cues = pysubs2.SSAFile.from_string(text, format_=kind)
    except Exception as exc:  # pysubs2 raises many kinds on broken files; all mean the same to the user
        raise InputError(f"{name} is not a valid {NAMES[kind]} file ({exc}).") from None
    if not len(cues):
        raise InputError(f"{name} has no cues with timestamps; it is not a valid {NAMES[kind]} file.")
