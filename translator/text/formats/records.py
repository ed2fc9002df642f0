"""Corpora of records for the command line: .jsonl (a field to translate, a field to write) and .tsv (columns).

One unit per row: the row's ``field`` (a JSON key, or the TSV column of that header name; a TSV
without such a header translates its first column). ``rebuild`` writes every row back in order
with the translation in ``output_field`` (a JSON key; a TSV column added at the end, or replaced
if the header already has it). Blank values are not sent to the model and get an empty translation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ...core.errors import InputError
from .base import Document, Encoding, decode_text, encode_text

RECORD_FORMATS = {".jsonl": "jsonl", ".tsv": "tsv"}


def parse_records(data: bytes, filename: str, *, field: str = "text", output_field: str = "translation") -> Document:
    name = Path(filename).name
    kind = RECORD_FORMATS.get(Path(name).suffix.lower())
    if kind is None:
        raise InputError(f"{name} is not a record file; use .jsonl or .tsv.")
    text, encoding = decode_text(data, name)
    if not text.strip():
        raise InputError(f"{name} is empty.")
    reader = _jsonl if kind == "jsonl" else _tsv
    return reader(text, encoding, name, field, output_field)


def _jsonl(text: str, encoding: Encoding, name: str, field: str, output_field: str) -> Document:
    rows: list[dict | None] = []  # None: a blank line, kept
    values: list[str] = []
    for number, line in enumerate(text.removesuffix("\n").split("\n"), start=1):
        if not line.strip():
            rows.append(None)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"Line {number} of {name} is not valid JSON ({exc.msg}).") from None
        if not isinstance(record, dict) or not isinstance(record.get(field), str):
            raise InputError(
                f"Line {number} of {name} has no text field {field!r} (a JSON string); name it with --field."
            )
        rows.append(record)
        values.append(record[field])
    units, slots = _units(values)

    def rebuild(translations: Sequence[str]) -> bytes:
        out = iter(_per_row(slots, translations))
        lines = [
            "" if row is None else json.dumps({**row, output_field: next(out)}, ensure_ascii=False) for row in rows
        ]
        return encode_text("\n".join(lines) + "\n", encoding)

    return Document(name, "jsonl", units, (), rebuild)


def _tsv(text: str, encoding: Encoding, name: str, field: str, output_field: str) -> Document:
    lines = [line.split("\t") for line in text.removesuffix("\n").split("\n")]
    header = lines[0] if field in lines[0] else None
    column = header.index(field) if header else 0
    body = lines[1:] if header else lines
    values: list[str] = []
    for number, fields in enumerate(body, start=2 if header else 1):
        if fields != [""] and len(fields) <= column:
            raise InputError(f"Line {number} of {name} has no column {column + 1} ({field!r}).")
        values.append("" if fields == [""] else fields[column])
    units, slots = _units(values)
    # the translation goes into the output column: the header's, if it names one, else a new last column
    target = header.index(output_field) if header and output_field in header else None

    def put(fields: list[str], value: str) -> str:
        value = " ".join(value.split())  # a tab or line break inside would start a new column or row
        if target is None:
            return "\t".join([*fields, value])
        return "\t".join([*fields[:target], value, *fields[target + 1 :]])

    def rebuild(translations: Sequence[str]) -> bytes:
        out = _per_row(slots, translations)
        rows = [put(fields, value) if fields != [""] else "" for fields, value in zip(body, out, strict=True)]
        head = [put(header, output_field)] if header else []
        return encode_text("\n".join([*head, *rows]) + "\n", encoding)

    return Document(name, "tsv", units, (), rebuild)


def _units(values: Sequence[str]) -> tuple[tuple[str, ...], list[int | None]]:
    """The non-blank values (stripped) as units, and each row's unit index (None for a blank value)."""
    units: list[str] = []
    slots: list[int | None] = []
    for value in values:
        if value.strip():
            slots.append(len(units))
            units.append(value.strip())
        else:
            slots.append(None)
    return tuple(units), slots


def _per_row(slots: Sequence[int | None], translations: Sequence[str]) -> list[str]:
    if len(translations) != sum(slot is not None for slot in slots):
        raise ValueError("rebuild() needs one translation per unit.")
    return ["" if slot is None else translations[slot] for slot in slots]
