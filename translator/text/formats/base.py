"""Files as translatable units, with everything else kept byte for byte: .txt, .md, .srt, .vtt and .docx.

``parse_document(data, filename)`` reads a file into a ``Document``: its ``units`` are the pieces of
text a model should translate (plain-text paragraphs, Markdown text runs, subtitle cue text, Word
paragraphs), and ``rebuild(translations)`` gives the file back with each unit replaced by its
translation. Structure (code, URLs, link targets, HTML, front matter, cue numbers and timestamps,
paragraph styles) is never part of a unit, so it never reaches the model and comes back unchanged.

The text formats share one representation, a template: literal text and unit slots, in order.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...core.checks import text_arg
from ...core.errors import InputError
from ..segment import paragraphs

FORMATS = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".srt": "srt",
    ".vtt": "vtt",
    ".docx": "docx",
}
# a unit worth sending to a model has at least one letter; "—", "1." or "♪♪" stay as they are
LETTER = re.compile(r"[^\W\d_]")

# (start, end, unit): source[start:end] is replaced by the unit's translation; the unit is what the model sees
Replacement = tuple[int, int, str]


@dataclass(frozen=True)
class Document:
    name: str  # the file's name, for messages
    format: str  # a value of FORMATS
    units: tuple[str, ...]  # what the model translates, in document order (repeats kept)
    warnings: tuple[str, ...]  # plain sentences: what rebuild() can't keep (formatting inside a paragraph, ...)
    # translations (one per unit, same order) -> the file's bytes in its own format
    rebuild: Callable[[Sequence[str]], bytes] = field(repr=False, compare=False)


def format_of(filename: str) -> str:
    """The document format of ``filename`` from its extension; an InputError names the ones supported."""
    kind = FORMATS.get(Path(filename).suffix.lower())
    if kind is None:
        raise InputError(
            f"Can't translate {Path(filename).name or 'a file without a name'}: "
            f"use a {', '.join(sorted(FORMATS))} file."
        )
    return kind


def parse_document(data: bytes, filename: str, *, max_chars: int | None = None) -> Document:
    """``data`` read as the format its ``filename`` says; a file that isn't gets one InputError sentence.

    ``max_chars`` caps the characters of a text file (of a .docx, the characters of its paragraphs).
    """
    name = Path(filename).name
    kind = format_of(name)
    limit = sys.maxsize if max_chars is None else max_chars
    if kind == "docx":
        from .docx import docx_document

        return docx_document(data, name, limit)
    text, encoding = decode_text(data, name)
    check_chars(name, text, limit)
    if kind == "markdown":
        from .markdown import escape_markdown, markdown_units

        replacements, warnings = markdown_units(text)
        escape = escape_markdown
    elif kind in ("srt", "vtt"):
        from .subtitles import keep_cue_shape, subtitle_units

        replacements, warnings = subtitle_units(text, kind, name)
        escape = keep_cue_shape
    else:
        replacements, warnings, escape = plain_units(text), [], None
    if not replacements:
        raise InputError(f"{name} has no text to translate.")
    pieces, units = template(text, replacements)
    return Document(name, kind, units, tuple(warnings), lambda out: fill(pieces, out, encoding, escape))


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
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{name} is not UTF-8 text (line {line} has the byte 0x{data[exc.start]:02x}); save it as UTF-8."
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


def template(text: str, replacements: Sequence[Replacement]) -> tuple[tuple[str | int, ...], tuple[str, ...]]:
    """Literal pieces of ``text`` between the replacements, and a slot (the unit's index) in place of each."""
    pieces: list[str | int] = []
    units: list[str] = []
    pos = 0
    for start, end, unit in sorted(replacements):
        if start < pos:
            raise AssertionError("document units overlap")  # a parser bug, never the user's file
        pieces += [text[pos:start], len(units)]
        units.append(unit)
        pos = end
    pieces.append(text[pos:])
    return tuple(pieces), tuple(units)


def fill(
    pieces: Sequence[str | int],
    translations: Sequence[str],
    encoding: Encoding,
    escape: Callable[[str], str] | None = None,
) -> bytes:
    """The template with each slot holding its unit's translation (escaped for the format), encoded as read."""
    if len(translations) != sum(isinstance(p, int) for p in pieces):
        raise ValueError("rebuild() needs one translation per unit.")
    escape = escape or (lambda unit: unit)
    return encode_text("".join(p if isinstance(p, str) else escape(translations[p]) for p in pieces), encoding)


def encode_text(text: str, encoding: Encoding) -> bytes:
    """``text`` stored the way the file it came from was (byte-order mark, line ends)."""
    if encoding.crlf:
        text = text.replace("\n", "\r\n")
    return (("\ufeff" if encoding.bom else "") + text).encode("utf-8")
