"""Parallel corpora for fine-tuning: (source, target) rows from TSV, CSV or JSON lines, and a held-out split.

Every malformed row is reported with its line number, so a user can fix the file:

- TSV: one row per line, fields split on tabs (no quoting: parallel text is full of quotes).
- CSV: the csv module's dialect (quoted fields may span lines; the row's first line is reported).
- JSON lines: one object per line with the two columns as keys, or a ``[source, target]`` list.

TSV and CSV files may start with a header naming the columns; without one, a row is exactly
``source, target``. Rows whose source or target is blank are skipped and counted.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...core.errors import InputError
from .base import decode_text, read_file
from .records import jsonl_lines, tsv_lines

# a training corpus is read as pairs, not translated in place, so it has a table of its own: a .txt
# here is tab-separated pairs, and a .csv is read only here
CORPUS_FORMATS = ("auto", "tsv", "csv", "jsonl")
EXTENSIONS = {
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "tsv",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
DEFAULT_COLUMNS = ("source", "target")


@dataclass(frozen=True)
class Pair:
    source: str
    target: str
    line: int  # 1-based line where the row starts in the file


@dataclass(frozen=True)
class ParallelCorpus:
    path: str
    format: str
    pairs: tuple[Pair, ...]
    rows: int  # data rows read, header and blank lines excluded
    skipped_empty: int  # rows whose source or target is blank


@dataclass(frozen=True)
class ParallelCorpusReport:
    """What became of the corpus rows; goes into the console output and the model card."""

    rows: int
    skipped_empty: int
    skipped_too_long: int
    train: int
    heldout: int
    # training rows dropped because their source is also a held-out source (it would inflate the scores)
    overlap_dropped: int

    def describe(self) -> str:
        return (
            f"{self.rows:,} rows: {self.train:,} for training, {self.heldout:,} held out; "
            f"skipped {self.skipped_empty:,} empty and {self.skipped_too_long:,} too long; "
            f"dropped {self.overlap_dropped:,} training rows repeating a held-out source"
        )


# -------------------------------------------------------------------- reading


def read_parallel(
    path: str | Path, *, source_column: str = "source", target_column: str = "target", format: str = "auto"
) -> ParallelCorpus:
    """The usable (source, target) pairs of a corpus file, in file order."""
    path = Path(path)
    fmt = _format_of(path, format)
    text, _ = decode_text(read_file(path), f"The corpus {path}")
    if not text.strip():
        raise InputError(f"The corpus {path} is empty.")
    columns = (source_column, target_column)
    rows = _jsonl_rows(text, path.name, columns) if fmt == "jsonl" else _table_rows(path, text, fmt, columns)
    pairs: list[Pair] = []
    total = empty = 0
    for line, source, target in rows:
        total += 1
        source, target = source.strip(), target.strip()
        if not (source and target):
            empty += 1
            continue
        pairs.append(Pair(source, target, line))
    if not total:
        raise InputError(f"The corpus {path} has no data rows.")
    if not pairs:
        raise InputError(f"The corpus {path} has no usable rows: all {total:,} have an empty source or target.")
    return ParallelCorpus(str(path), fmt, tuple(pairs), total, empty)


def _format_of(path: Path, format: str) -> str:
    if format not in CORPUS_FORMATS:
        raise InputError(f"Corpus format must be one of {', '.join(CORPUS_FORMATS)}, not {format!r}.")
    if format != "auto":
        return format
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"Can't tell the format of {path.name} from its extension; "
            "use .tsv, .csv or .jsonl, or name the format (tsv, csv, jsonl)."
        )
    return fmt


Row = tuple[int, str, str]  # (line, source, target)


def _jsonl_rows(text: str, filename: str, columns: tuple[str, str]) -> Iterator[Row]:
    for number, record in jsonl_lines(text, filename):
        if record is None:
            continue
        if isinstance(record, list) and len(record) == 2:
            values = record
        elif isinstance(record, dict):
            missing = [name for name in columns if name not in record]
            if missing:
                raise InputError(
                    f"Line {number} has no {missing[0]!r} field; each line needs {columns[0]!r} and {columns[1]!r}."
                )
            values = [record[name] for name in columns]
        else:
            raise InputError(
                f"Line {number} must be a JSON object with {columns[0]!r} and {columns[1]!r} "
                "fields, or a [source, target] list."
            )
        if not all(isinstance(value, str) for value in values):
            raise InputError(f"Line {number}: the source and target must be JSON strings.")
        yield number, values[0], values[1]


def _table_rows(path: Path, text: str, fmt: str, columns: tuple[str, str]) -> Iterator[Row]:
    records = tsv_lines(text) if fmt == "tsv" else _csv_records(text)
    first = next(records, None)
    if first is None:
        return
    line, fields = first
    names = [name.strip() for name in fields]
    if all(column in names for column in columns):
        indexes, width = (names.index(columns[0]), names.index(columns[1])), len(fields)
        what = f"the header has {width}"
    elif columns == DEFAULT_COLUMNS:
        indexes, width = (0, 1), 2
        what = "expected 2: source and target" + (", separated by a tab" if fmt == "tsv" else "")
        records = itertools.chain([first], records)
    else:
        missing = next(column for column in columns if column not in names)
        raise InputError(
            f"Line {line} of {path.name} is not a header with a {missing!r} column "
            f"(it has {', '.join(map(repr, names))})."
        )
    for line, fields in records:
        if not fields or fields == [""]:
            continue  # a blank line
        if len(fields) != width:
            raise InputError(f"Line {line} has {len(fields)} field{'s' * (len(fields) != 1)}; {what}.")
        yield line, fields[indexes[0]], fields[indexes[1]]


def _csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"Line {reader.line_num} is not valid CSV ({exc}).") from None
        yield start, fields
        start = reader.line_num + 1


# -------------------------------------------------------------------- splitting


def split_heldout(
    pairs: Sequence[Pair], *, fraction: float, max_heldout: int, seed: int
) -> tuple[list[Pair], list[Pair], int]:
    """(train, heldout, overlap_dropped): a seeded random held-out set, both in file order.

    Training rows whose source also appears in the held-out set are dropped, so a repeated
    sentence can't make the held-out scores look better than they are.
    """
    if not 0 <= fraction < 1:
        raise InputError(f"The held-out fraction must be at least 0 and below 1, not {fraction}.")
    if max_heldout < 0:
        raise InputError(f"The held-out size limit can't be negative ({max_heldout}).")
    size = min(max_heldout, round(len(pairs) * fraction))
    if fraction > 0 and max_heldout > 0:
        size = max(size, 1)
    order = random.Random(seed).sample(range(len(pairs)), len(pairs))
    held_indexes = set(order[:size])
    heldout = [pair for i, pair in enumerate(pairs) if i in held_indexes]
    held_sources = {pair.source for pair in heldout}
    rest = [pair for i, pair in enumerate(pairs) if i not in held_indexes]
    train = [pair for pair in rest if pair.source not in held_sources]
    if not train:
        raise InputError(
            f"Only {len(pairs)} usable rows: none would be left for training after holding "
            f"out {size}; add rows or lower the held-out fraction."
        )
    return train, heldout, len(rest) - len(train)
