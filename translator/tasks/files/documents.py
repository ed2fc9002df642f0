"""Files through translate(): extract_units and merge_units, translate_document on them, and translate_groups.

extract_units() takes a file's translatable units out, merge_units() puts translations back: the
workflow of professional translation tools (translate the units anywhere: our models, another
engine, a person). A unit whose translation equals it is written back byte for byte, so
``merge_units(d, f, extract_units(d, f).units) == d`` for every document we accept.

translate_groups() hands many short texts (paragraphs, subtitle cues, rows) to translate() a group
at a time, joined by blank lines, so one call batches them through the model together. A chunk
never crosses a blank line and a chunk's output is the same in any batch, so each text gets
exactly ``translate(text).text``; the group's chunks are split back per text by their offsets.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core.errors import InputError
from ...core.results import Progress, RunInfo, report
from ...core.settings import get_settings
from ...text.formats.base import check_size, read_file
from ...text.formats.table import format_of, parse_document
from ..translation.results import TranslatedChunk, TranslationResult
from ..translation.translate import join_translations, translate
from .results import DocumentResult, DocumentUnits

# texts joined into one translate() call are separated by a blank line: no chunk crosses it
SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Group:
    """One translate() call's worth of texts."""

    indexes: tuple[int, ...]  # positions in the texts given to translate_groups, ascending and contiguous
    translations: tuple[str, ...]  # translate(text).text for each of them
    result: TranslationResult  # translate() of the texts joined by SEPARATOR


def extract_units(
    data: bytes, filename: str, *, field: str = "text", output_field: str = "translation", max_chars: int | None = None
) -> DocumentUnits:
    """The translatable units of a file (its bytes; ``filename``'s extension names the format), in document order.

    Records (.jsonl, .tsv) take ``field`` (a JSON key or TSV column); ``max_chars`` caps a file's characters.
    """
    document = parse_document(_bytes(data), filename, max_chars=max_chars, field=field, output_field=output_field)
    return DocumentUnits(document.name, document.format, list(document.units), document.warnings)


def merge_units(
    data: bytes,
    filename: str,
    translations: Sequence[str],
    *,
    field: str = "text",
    output_field: str = "translation",
) -> bytes:
    """The file with each unit replaced by its translation (one per unit of extract_units, in order).

    A document keeps everything else byte for byte; a record file gets each translation in ``output_field``.
    """
    document = parse_document(_bytes(data), filename, field=field, output_field=output_field)
    if isinstance(translations, str) or len(translations) != len(document.units):
        given = 1 if isinstance(translations, str) else len(translations)
        raise InputError(
            f"{document.name} has {len(document.units):,} units, and {given:,} translations were given; "
            "give one per unit, in the order extract_units lists them."
        )
    if not all(isinstance(t, str) for t in translations):
        raise InputError("Every translation must be text (a string).")
    if list(translations) == list(document.units) and format_of(document.name).in_place:
        return bytes(data)  # nothing changes: the file as it came (a .docx saved again would differ in its zip)
    return document.rebuild(list(translations))


def _bytes(data: object) -> bytes:
    if not isinstance(data, bytes | bytearray):
        raise InputError(f"Give the file's contents as bytes, not {type(data).__name__}.")
    return bytes(data)


def translate_document(
    file: str | os.PathLike[str] | bytes,
    filename: str | None = None,
    *,
    progress: Progress | None = None,
    **options: Any,
) -> DocumentResult:
    """Translate a .txt, .md, .srt, .vtt or .docx file into the same format, structure kept.

    ``file`` is a path or the file's bytes; ``filename`` (required with bytes) names the format by its
    extension. ``options`` are translate()'s (model, num_beams, ...). The settings' upload size and
    characters per file are enforced here, and a file that is not what its name says is one InputError.
    """
    started = time.perf_counter()
    settings = get_settings()
    data, name = read_upload(file, filename, settings.max_upload_bytes)
    format_of(name, documents_only=True)
    extracted = extract_units(data, name, max_chars=settings.max_chars_document)
    distinct = list(dict.fromkeys(extracted.units))  # a repeated cue or cell is translated once
    groups = list(translate_groups(distinct, progress=progress, **options))
    by_text = {text: out for group in groups for text, out in zip_group(distinct, group)}
    translations = tuple(by_text[unit] for unit in extracted.units)
    merged = merge_groups(groups, started)
    run = {f.name: getattr(merged, f.name) for f in dataclasses.fields(RunInfo)}
    run["warnings"] = (*extracted.warnings, *merged.warnings)
    return DocumentResult(
        name=name,
        format=extracted.format,
        data=merge_units(data, name, translations),
        units=tuple(extracted.units),
        translations=translations,
        translation=merged,
        **run,
    )


def read_upload(file: str | os.PathLike[str] | bytes, filename: str | None, max_bytes: int) -> tuple[bytes, str]:
    """The file's bytes and name, refusing more than ``max_bytes`` before reading them."""
    if isinstance(file, bytes | bytearray):
        if not filename:
            raise InputError("Give the file's name with its contents: its extension says its format.")
        name = Path(filename).name
        check_size(name, len(file), max_bytes)
        return bytes(file), name
    name = Path(filename).name if filename else Path(file).name
    return read_file(file, max_bytes=max_bytes, name=name), name


# -------------------------------------------------------------------- groups of texts


def translate_groups(
    texts: Sequence[str], *, max_units: int = sys.maxsize, progress: Progress | None = None, **options: Any
) -> Iterator[Group]:
    """Each text's ``translate(text, **options).text``, a group at a time, in order.

    A group holds at most ``max_units`` texts and, joined, the settings' ``max_chars_translate``
    characters. Texts must be non-blank and without leading or trailing whitespace.
    """
    limit = get_settings().max_chars_translate
    for text in texts:
        if len(text) > limit:
            raise InputError(
                f"One paragraph or row is {len(text):,} characters long (it starts “{text[:40]}…”); "
                f"the limit is {limit:,} (TRANSLATOR_MAX_CHARS_TRANSLATE)."
            )
    total = sum(len(t) for t in texts) or 1
    done = 0
    for indexes in plan_groups(texts, limit, max_units):
        members = [texts[i] for i in indexes]
        size = sum(len(t) for t in members)

        def within(fraction: float, message: str, done: int = done, size: int = size) -> None:
            report(progress, (done + fraction * size) / total, message)

        joined = SEPARATOR.join(members)
        # only the texts are kept: no token confidences (on CTranslate2 they cost a second pass)
        result = translate(joined, progress=within if progress else None, **{"confidences": False, **options})
        yield Group(tuple(indexes), tuple(split_translations(joined, members, result.chunks)), result)
        done += size


def plan_groups(texts: Sequence[str], max_chars: int, max_units: int) -> list[list[int]]:
    """Consecutive indexes of ``texts`` cut so each group, joined, has at most ``max_chars`` characters."""
    groups: list[list[int]] = []
    current: list[int] = []
    chars = 0
    for i, text in enumerate(texts):
        added = len(text) + (len(SEPARATOR) if current else 0)
        if current and (chars + added > max_chars or len(current) == max_units):
            groups.append(current)
            current, added = [], len(text)
            chars = 0
        current.append(i)
        chars += added
    if current:
        groups.append(current)
    return groups


def split_translations(joined: str, members: Sequence[str], chunks: Sequence[TranslatedChunk]) -> list[str]:
    """Each member's translation, from the chunks of translate(joined) that lie inside it."""
    out: list[str] = []
    start = 0
    position = 0
    for text in members:
        end = start + len(text)
        mine = []
        while position < len(chunks) and chunks[position].char_start < end:
            mine.append(chunks[position])
            position += 1
        out.append(join_translations(joined, mine))
        start = end + len(SEPARATOR)
    return out


def zip_group(texts: Sequence[str], group: Group) -> Iterator[tuple[str, str]]:
    """(text, translation) for each text of ``group``."""
    return zip((texts[i] for i in group.indexes), group.translations, strict=True)


def merge_groups(groups: Sequence[Group], started: float) -> TranslationResult:
    """One TranslationResult over all groups: sources joined by SEPARATOR, chunks renumbered and moved.

    Warnings that every group gave (the model's load notes) appear once; those of one group
    (chunk numbers count within it) say which part they are about.
    """
    first = groups[0].result
    chunks: list[TranslatedChunk] = []
    offset = paragraphs = 0
    for group in groups:
        for chunk in group.result.chunks:
            moved = dataclasses.replace(
                chunk,
                index=len(chunks),
                char_start=chunk.char_start + offset,
                char_end=chunk.char_end + offset,
                paragraph=chunk.paragraph + paragraphs,
            )
            chunks.append(moved)
        offset += len(group.result.source) + len(SEPARATOR)
        paragraphs += group.result.chunks[-1].paragraph + 1 if group.result.chunks else 0
    shared = [w for w in first.warnings if all(w in g.result.warnings for g in groups)]
    own = [
        w if len(groups) == 1 else f"Part {number} of {len(groups)}: {w}"
        for number, group in enumerate(groups, 1)
        for w in group.result.warnings
        if w not in shared
    ]
    return dataclasses.replace(
        first,
        text=SEPARATOR.join(t for g in groups for t in g.translations),
        chunks=chunks,
        source=SEPARATOR.join(g.result.source for g in groups),
        batches=sum(g.result.batches for g in groups),
        seconds=time.perf_counter() - started,
        warnings=(*shared, *own),
    )
