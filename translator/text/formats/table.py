"""The format table: every file the translator reads and writes, by extension, and the one way to read one.

A document format (.txt, .md, .srt, .vtt, .docx) is translated in place: each unit's translation
replaces it, everything else stays, and a unit whose translation equals it comes back byte for
byte. A record format (.jsonl, .tsv) keeps every row and writes the translation into a field of
its own (``output_field``). Parallel corpora for fine-tuning are pairs, not files to translate:
parallel.py reads them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...core.errors import InputError
from .base import Document, check_chars, decode_text, plain_units, text_document


@dataclass(frozen=True)
class ReadOptions:
    max_chars: int  # characters of text a file may hold
    field: str  # records: the JSON key or TSV column to translate
    output_field: str  # records: the JSON key or TSV column the translation goes into


@dataclass(frozen=True)
class Format:
    name: str
    in_place: bool  # a document: translations replace the units (the app's uploads); False: records
    read: Callable[[bytes, str, ReadOptions], Document] = field(repr=False, compare=False)


def _text(data: bytes, name: str, options: ReadOptions) -> Document:
    text, encoding = decode_text(data, name)
    check_chars(name, text, options.max_chars)
    return text_document(name, "text", text, encoding, plain_units(text))


def _markdown(data: bytes, name: str, options: ReadOptions) -> Document:
    from .markdown import markdown_units

    text, encoding = decode_text(data, name)
    check_chars(name, text, options.max_chars)
    replacements, warnings, escape, labels = markdown_units(text)
    return text_document(name, "markdown", text, encoding, replacements, warnings, escape, labels)


def _subtitles(kind: str) -> Callable[[bytes, str, ReadOptions], Document]:
    def read(data: bytes, name: str, options: ReadOptions) -> Document:
        from .subtitles import keep_cue_shape, subtitle_units

        text, encoding = decode_text(data, name)
        check_chars(name, text, options.max_chars)
        replacements, warnings = subtitle_units(text, kind, name)
        return text_document(name, kind, text, encoding, replacements, warnings, lambda _, t: keep_cue_shape(t))

    return read


def _docx(data: bytes, name: str, options: ReadOptions) -> Document:
    from .docx import docx_document

    return docx_document(data, name, options.max_chars)


def _records(kind: str) -> Callable[[bytes, str, ReadOptions], Document]:
    def read(data: bytes, name: str, options: ReadOptions) -> Document:
        from .records import read_records

        return read_records(data, name, kind, options.field, options.output_field)

    return read


FORMATS = {
    ".txt": Format("text", True, _text),
    ".md": Format("markdown", True, _markdown),
    ".markdown": Format("markdown", True, _markdown),
    ".srt": Format("srt", True, _subtitles("srt")),
    ".vtt": Format("vtt", True, _subtitles("vtt")),
    ".docx": Format("docx", True, _docx),
    ".jsonl": Format("jsonl", False, _records("jsonl")),
    ".tsv": Format("tsv", False, _records("tsv")),
}
DOCUMENTS = sorted(extension for extension, kind in FORMATS.items() if kind.in_place)


def format_of(filename: str, *, documents_only: bool = False) -> Format:
    """The format of ``filename`` from its extension; an InputError names the ones supported."""
    accepted = DOCUMENTS if documents_only else sorted(FORMATS)
    extension = Path(filename).suffix.lower()
    if extension not in accepted:
        raise InputError(
            f"Can't translate {Path(filename).name or 'a file without a name'}: use a {', '.join(accepted)} file."
        )
    return FORMATS[extension]


def parse_document(
    data: bytes,
    filename: str,
    *,
    max_chars: int | None = None,
    field: str = "text",
    output_field: str = "translation",
    documents_only: bool = False,
) -> Document:
    """``data`` read as the format its ``filename`` says; a file that isn't gets one InputError sentence.

    ``max_chars`` caps the characters of a text file (of a .docx, the characters of its paragraphs).
    ``documents_only`` refuses record files (the app's uploads).
    """
    name = Path(filename).name
    kind = format_of(name, documents_only=documents_only)
    limit = sys.maxsize if max_chars is None else max_chars
    return kind.read(data, name, ReadOptions(limit, field, output_field))
