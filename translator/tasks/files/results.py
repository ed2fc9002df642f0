"""What translating a file or a corpus gives back."""

from __future__ import annotations

from dataclasses import dataclass

from ...core.results import RunInfo
from ..translation.results import TranslationResult


@dataclass(frozen=True)
class DocumentUnits:
    """A file's translatable units (extract_units), to translate anywhere and put back with merge_units."""

    name: str  # the file's name
    format: str  # text, markdown, srt, vtt, docx, jsonl or tsv
    units: list[str]  # each unit's text as the model would see it, in document order (repeats kept)
    warnings: tuple[str, ...]  # what a merge can't keep (formatting inside a paragraph, a block left as it is)


@dataclass(frozen=True, eq=False)
class DocumentResult(RunInfo):
    name: str  # the uploaded file's name
    format: str  # text, markdown, srt, vtt or docx
    data: bytes  # the translated file, in the same format
    units: tuple[str, ...]  # the texts sent to the model, in document order (repeats kept)
    translations: tuple[str, ...]  # one per unit
    # for the chunk viewer: the distinct units joined by blank lines (``source``), their chunks and translations
    translation: TranslationResult


@dataclass(frozen=True)
class CorpusReport:
    outputs: tuple[str, ...]  # files written, one per input, same order
    units: int  # units in all inputs, repeats included
    distinct: int  # distinct unit texts
    resumed: int  # distinct units whose translation was already in the progress file
    translated: int  # distinct units this run translated
    seconds: float
    warnings: tuple[str, ...]  # the files' and the model's notes, each once
    progress_file: str  # where finished translations were kept while the run went on (removed at the end)
