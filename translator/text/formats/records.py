"""Records (.jsonl: a field to translate, a field to write; .tsv: columns), the one JSONL/TSV line reader, units files.

One unit per row: the row's ``field`` (a JSON key, or the TSV column of that header name; a TSV
without such a header translates its first column). ``rebuild`` writes every row back in order
with the translation in ``output_field`` (a JSON key; a TSV column added at the end, or replaced
if the header already has it). Blank values are not sent to the model and get an empty translation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from ...core.errors import InputError
from .base import Document, Encoding, decode_text, encode_text


def jsonl_lines(text: str, name: str) -> Iterator[tuple[int, Any]]:
    """(line number, its JSON value) for each line of ``text``; a blank line gives None."""
    for number, line in enumerate(text.removesuffix("\n").split("\n"), start=1):
        if not line.strip():
            yield number, None
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"Line {number} of {name} is not valid JSON ({exc.msg}).") from None


def tsv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, tab-separated fields) for each line; the final newline ends the last line, it starts none."""
    for number, line in enumerate(text.removesuffix("\n").split("\n"), start=1):
        yield number, line.split("\t")


def read_records(data: bytes, name: str, kind: str, field: str, output_field: str) -> Document:
    """A .jsonl (``kind`` "jsonl") or .tsv file: one unit per row, its ``field``."""
    text, encoding = decode_text(data, name)
    if not text.strip():
        raise InputError(f"{name} is empty.")
    reader = _jsonl if kind == "jsonl" else _tsv
    return reader(text, encoding, name, field, output_field)


def _jsonl(text: str, encoding: Encoding, name: str, field: str, output_field: str) -> Document:
    rows: list[dict | None] = []  # None: a blank line, kept
    values: list[str] = []
    for number, record in jsonl_lines(text, name):
        if record is None:
            rows.append(None)
            continue
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
    lines = [fields for _, fields in tsv_lines(text)]
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


# -------------------------------------------------------------------- units files (extract and merge)


def units_file(units: Sequence[str]) -> bytes:
    """A file's units as JSON lines, ``{"text": unit}`` each, for ``python -m translator extract``."""
    return "".join(json.dumps({"text": unit}, ensure_ascii=False) + "\n" for unit in units).encode("utf-8")


def read_units_file(data: bytes, name: str) -> list[str]:
    """The translations of a units file, in order: each line's "translation", or its "text" if it has none."""
    text, _ = decode_text(data, name)
    out = []
    for number, record in jsonl_lines(text, name):
        if record is None:
            continue
        value = record.get("translation", record.get("text")) if isinstance(record, dict) else None
        if not isinstance(value, str):
            raise InputError(f'Line {number} of {name} needs a "translation" (or "text") string.')
        out.append(value)
    return out
