"""What every file format shares: the Document a file is read into, and the reading of its bytes.

A format's reader (see table.py) turns a file into a ``Document``: its ``units`` are the pieces of
text a model should translate (plain-text paragraphs, Markdown text runs, subtitle cue text, Word
paragraphs, record fields), and ``rebuild(translations)`` gives the file back with each unit
replaced by its translation. Structure (code, URLs, link targets, HTML, front matter, cue numbers
and timestamps, paragraph styles) is never part of a unit, so it never reaches the model and comes
back unchanged.

The text formats share one representation, a template: literal text and unit slots, in order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...core.checks import text_arg
from ...core.errors import InputError
from ..segment import paragraphs

# a unit worth sending to a model has at least one letter; "—", "1." or "♪♪" stay as they are
LETTER = re.compile(r"[^\W\d_]")

# (start, end, unit): source[start:end] is replaced by the unit's translation; the unit is what the model sees
Replacement = tuple[int, int, str]


@dataclass(frozen=True)
class Document:
    name: str  # the file's name, for messages
    format: str  # a Format's name (table.py)
    units: tuple[str, ...]  # what the model translates, in document order (repeats kept)
    warnings: tuple[str, ...]  # plain sentences: what rebuild() can't keep (formatting inside a paragraph, ...)
    # translations (one per unit, same order) -> the file's bytes in its own format
    rebuild: Callable[[Sequence[str]], bytes] = field(repr=False, compare=False)


def read_file(path: str | os.PathLike[str], *, max_bytes: int | None = None, name: str | None = None) -> bytes:
    """The bytes of the file at ``path``; a missing, unreadable or too large file is one InputError sentence.

    ``name``: the file's name in messages, when ``path`` is a temporary copy (an upload).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise InputError(f"There is no file to read at {path}.") from None
    if max_bytes is not None:
        check_size(name or path.name, size, max_bytes)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"Can't read {path}: {exc.strerror or exc}.") from None


def check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        shown, limit = _megabytes(size), _megabytes(max_bytes)
        if shown == limit:  # just over the limit: rounded, both would read "10.0 MB"
            shown, limit = f"{size:,} bytes", f"{max_bytes:,} bytes"
        raise InputError(f"{name} is {shown}; files up to {limit} can be translated.")


def _megabytes(size: int) -> str:
    return f"{size:,} bytes" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB"


def plain_units(text: str) -> list[Replacement]:
    """Plain text: one unit per paragraph (blank-line separated), as translate() would cut it."""
    return [(p.char_start, p.char_end, p.text) for p in paragraphs(text) if LETTER.search(p.text)]


# -------------------------------------------------------------------- text files


@dataclass(frozen=True)
class Encoding:
    """How the file's text was stored, so rebuild() stores the translation the same way."""

    bom: bool  # it began with a UTF-8 byte-order mark
    crlf: bool  # every line ended with \r\n (the parsers see \n)


def decode_text(data: bytes, name: str) -> tuple[str, Encoding]:
    """The text of ``data`` (a byte-order mark and CRLF line ends taken off, and noted); not UTF-8: which line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{name} is not UTF-8 text: line {line} has the byte 0x{data[exc.start]:02x}; save the file as UTF-8."
        ) from None
    bom = text.startswith("\ufeff")
    text = text.removeprefix("\ufeff")
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    return (text.replace("\r\n", "\n") if crlf else text), Encoding(bom, crlf)


def check_chars(name: str, text: str, limit: int) -> None:
    """An empty file, a file over ``limit`` characters or binary data: one sentence that names the file."""
    if not text.strip():
        raise InputError(f"{name} is empty.")
    text_arg(f"file {name}", text, limit)


# how a translation is written in a unit's place: (where the unit starts in the text, translation) -> text
Escape = Callable[[int, str], str]
# (start, end, text, units): text[start:end] becomes ``text`` once the translation of any unit starting at one of
# the offsets ``units`` differs from that unit (a reference link's label, written out when its link text changes)
Dependent = tuple[int, int, str, tuple[int, ...]]


def text_document(
    name: str,
    kind: str,
    text: str,
    encoding: Encoding,
    replacements: Sequence[Replacement],
    warnings: Sequence[str] = (),
    escape: Escape | None = None,
    dependents: Sequence[Dependent] = (),
) -> Document:
    """A text file as a template: literal pieces between the replacements, a slot in place of each.

    A slot whose translation equals its unit gets the source's own characters back, so a unit left as
    it is keeps its line breaks, escapes and spacing, byte for byte.
    """
    marks = sorted(
        [(start, end, unit, None) for start, end, unit in replacements]
        + [(start, end, new, set(units)) for start, end, new, units in dependents],
        key=lambda mark: mark[:2],
    )
    pieces: list[str | int] = []  # literal text, or the index of a mark
    pos = 0
    for index, (start, end, _, _) in enumerate(marks):
        if start < pos:
            raise AssertionError("document units overlap")  # a parser bug, never the user's file
        pieces += [text[pos:start], index]
        pos = end
    pieces.append(text[pos:])
    slots = [index for index, mark in enumerate(marks) if mark[3] is None]  # the mark of each unit, in order
    units = tuple(marks[index][2] for index in slots)
    if not units:
        raise InputError(f"{name} has no text to translate.")
    write = escape or (lambda start, translation: translation)

    def rebuild(translations: Sequence[str]) -> bytes:
        if len(translations) != len(units):
            raise ValueError("rebuild() needs one translation per unit.")
        written: dict[int, str] = {}  # mark index -> what takes its place
        changed: set[int] = set()  # where the units whose translation differs start
        for index, translation in zip(slots, translations, strict=True):
            start, end, unit, _ = marks[index]
            if translation == unit:
                written[index] = text[start:end]
            else:
                written[index] = write(start, translation)
                changed.add(start)
        for index, (start, end, new, after) in enumerate(marks):
            if after is not None:
                written[index] = new if after & changed else text[start:end]
        return encode_text("".join(p if isinstance(p, str) else written[p] for p in pieces), encoding)

    return Document(name, kind, units, tuple(warnings), rebuild)


def encode_text(text: str, encoding: Encoding) -> bytes:
    """``text`` stored the way the file it came from was (byte-order mark, line ends)."""
    if encoding.crlf:
        text = text.replace("\n", "\r\n")
    return (("\ufeff" if encoding.bom else "") + text).encode("utf-8")
