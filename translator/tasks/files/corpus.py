"""translate_corpus(): files on disk through the model, resumable: ``python -m translator translate``.

Every input (.txt, .md, .srt, .vtt, .docx, .jsonl, .tsv) is read into units first. The distinct
unit texts the progress file doesn't hold yet are translated a group at a time, in this process
(translate_groups) or on Ray (ray.py); after each group its translations are appended to
the progress file and fsync'ed, so Ctrl-C loses at most the group in flight, and a re-run with the
same settings translates only what is missing. Outputs are written (atomically) when every unit is
done; then the progress file is removed. Each unit's translation is ``translate(unit).text``, the
same as the app's for the same text and settings.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ...core.errors import InputError
from ...text.formats.base import Document, read_file
from ...text.formats.table import format_of, parse_document
from .documents import translate_groups
from .progress_log import ProgressLog
from .results import CorpusReport

# units per translate() call: the progress file is written after each, so an interrupt loses at most
# this many; enough to fill the model's batches (make_batches takes up to 64 rows)
GROUP_UNITS = 64
# units per Ray Data batch: one actor call, one progress-file write
RAY_BATCH_UNITS = 64

# (units done, of all distinct units): called at the start and after each group is saved
OnProgress = Callable[[int, int], None]


def progress_path(output: str | os.PathLike[str]) -> Path:
    """The progress file of a run writing to ``output`` (a file or a folder): beside it."""
    path = Path(output)
    return path.with_name(path.name.rstrip("/") + ".progress.jsonl")


def output_paths(inputs: Sequence[Path], output: str | os.PathLike[str]) -> list[Path]:
    """Where each translation goes: ``output`` itself for one input (unless it names a folder), else inside it."""
    folder = Path(output)
    if len(inputs) == 1 and not folder.is_dir() and not str(output).endswith(("/", os.sep)):
        targets = [folder]
    else:
        targets = [folder / path.name for path in inputs]
        if len(set(targets)) < len(targets):
            raise InputError("Two inputs have the same file name; their translations would overwrite each other.")
    for source, target in zip(inputs, targets, strict=True):
        if target.resolve() == source.resolve():
            raise InputError(f"The output {target} is the input itself; choose another output.")
        if target.suffix.lower() != source.suffix.lower():
            raise InputError(f"The output {target} must keep the input's extension ({source.suffix}).")
    return targets


def read_input(path: Path, field: str, output_field: str) -> Document:
    format_of(path.name)  # an unknown extension is refused before the file is read
    return parse_document(read_file(path), path.name, field=field, output_field=output_field)


def translate_corpus(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    field: str = "text",
    output_field: str = "translation",
    ray_address: str | None = None,
    ray_actors: int = 2,
    on_progress: OnProgress | None = None,
    **options: Any,
) -> CorpusReport:
    """Translate every input into ``output`` (a file for one input, else a folder), resuming an interrupted run.

    ``options`` are translate()'s (model, num_beams, engine, ...). ``ray_address`` runs the units
    through Ray Data ("local" starts a Ray on this machine; an address joins that cluster) with
    ``ray_actors`` actors, each loading the model once.
    """
    started = time.perf_counter()
    paths = [Path(p) for p in inputs]
    if not paths:
        raise InputError("Name at least one file to translate.")
    targets = output_paths(paths, output)
    documents = [read_input(path, field, output_field) for path in paths]
    distinct = list(dict.fromkeys(unit for doc in documents for unit in doc.units))
    log = ProgressLog(progress_path(output), {key: _plain(value) for key, value in sorted(options.items())})
    pending = [unit for unit in distinct if log.translation(unit) is None]
    resumed = len(distinct) - len(pending)
    warnings = [note for doc in documents for note in doc.warnings]
    if log.discarded:
        warnings.append(
            f"The progress file held {log.discarded:,} finished units made with other settings, or after a settings "
            f"line cut short; they are kept in {log.set_aside} and were translated again."
        )
    if on_progress:
        on_progress(resumed, len(distinct))
    batches = (
        _on_ray(pending, ray_address, ray_actors, options) if ray_address else _in_process(pending, warnings, options)
    )
    done = resumed
    for finished in batches:
        log.add(finished)
        done += len(finished)
        if on_progress:
            on_progress(done, len(distinct))
    for document, target in zip(documents, targets, strict=True):
        _write_atomically(target, document.rebuild([log.translation(unit) or "" for unit in document.units]))
    log.remove()
    return CorpusReport(
        outputs=tuple(str(t) for t in targets),
        units=sum(len(doc.units) for doc in documents),
        distinct=len(distinct),
        resumed=resumed,
        translated=len(pending),
        seconds=time.perf_counter() - started,
        warnings=tuple(dict.fromkeys(warnings)),
        progress_file=str(log.path),
    )


def _in_process(texts: Sequence[str], warnings: list[str], options: dict[str, Any]) -> Iterator[list[tuple[str, str]]]:
    """Groups through translate(); ``warnings`` gets the model's notes and one count of flagged chunks."""
    chunks = flagged = 0
    clean: list[str] = []  # warnings of groups without a flagged chunk: only the model's notes (engine, precision)
    common: set[str] | None = None  # warnings every group gave, in case no group was clean
    for group in translate_groups(texts, max_units=GROUP_UNITS, **options):
        found = sum(bool(chunk.flags) for chunk in group.result.chunks)
        chunks, flagged = chunks + len(group.result.chunks), flagged + found
        clean += [] if found else [w for w in group.result.warnings if w not in clean]
        common = set(group.result.warnings) if common is None else common & set(group.result.warnings)
        yield [(texts[i], out) for i, out in zip(group.indexes, group.translations, strict=True)]
    warnings += clean or sorted(common or ())
    if flagged:
        warnings.append(
            f"{flagged} of {chunks} chunks were flagged as possibly incomplete (cut short, or much shorter or "
            "longer than their source); the Translate tab shows why for a given text."
        )


def _on_ray(
    texts: Sequence[str], address: str, actors: int, options: dict[str, Any]
) -> Iterator[list[tuple[str, str]]]:
    if not texts:
        return
    from .ray import translate_on_ray

    for indexes, translations in translate_on_ray(texts, address, actors, RAY_BATCH_UNITS, options):
        yield [(texts[i], out) for i, out in zip(indexes, translations, strict=True)]


def _plain(value: Any) -> Any:
    """An option as JSON can store it, so the progress file can say which settings it was made with."""
    return value if value is None or isinstance(value, str | int | float | bool) else repr(value)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename: never a half-written output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
