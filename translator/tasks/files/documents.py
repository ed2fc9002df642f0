"""Files through translate(): the Translate tab's upload (translate_document) and the CLI's corpora (translate_groups).

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
from ...text.formats.base import parse_document
from ..translation.results import TranslatedChunk, TranslationResult
from ..translation.translate import join_translations, translate
from .results import DocumentResult

# texts joined into one translate() call are separated by a blank line: no chunk crosses it
SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Group:
    """One translate() call's worth of texts."""

    indexes: tuple[int, ...]  # positions in the texts given to translate_groups, ascending and contiguous
    translations: tuple[str, ...]  # translate(text).text for each of them
    result: TranslationResult  # translate() of the texts joined by SEPARATOR


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
    document = parse_document(data, name, max_chars=settings.max_chars_document)
    distinct = list(dict.fromkeys(document.units))  # a repeated cue or cell is translated once
    groups = list(translate_groups(distinct, progress=progress, **options))
    by_text = {text: out for group in groups for text, out in zip_group(distinct, group)}
    translations = tuple(by_text[unit] for unit in document.units)
    merged = merge_groups(groups, started)
    run = {f.name: getattr(merged, f.name) for f in dataclasses.fields(RunInfo)}
    run["warnings"] = (*document.warnings, *merged.warnings)
    return DocumentResult(
        name=name,
        format=document.format,
        data=document.rebuild(translations),
        units=document.units,
        translations=translations,
        translation=merged,
        **run,
    )


def read_upload(file: str | os.PathLike[str] | bytes, filename: str | None, max_bytes: int) -> tuple[bytes, str]:
    """The file's bytes and name, refusing more than ``max_bytes`` before reading them."""
    if isinstance(file, bytes | bytearray):
        if not filename:
            raise InputError("Give the file's name with its contents: its extension says its format.")
        name, size = Path(filename).name, len(file)
    else:
        path = Path(file)
        name = Path(filename).name if filename else path.name
        try:
            size = path.stat().st_size
        except OSError:
            raise InputError(f"There is no file to read at {path}.") from None
    if size > max_bytes:
        raise InputError(f"{name} is {_megabytes(size)}; files up to {_megabytes(max_bytes)} can be translated.")
    if isinstance(file, bytes | bytearray):
        return bytes(file), name
    try:
        return Path(file).read_bytes(), name
    except OSError as exc:
        raise InputError(f"Can't read {name}: {exc.strerror or exc}.") from None


def _megabytes(size: int) -> str:
    return f"{size:,} bytes" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB"


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
        result = translate(joined, progress=within if progress else None, **options)
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
