"""translate(): long text through a seq2seq model (Marian, BERT2BERT, any AutoModelForSeq2SeqLM) with beam search.

preprocess: one sentence per chunk (or, with ``pack_sentences``, several up to ``max_chunk_tokens``)
by plan_chunks, chunks sorted by length into batches under a token budget (and a memory budget for
the per-step scores). forward: the one generate
path (generation.py), each chunk capped at its own number of new tokens, so a chunk's
output is the same in any batch as alone. postprocess: hypotheses put back in document order,
joined with the source's own line and paragraph breaks; chunks that may have lost part of their
source are flagged (omissions.py) and, with ``retry_flagged``, packed ones translated again
sentence by sentence.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from ...core.checks import int_arg, text_arg
from ...core.limits import content_limit
from ...core.loading import LoadedModel
from ...core.results import Progress, report, run_info
from ...core.settings import get_settings
from ...text.chunking import Chunk, plan_chunks
from ...text.segment import PARAGRAPH_BREAK, Span, has_line_break, sentences
from . import omissions
from .engines.base import Generated, GenerationOptions
from .engines.choice import load_translator
from .generation import (
    MAX_BATCH_ROWS,
    engine_for,
    generate_batch,
    generation_options,
    make_batches,
    new_token_cap,
    truncation_warning,
)
from .results import TranslatedChunk, TranslationResult

# packed chunks stay near sentence size: these models were trained on single sentences
DEFAULT_CHUNK_TOKENS = 96


def translate(
    text: str,
    *,
    model: str = "opus-mt-en-de",
    num_beams: int = 4,
    num_return_sequences: int = 1,
    length_penalty: float = 1.0,
    no_repeat_ngram_size: int = 0,
    max_chunk_tokens: int | None = None,
    pack_sentences: bool = False,
    retry_flagged: bool = False,
    precision: str = "auto",
    engine: str = "auto",
    decoding: str = "beam",
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int | None = None,
    num_beam_groups: int = 1,
    diversity_penalty: float = 0.0,
    confidences: bool = True,
    progress: Progress | None = None,
) -> TranslationResult:
    """Translate ``text`` of any length (up to the settings' limit) and return every chunk with its n-best list.

    One sentence per chunk by default (a sentence over ``max_chunk_tokens``, default the model's limit, is cut
    on token windows); ``pack_sentences`` packs several per chunk up to ``max_chunk_tokens`` (default 96):
    more context, and a risk that the model drops one. ``retry_flagged`` translates flagged packed chunks
    again sentence by sentence and uses those translations. ``engine``: "auto" (CTranslate2 where it can run
    the model, else transformers; a note says which ran and why), "transformers" or "ctranslate2".
    ``decoding``: "beam" (``num_beams`` 1 is greedy), "sampling" (``temperature``, ``top_k``, ``top_p``, ``seed``;
    n-best gives distinct samples) or "diverse" (``num_beam_groups`` groups of the beams, ``diversity_penalty``;
    transformers only, so it runs there with a note). ``confidences``: each chunk's ``tokens``, every token of its
    best translation with its probability and runners-up; False leaves them empty and saves their cost (on
    CTranslate2 after a beam search, a forced pass: a fifth to a third of the CPU time), for callers that only
    want the text (files, corpora, compare()).
    """
    started = time.perf_counter()
    text_arg("text to translate", text, get_settings().max_chars_translate)
    options = generation_options(
        num_beams,
        num_return_sequences,
        length_penalty,
        no_repeat_ngram_size,
        decoding=decoding,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        seed=seed,
        num_beam_groups=num_beam_groups,
        diversity_penalty=diversity_penalty,
        confidences=confidences,
    )
    loaded, engine_notes = load_translator(model, precision, engine, options.decoding)
    budget = _chunk_budget(loaded, max_chunk_tokens, bool(pack_sentences))
    report(progress, 0.0, "Cutting the text into chunks")
    languages = loaded.spec.languages or ("en", "en")
    chunks = plan_chunks(text, loaded.tokenizer, max_tokens=budget, language=languages[0], pack=bool(pack_sentences))
    spans = sentences(text, languages[0])  # as plan_chunks cut them: the sentence count of each chunk
    ordered, n_batches = _translate_chunks(loaded, chunks, options, spans, languages[1], progress)
    notes = []
    if retry_flagged and pack_sentences:
        singles = plan_chunks(text, loaded.tokenizer, max_tokens=budget, language=languages[0], pack=False)
        plan = omissions.retry_plan(ordered, singles)
        if plan:
            redo = [s for planned in plan.values() for s in planned]
            redone, extra = _translate_chunks(loaded, redo, options, spans, languages[1], progress, retry=True)
            ordered, n_batches = omissions.merged(ordered, plan, redone), n_batches + extra
            notes.append(omissions.retry_note([i + 1 for i in sorted(plan)]))
    cut = [c.index + 1 for c in ordered if c.truncated]
    flagged = omissions.flag_warning(ordered, bool(pack_sentences))
    warnings = [*([truncation_warning(cut, options)] if cut else []), *([flagged] if flagged else [])]
    return TranslationResult(
        text=join_translations(text, ordered),
        chunks=ordered,
        source=text,
        num_beams=options.num_beams,
        length_penalty=options.length_penalty,
        no_repeat_ngram_size=options.no_repeat_ngram_size,
        decoding=options.decoding,
        max_chunk_tokens=budget,
        batches=n_batches,
        pack_sentences=bool(pack_sentences),
        languages=languages,
        **run_info(loaded, started, warnings, notes=[*engine_notes, *notes]),
    )


def _translate_chunks(
    loaded: LoadedModel,
    chunks: Sequence[Chunk],
    options: GenerationOptions,
    spans: Sequence[Span],
    target_language: str,
    progress: Progress | None,
    retry: bool = False,
) -> tuple[list[TranslatedChunk], int]:
    """``chunks`` translated in length-sorted batches, back in their order; and the number of batches.
    ``spans``: the text's sentences, for the omission flags."""
    batches = make_batches(chunks, options.num_beams, max_rows=_rows_for_scores(loaded, chunks, options))
    done: dict[int, TranslatedChunk] = {}
    for number, batch in enumerate(batches, 1):
        generated = generate_batch(loaded, [c.text for c in batch], [c.n_tokens for c in batch], options)
        for chunk, output in zip(batch, generated, strict=True):
            count = omissions.sentences_inside(chunk, spans)
            done[chunk.index] = translated_chunk(chunk, output, target_language, count)
        what = "Translated flagged chunks again, sentence by sentence: batch" if retry else "Translated batch"
        # the retry runs after the whole text is done, so it reports at 1.0 and says so in its message
        fraction = 1.0 if retry else number / len(batches)
        report(progress, fraction, f"{what} {number} of {len(batches)} ({len(done)} of {len(chunks)} chunks)")
    return [done[chunk.index] for chunk in chunks], len(batches)


def translated_chunk(
    chunk: Chunk, output: Generated, target_language: str = "en", source_sentences: int = 1
) -> TranslatedChunk:
    """``chunk`` with what the engine made of it, its sentence count and its omission flags (omissions.py)."""
    fields = {f.name: getattr(chunk, f.name) for f in dataclasses.fields(Chunk)}
    done = TranslatedChunk(
        **fields,
        hypotheses=output.hypotheses,
        truncated=output.truncated,
        new_tokens=output.new_tokens,
        max_new_tokens=output.max_new_tokens,
        tokens=output.tokens,
        source_sentences=source_sentences,
    )
    flags = omissions.omission_flags(
        done.source,
        done.best,
        source_sentences=source_sentences,
        truncated=output.truncated,
        target_language=target_language,
    )
    return dataclasses.replace(done, flags=flags, length_ratio=omissions.length_ratio(done.source, done.best))


def _chunk_budget(loaded: LoadedModel, max_chunk_tokens: object, pack: bool) -> int:
    limit = content_limit(loaded)
    if max_chunk_tokens is None:
        # one sentence per chunk is cut only past the model's limit; packing stops near sentence size
        return min(DEFAULT_CHUNK_TOKENS, limit) if pack else limit
    return int_arg("The chunk size (max chunk tokens)", max_chunk_tokens, 1, limit)


def _rows_for_scores(loaded: LoadedModel, chunks: Sequence[Chunk], options: GenerationOptions) -> int:
    longest = max((c.n_tokens for c in chunks), default=1)
    cap = new_token_cap(longest, options.max_new_tokens)
    return min(MAX_BATCH_ROWS, engine_for(loaded).max_rows(loaded, cap, options))


# -------------------------------------------------------------------- postprocess


def join_translations(source: str, chunks: Sequence[TranslatedChunk]) -> str:
    """Best hypotheses in order, separated the way the source separates the chunks (blank line, line, space)."""
    parts: list[str] = []
    for previous, chunk in zip([None, *chunks[:-1]], chunks, strict=True):
        if previous is not None:
            parts.append(separator(source[previous.char_end : chunk.char_start]))
        parts.append(chunk.best)
    return "".join(parts)


def separator(gap: str) -> str:
    """What goes between two translated chunks whose sources ``gap`` separates: a blank line, a line break or a
    space (the confidence view breaks its lines the same way)."""
    if PARAGRAPH_BREAK.search(gap):
        return "\n\n"
    if has_line_break(gap):
        return "\n"
    return " "
