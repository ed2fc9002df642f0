"""compare(): one text through two translate() configurations, side by side, with scores.

Two models, one model at two precisions (fp32 and 4-bit: what quantization changes), two beam
widths, two engines: ``a`` and ``b`` are translate()'s keyword arguments. The outputs are aligned
on the source: a segment ends where a chunk of each side and a source sentence end together, so
two sentence-by-sentence runs pair up sentence by sentence, and a packed side pairs on the packed
chunk's sentences. Each pair gets a word-level diff (difflib) and chrF of A against B (sacreBLEU).
With a reference translation, each side gets sacreBLEU's corpus BLEU and chrF (with signatures),
per segment too when the reference has as many sentences as the source.
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import inspect
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sacrebleu.metrics import BLEU, CHRF

from ...core.checks import text_arg
from ...core.errors import InputError
from ...core.results import Progress, report
from ...core.settings import get_settings
from ...text.segment import sentences
from .results import Comparison, DiffOp, ReferenceScores, Segment, SideScores, TranslatedChunk, TranslationResult
from .translate import join_translations, translate

# what a configuration may not set: compare() passes the text and reports progress itself
NOT_CONFIGURABLE = ("text", "progress")
# a reference translation runs longer than its source (German ~1.2x English): allow twice the source limit
REFERENCE_CHARS_PER_SOURCE_CHAR = 2


def compare(
    text: str,
    *,
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    reference: str | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Translate ``text`` with translate(**a) and translate(**b) and line the two up segment by segment."""
    started = time.perf_counter()
    configs = {"A": _config("a", a), "B": _config("b", b)}
    reference = _reference(reference)
    results = {}
    for k, (side, config) in enumerate(configs.items()):

        def halfway(fraction: float, message: str, k: int = k, side: str = side) -> None:
            report(progress, (k + fraction) / 2, f"{side}: {message}")

        # the sides are compared by their text: no token confidences unless a configuration asks for them
        results[side] = translate(text, **{"confidences": False, **config}, progress=halfway)
    first, second = results["A"], results["B"]
    segments = align(text, first, second)
    chrf = CHRF()
    between = agreement(chrf, [s.a_text for s in segments], [s.b_text for s in segments])
    scores = None
    if reference is not None:
        segments, scores = score_reference(text, reference, first, second, segments)
    return Comparison(
        a=first,
        b=second,
        a_config=configs["A"],
        b_config=configs["B"],
        segments=segments,
        chrf_between=between,
        chrf_signature=str(chrf.get_signature()),
        scores=scores,
        reference=reference,
        **_run_info(first, second, started),
    )


def _config(name: str, config: object) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        raise InputError(f"Configuration {name} must be a dict of translate() arguments, e.g. {{'num_beams': 4}}.")
    allowed = [p for p in inspect.signature(translate).parameters if p not in NOT_CONFIGURABLE]
    unknown = [key for key in config if key not in allowed]
    if unknown:
        raise InputError(
            f"Configuration {name} has unknown setting(s) {', '.join(map(repr, unknown))}; use: {', '.join(allowed)}."
        )
    return dict(config)


def _reference(reference: object) -> str | None:
    if reference is None or (isinstance(reference, str) and not reference.strip()):
        return None
    limit = get_settings().max_chars_translate * REFERENCE_CHARS_PER_SOURCE_CHAR
    return text_arg("reference translation", reference, limit)


# -------------------------------------------------------------------- alignment


def align(text: str, a: TranslationResult, b: TranslationResult) -> list[Segment]:
    """Segments that end where a chunk of A, a chunk of B and a source sentence all end."""
    ends = {c.char_end for c in a.chunks} & {c.char_end for c in b.chunks}
    ends &= {s.char_end for s in sentences(text, a.languages[0])}
    last = max(c.char_end for c in [*a.chunks, *b.chunks])
    cuts = sorted(ends | {last})
    groups_a, groups_b = _grouped(a.chunks, cuts), _grouped(b.chunks, cuts)
    segments = []
    for k, (in_a, in_b) in enumerate(zip(groups_a, groups_b, strict=True)):
        start = min(c.char_start for c in [*in_a, *in_b])
        a_text, b_text = join_translations(text, in_a), join_translations(text, in_b)
        segments.append(
            Segment(
                index=k,
                char_start=start,
                char_end=cuts[k],
                source=text[start : cuts[k]],
                a_text=a_text,
                b_text=b_text,
                a_chunks=tuple(c.index for c in in_a),
                b_chunks=tuple(c.index for c in in_b),
                diff=word_diff(a_text, b_text),
                chrf=agreement(CHRF(), [a_text], [b_text]),
                a_flags=_flags(in_a),
                b_flags=_flags(in_b),
            )
        )
    return segments


def _grouped(chunks: Sequence[TranslatedChunk], cuts: list[int]) -> list[list[TranslatedChunk]]:
    """Chunks put in the segment their end falls in (segment k ends at ``cuts[k]``)."""
    groups: list[list[TranslatedChunk]] = [[] for _ in cuts]
    for chunk in chunks:
        groups[bisect.bisect_left(cuts, chunk.char_end)].append(chunk)
    return groups


def _flags(chunks: Sequence[TranslatedChunk]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(flag for c in chunks for flag in c.flags))


def word_diff(a: str, b: str) -> tuple[DiffOp, ...]:
    """difflib's opcodes over whitespace-separated words of ``a`` and ``b``."""
    a_words, b_words = a.split(), b.split()
    matcher = difflib.SequenceMatcher(None, a_words, b_words, autojunk=False)
    return tuple(
        DiffOp(tag, tuple(a_words[i1:i2]), tuple(b_words[j1:j2])) for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    )


def agreement(chrf: CHRF, a_texts: list[str], b_texts: list[str]) -> float:
    """chrF of A's texts with B's as references; identical texts agree fully, even empty ones (where
    sacreBLEU, with no characters to count, gives 0)."""
    score = float(chrf.corpus_score(a_texts, [b_texts]).score)  # scored in any case: the signature needs it
    return 100.0 if a_texts == b_texts else score


# -------------------------------------------------------------------- reference


def score_reference(
    text: str, reference: str, a: TranslationResult, b: TranslationResult, segments: list[Segment]
) -> tuple[list[Segment], ReferenceScores]:
    """Each side's corpus BLEU and chrF against ``reference``; per segment when its sentences line up."""
    source_sentences = sentences(text, a.languages[0])
    reference_sentences = sentences(reference, a.languages[1])
    aligned = len(reference_sentences) == len(source_sentences)
    if aligned:  # reference sentence k translates source sentence k: each segment gets its sentences
        pairs = list(zip(source_sentences, reference_sentences, strict=True))
        refs = [
            " ".join(r.text for s, r in pairs if seg.char_start <= s.char_start and s.char_end <= seg.char_end)
            for seg in segments
        ]
        segments = [_with_reference(seg, ref) for seg, ref in zip(segments, refs, strict=True)]
        hyps_a, hyps_b = [s.a_text for s in segments], [s.b_text for s in segments]
        note = f"The reference's {len(reference_sentences)} sentences are lined up with the source's."
    else:
        refs, hyps_a, hyps_b = [reference], [a.text], [b.text]
        note = (
            f"The reference has {len(reference_sentences)} sentences and the source {len(source_sentences)}, so each "
            "translation is scored as one segment, without per-sentence scores."
        )
    bleu, chrf = BLEU(), CHRF()
    sides = [
        SideScores(bleu.corpus_score(hyps, [refs]).score, chrf.corpus_score(hyps, [refs]).score)
        for hyps in (hyps_a, hyps_b)
    ]
    scores = ReferenceScores(
        a=sides[0],
        b=sides[1],
        bleu_signature=str(bleu.get_signature()),
        chrf_signature=str(chrf.get_signature()),
        aligned=aligned,
        note=note,
    )
    return segments, scores


def _with_reference(segment: Segment, reference: str) -> Segment:
    chrf = CHRF()
    return dataclasses.replace(
        segment,
        reference=reference,
        a_chrf=chrf.sentence_score(segment.a_text, [reference]).score,
        b_chrf=chrf.sentence_score(segment.b_text, [reference]).score,
    )


def _run_info(a: TranslationResult, b: TranslationResult, started: float) -> dict[str, Any]:
    """The two runs as one: both names where they differ, the memory of both models unless they are one."""

    def both(field: str) -> str:
        x, y = getattr(a, field), getattr(b, field)
        return x if x == y else f"{x} | {y}"

    one_model = all(getattr(a, f) == getattr(b, f) for f in ("model", "precision", "engine"))
    return {
        "model": both("model"),
        "engine": both("engine"),
        "device": both("device"),
        "precision": both("precision"),
        "footprint_bytes": a.footprint_bytes if one_model else a.footprint_bytes + b.footprint_bytes,
        "seconds": time.perf_counter() - started,
        "warnings": (*(f"A: {w}" for w in a.warnings), *(f"B: {w}" for w in b.warnings)),
        "notes": (*(f"A: {n}" for n in a.notes), *(f"B: {n}" for n in b.notes)),
    }
