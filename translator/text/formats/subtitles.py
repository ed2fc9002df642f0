"""Subtitles (.srt, .vtt): the text of each cue is a unit; numbers, timestamps, cue settings and notes stay as they are.

pysubs2 reads the file first, so a file that isn't valid subtitles is refused with one sentence. The
translation is then written into the file's own text, cue by cue: nothing pysubs2 would normalise
(renumbering, timestamp format, WebVTT cue settings, NOTE and STYLE blocks) changes. Formatting tags
around a cue's whole text (``<i>…</i>``, ``{\\an8}``, ``<v Speaker>``) are kept; tags inside it are
dropped, and a warning says how many cues lost them.
"""

from __future__ import annotations

import re

import pysubs2

from ...core.errors import InputError
from .base import LETTER, Replacement

TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{2}[,.]\d{1,3}"
TIMING = re.compile(rf"[ \t]*{TIMESTAMP}[ \t]+-->[ \t]+{TIMESTAMP}(?:[ \t].*)?")
# HTML-like tags (SRT and WebVTT) and ASS override blocks (some SRT files)
TAG = r"<[^<>\n]*>|\{\\[^{}\n]*\}"
LEADING_TAGS = re.compile(rf"(?:\s*(?:{TAG}))+")
TRAILING_TAGS = re.compile(rf"(?:(?:{TAG})\s*)+\Z")
BLANK_LINES = re.compile(r"\n\s*\n")
NAMES = {"srt": "SRT", "vtt": "WebVTT"}


def subtitle_units(text: str, kind: str, name: str) -> tuple[list[Replacement], list[str]]:
    """One unit per cue (its lines kept), and a warning if tags inside cues had to go."""
    _check(text, kind, name)
    units: list[Replacement] = []
    tagged = 0
    lines = text.split("\n")
    offset = 0
    starts = []
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    for number, line in enumerate(lines):
        if not TIMING.fullmatch(line):
            continue
        last = number
        while last + 1 < len(lines) and lines[last + 1].strip():
            last += 1
        if last == number:
            continue  # a cue without text
        start, end = starts[number + 1], starts[last] + len(lines[last])
        unit, start, end, dropped = _cue_text(text, start, end)
        tagged += dropped
        if LETTER.search(unit):
            units.append((start, end, unit))
    if not units and not any(TIMING.fullmatch(line) for line in lines):
        raise InputError(f"{name} has no cues with timestamps; it is not a valid {NAMES[kind]} file.")
    warnings = (
        [f"{tagged} subtitle cue(s) had formatting tags inside their text; the tags were dropped in the translation."]
        if tagged
        else []
    )
    return units, warnings


def keep_cue_shape(translation: str) -> str:
    """A translation as cue text: a blank line would end the cue, so none is let in."""
    return BLANK_LINES.sub("\n", translation.strip())


def _cue_text(text: str, start: int, end: int) -> tuple[str, int, int, bool]:
    """The cue's text without tags, and the span it replaces (tags around the whole text stay outside it)."""
    head = LEADING_TAGS.match(text, start, end)
    start = head.end() if head else start
    tail = TRAILING_TAGS.search(text[start:end])
    end = start + tail.start() if tail else end
    inner = text[start:end]
    start += len(inner) - len(inner.lstrip())
    end -= len(inner) - len(inner.rstrip())
    plain = re.sub(TAG, "", text[start:end])
    unit = "\n".join(line.strip() for line in plain.split("\n") if line.strip())
    return unit, start, end, plain != text[start:end]


def _check(text: str, kind: str, name: str) -> None:
    try:
        cues = pysubs2.SSAFile.from_string(text, format_=kind)
    except Exception as exc:  # pysubs2 raises many kinds on broken files; all mean the same to the user
        raise InputError(f"{name} is not a valid {NAMES[kind]} file ({exc}).") from None
    if not len(cues):
        raise InputError(f"{name} has no cues with timestamps; it is not a valid {NAMES[kind]} file.")
