"""Omission flags: signs that a translated chunk lost part of its source, and the sentence-by-sentence retry.

A chunk is flagged when its best translation
- has fewer sentences than its source ("sentence_count"; the source's as the whole text was cut, the
  output segmented in the target language),
- is much shorter or longer than its source in characters ("length_ratio"; the band is a setting), or
- stopped before the model ended it ("truncated").
The flags are hints, not verdicts: a translation may merge two short sentences faithfully. They say
where to look; Compare and the coverage check (coverage.py) say more. Their wording: results.FLAG_TEXTS.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence

from ...core.settings import get_settings
from ...text.chunking import Chunk
from ...text.segment import Span, sentences
from .results import LENGTH_RATIO, SENTENCE_COUNT, TRUNCATED, TranslatedChunk

# below this many source characters the ratio is noise ("OK." -> "In Ordnung." is 3.7x): no length flag
MIN_RATIO_CHARS = 20
# the warning names at most this many chunks
MAX_LISTED = 10


def length_ratio(source: str, output: str) -> float:
    """Non-whitespace characters of ``output`` per non-whitespace character of ``source``."""
    return _chars(output) / max(1, _chars(source))


def _chars(text: str) -> int:
    return sum(not c.isspace() for c in text)


def sentences_inside(chunk: Chunk, spans: Sequence[Span]) -> int:
    """How many of the text's sentences (``spans``, in order) lie wholly inside ``chunk``; 0 for a piece of one."""
    k = bisect.bisect_left([s.char_start for s in spans], chunk.char_start)
    count = 0
    while k < len(spans) and spans[k].char_end <= chunk.char_end:
        count, k = count + 1, k + 1
    return count


def omission_flags(
    source: str, output: str, *, source_sentences: int, truncated: bool, target_language: str
) -> tuple[str, ...]:
    """The flags of one chunk's best translation. ``source_sentences``: the sentences the chunk holds, as the
    whole text was segmented (0 for a piece of a cut sentence: nothing to count)."""
    flags = []
    if output_sentences(output, source_sentences, target_language) < source_sentences:
        flags.append(SENTENCE_COUNT)
    settings = get_settings()
    ratio = length_ratio(source, output)
    if _chars(source) >= MIN_RATIO_CHARS and not settings.min_length_ratio <= ratio <= settings.max_length_ratio:
        flags.append(LENGTH_RATIO)
    if truncated:
        flags.append(TRUNCATED)
    return tuple(flags)


def output_sentences(output: str, expected: int, language: str) -> int:
    """Sentences of ``output`` in ``language``; where one is expected, only whether there is any (no segmenter
    run: sentence by sentence, that is every chunk)."""
    if expected <= 1:
        return int(_chars(output) > 0)
    return len(sentences(output, language))


def flag_warning(chunks: Sequence[TranslatedChunk], packed: bool) -> str | None:
    """One sentence naming the flagged chunks (1-based) and why, or None when none is flagged. It advises a retry
    only while one may help (after a retry, the chunks it redid hold one sentence each)."""
    flagged = [c for c in chunks if c.flags]
    if not flagged:
        return None
    listed = "; ".join(f"chunk {c.index + 1}: {', '.join(c.flag_notes)}" for c in flagged[:MAX_LISTED])
    more = f"; and {len(flagged) - MAX_LISTED} more" if len(flagged) > MAX_LISTED else ""
    advice = (
        "translate them again sentence by sentence, or compare them with the source"
        if packed and any(c.retryable for c in flagged)
        else "compare them with the source"
    )
    return f"{len(flagged)} of {len(chunks)} chunks may be missing part of their source ({listed}{more}): {advice}."


# -------------------------------------------------------------------- retry


def retry_plan(chunks: Sequence[TranslatedChunk], singles: Sequence[Chunk]) -> dict[int, list[Chunk]]:
    """Retryable chunks (flagged, of several sentences), each mapped to its one-sentence chunks from ``singles``
    (a ``pack=False`` plan of the same text, whose chunks nest inside packed ones)."""
    plan = {}
    for chunk in chunks:
        if not chunk.retryable:
            continue
        inside = [s for s in singles if chunk.char_start <= s.char_start and s.char_end <= chunk.char_end]
        if len(inside) > 1:
            plan[chunk.index] = inside
    return plan


def merged(
    chunks: Sequence[TranslatedChunk], plan: dict[int, list[Chunk]], redone: Sequence[TranslatedChunk]
) -> list[TranslatedChunk]:
    """``chunks`` with each planned chunk replaced by its re-translated sentences, renumbered in document order."""
    by_index = {c.index: c for c in redone}
    out: list[TranslatedChunk] = []
    for chunk in chunks:
        out += [by_index[s.index] for s in plan[chunk.index]] if chunk.index in plan else [chunk]
    return [dataclasses.replace(c, index=k) for k, c in enumerate(out)]


def retry_note(numbers: Sequence[int]) -> str:
    """One sentence saying which (1-based, packed-plan) chunks were translated again sentence by sentence."""
    listed = ", ".join(str(n) for n in numbers[:MAX_LISTED]) + (" …" if len(numbers) > MAX_LISTED else "")
    return (
        f"{len(numbers)} flagged chunk(s) of several sentences (chunk {listed} of the packed plan) were "
        "translated again sentence by sentence, and those translations are used."
    )
