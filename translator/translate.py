"""translate(): long text through a seq2seq model (Marian, BERT2BERT, any AutoModelForSeq2SeqLM) with beam search.

preprocess: sentences packed into chunks (plan_chunks), chunks sorted by length into
batches under a token budget (and a memory budget for the per-step scores). forward: one
``model.generate`` per batch, each chunk capped at its own number of new tokens, so a
chunk's output is the same in any batch as alone. postprocess: hypotheses decoded, scored
and put back in document order, joined with the source's own line and paragraph breaks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from .checks import float_arg, int_arg, text_arg
from .chunking import Chunk, model_input_limit, plan_chunks
from .loading import LoadedModel, load_model
from .segment import PARAGRAPH_BREAK
from .settings import get_settings

Progress = Callable[[float, str], None]

# chunks stay near sentence size: these models were trained on single sentences
DEFAULT_CHUNK_TOKENS = 96
# padded source tokens x beams per generate() call; bounds memory and keeps CPU matmuls large
BATCH_TOKEN_BUDGET = 8_192
# rows per generate() call, whatever their length
MAX_BATCH_ROWS = 64
# new tokens allowed per chunk: output length ~ input length for these language pairs, plus headroom
NEW_TOKENS_PER_INPUT_TOKEN = 1.5
NEW_TOKENS_HEADROOM = 10
# generate(output_scores=True) keeps a (rows x beams, vocab) float32 tensor per step: batches stay under this
SCORES_BYTES = 1 * 2**30
LENGTH_PENALTY_RANGE = (-5.0, 5.0)
MAX_NO_REPEAT_NGRAM = 20


@dataclass(frozen=True)
class Hypothesis:
    text: str
    # sum of token log-probs / (generated tokens ** length_penalty): generate()'s beam score (greedy: same formula)
    score: float


@dataclass(frozen=True)
class TranslatedChunk:
    index: int
    source: str  # == the input text[char_start:char_end]
    char_start: int
    char_end: int
    n_tokens: int  # source tokens fed to the model, special tokens excluded
    hypotheses: list[Hypothesis]  # best first
    truncated: bool  # the best hypothesis hit the new-token limit or the time limit before ending
    new_tokens: int = 0  # tokens generated for the best hypothesis (end-of-sequence included)
    max_new_tokens: int = 0  # the cap this chunk ran under
    split_inside_sentence: bool = False


@dataclass(frozen=True)
class TranslationResult:
    text: str  # the best hypotheses joined in document order
    chunks: list[TranslatedChunk]
    model: str
    precision: str
    seconds: float
    warnings: list[str] = field(default_factory=list)
    device: str = ""
    footprint_bytes: int = 0
    source: str = ""
    num_beams: int = 1
    max_chunk_tokens: int = 0
    batches: int = 0


@dataclass(frozen=True)
class _Options:
    num_beams: int
    num_return_sequences: int
    length_penalty: float
    no_repeat_ngram_size: int
    max_new_tokens: int  # the settings' ceiling
    max_time: float


def translate(text: str, *, model: str = "opus-mt-en-de", num_beams: int = 4, num_return_sequences: int = 1,
              length_penalty: float = 1.0, no_repeat_ngram_size: int = 0, max_chunk_tokens: int | None = None,
              precision: str = "auto", progress: Progress | None = None) -> TranslationResult:
    """Translate ``text`` of any length (up to the settings' limit) and return every chunk with its n-best list."""
    started = time.perf_counter()
    options = _check_options(text, num_beams, num_return_sequences, length_penalty, no_repeat_ngram_size)
    report = progress or (lambda fraction, message: None)
    loaded = load_model(model, "translation", precision)
    budget = _chunk_budget(loaded, max_chunk_tokens)
    report(0.0, "Cutting the text into chunks")
    language = loaded.spec.languages[0] if loaded.spec.languages else "en"
    chunks = plan_chunks(text, loaded.tokenizer, max_tokens=budget, language=language)
    batches = make_batches(chunks, options.num_beams, max_rows=_rows_for_scores(loaded, chunks, options))
    done: dict[int, TranslatedChunk] = {}
    for number, batch in enumerate(batches, 1):
        for item in _translate_batch(loaded, batch, options):
            done[item.index] = item
        report(number / len(batches), f"Translated batch {number} of {len(batches)} ({len(done)} of "
                                      f"{len(chunks)} chunks)")
    ordered = [done[chunk.index] for chunk in chunks]
    return TranslationResult(
        text=join_translations(text, ordered), chunks=ordered, model=loaded.key, precision=loaded.precision,
        seconds=time.perf_counter() - started, warnings=[*loaded.warnings, *_warnings(ordered, options)],
        device=loaded.device_name, footprint_bytes=loaded.footprint_bytes, source=text,
        num_beams=options.num_beams, max_chunk_tokens=budget, batches=len(batches),
    )


# -------------------------------------------------------------------- checks


def _check_options(text: object, num_beams: object, num_return_sequences: object, length_penalty: object,
                   no_repeat_ngram_size: object) -> _Options:
    settings = get_settings()
    text_arg("text to translate", text, settings.max_chars_translate)
    beams = int_arg("The number of beams", num_beams, 1, settings.max_beams)
    n_best = int_arg("The number of translations per chunk (n-best, at most the beams)", num_return_sequences, 1,
                     min(beams, settings.max_top_k))
    penalty = float_arg("The length penalty", length_penalty, *LENGTH_PENALTY_RANGE)
    ngram = int_arg("The no-repeat n-gram size", no_repeat_ngram_size, 0, MAX_NO_REPEAT_NGRAM)
    return _Options(beams, n_best, penalty, ngram, settings.max_new_tokens, settings.max_generate_seconds)


def input_token_limit(loaded: LoadedModel) -> int:
    """Content tokens a chunk may have: the model's input limit less the special tokens its recipe adds."""
    limits = [model_input_limit(loaded.tokenizer)]
    config = loaded.model.config
    encoder_config = getattr(config, "encoder", config)
    positions = getattr(encoder_config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    specials = loaded.tokenizer.num_special_tokens_to_add() if loaded.recipe.add_special_tokens else 0
    return min(limits) - specials


def _chunk_budget(loaded: LoadedModel, max_chunk_tokens: object) -> int:
    limit = input_token_limit(loaded)
    if max_chunk_tokens is None:
        return min(DEFAULT_CHUNK_TOKENS, limit)
    return int_arg("The chunk size (max chunk tokens)", max_chunk_tokens, 1, limit)


# -------------------------------------------------------------------- batching


def new_token_cap(n_tokens: int, ceiling: int) -> int:
    """New tokens a chunk of ``n_tokens`` source tokens may generate, at most ``ceiling``."""
    return max(1, min(ceiling, math.ceil(n_tokens * NEW_TOKENS_PER_INPUT_TOKEN) + NEW_TOKENS_HEADROOM))


def make_batches(chunks: Sequence[Chunk], num_beams: int, token_budget: int = BATCH_TOKEN_BUDGET,
                 max_rows: int = MAX_BATCH_ROWS) -> list[list[Chunk]]:
    """Chunks sorted longest first, cut into batches whose padded size x beams stays within ``token_budget``.

    Longest first: similar lengths share a batch (little padding), and the slowest batch runs first, so
    progress and any time limit show up early.
    """
    batches: list[list[Chunk]] = []
    current: list[Chunk] = []
    for chunk in sorted(chunks, key=lambda c: (-c.n_tokens, c.index)):
        width = max(current[0].n_tokens, 1) if current else max(chunk.n_tokens, 1)
        if current and ((len(current) + 1) * width * num_beams > token_budget or len(current) == max_rows):
            batches.append(current)
            current = []
        current.append(chunk)
    if current:
        batches.append(current)
    return batches


class _NewTokenCaps(StoppingCriteria):
    """Stops each row at its own new-token cap, so a chunk gets the same cap in a batch as alone."""

    def __init__(self, caps: torch.Tensor, prompt_length: int) -> None:
        self.caps = caps  # (batch,)
        self.prompt_length = prompt_length

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        rows_per_item = input_ids.shape[0] // self.caps.shape[0]  # beams (or 2 x beams of candidates)
        caps = self.caps.to(input_ids.device).repeat_interleave(rows_per_item)
        return (input_ids.shape[1] - self.prompt_length) >= caps


# -------------------------------------------------------------------- forward


def _rows_for_scores(loaded: LoadedModel, chunks: Sequence[Chunk], options: _Options) -> int:
    """Chunks per batch whose per-step scores fit SCORES_BYTES (they dominate memory for a large vocabulary)."""
    longest = max((c.n_tokens for c in chunks), default=1)
    per_row = options.num_beams * _vocab_size(loaded.model) * new_token_cap(longest, options.max_new_tokens) * 4
    return max(1, min(MAX_BATCH_ROWS, SCORES_BYTES // per_row))


def _vocab_size(model: Any) -> int:
    embeddings = model.get_output_embeddings()
    return int(embeddings.weight.shape[0]) if embeddings is not None else int(model.config.vocab_size)


def _translate_batch(loaded: LoadedModel, batch: list[Chunk], options: _Options) -> list[TranslatedChunk]:
    tokenizer = loaded.tokenizer
    encoded = tokenizer([c.text for c in batch], add_special_tokens=loaded.recipe.add_special_tokens,
                        padding=True, return_tensors="pt")
    # only what every seq2seq forward takes (a BERT tokenizer adds token_type_ids, which generate() rejects)
    encoded = {name: encoded[name].to(loaded.device) for name in ("input_ids", "attention_mask")}
    caps = [new_token_cap(c.n_tokens, options.max_new_tokens) for c in batch]
    with torch.inference_mode():
        out = loaded.model.generate(
            **encoded, **_generation_kwargs(options, max(caps)),
            stopping_criteria=StoppingCriteriaList([_NewTokenCaps(torch.tensor(caps, device=loaded.device), 1)]),
        )
    sequences = out.sequences  # (batch * n_best, 1 + new tokens); column 0 is the decoder start token
    lengths, ended = _generated_lengths(sequences, caps, options.num_return_sequences,
                                        loaded.model.generation_config.eos_token_id)
    scores = _sequence_scores(out, lengths, options)
    texts = tokenizer.batch_decode(sequences, skip_special_tokens=True)
    n_best = options.num_return_sequences
    results = []
    for row, chunk in enumerate(batch):
        rows = range(row * n_best, (row + 1) * n_best)
        ranked = sorted(rows, key=lambda r: -scores[r])  # best first (generate's order, made explicit)
        best = ranked[0]
        results.append(TranslatedChunk(
            index=chunk.index, source=chunk.text, char_start=chunk.char_start, char_end=chunk.char_end,
            n_tokens=chunk.n_tokens, hypotheses=[Hypothesis(texts[r].strip(), scores[r]) for r in ranked],
            truncated=not ended[best], new_tokens=lengths[best], max_new_tokens=caps[row],
            split_inside_sentence=chunk.split_inside_sentence,
        ))
    return results


def _generation_kwargs(options: _Options, max_new_tokens: int) -> dict[str, Any]:
    """What generate() gets beyond the model's own generation config (passed as arguments, they override it)."""
    return dict(
        num_beams=options.num_beams, num_return_sequences=options.num_return_sequences,
        length_penalty=options.length_penalty, no_repeat_ngram_size=options.no_repeat_ngram_size,
        max_new_tokens=max_new_tokens, max_time=options.max_time, do_sample=False,
        # a forced </s> at the cap would hide the cut (and fall at a different step in a batch than alone)
        forced_eos_token_id=None,
        return_dict_in_generate=True, output_scores=True,  # beam search returns sequence scores only with these
    )


def _generated_lengths(sequences: torch.Tensor, caps: list[int], n_best: int,
                       eos_token_id: int | list[int] | None) -> tuple[list[int], list[bool]]:
    """Per row: tokens generated up to and including the first </s> (else up to its cap), and whether it ended."""
    targets = sequences[:, 1:]
    is_eos = torch.zeros_like(targets, dtype=torch.bool)
    for token in [eos_token_id] if isinstance(eos_token_id, int) else (eos_token_id or []):
        is_eos |= targets == token
    ended = is_eos.any(dim=1)
    # an unfinished row ran to its cap, or to the time limit (then every row stopped at the last column)
    row_caps = torch.tensor(caps, device=targets.device).repeat_interleave(n_best).clamp(max=targets.shape[1])
    lengths = torch.where(ended, is_eos.int().argmax(dim=1) + 1, row_caps)
    return lengths.tolist(), ended.tolist()


def _sequence_scores(out: Any, lengths: list[int], options: _Options) -> list[float]:
    """generate()'s beam scores; for greedy search the same formula over the log-softmaxed step scores."""
    if options.num_beams > 1:
        return out.sequences_scores.float().tolist()
    tokens = out.sequences[:, 1:]  # (rows, steps)
    # one step at a time: stacking the steps would hold another (rows, steps, vocab) copy
    picked = torch.stack([torch.log_softmax(step.float(), dim=-1).gather(-1, tokens[:, t, None]).squeeze(-1)
                          for t, step in enumerate(out.scores)], dim=1)  # (rows, steps)
    length = torch.tensor(lengths, device=tokens.device)
    keep = torch.arange(tokens.shape[1], device=tokens.device)[None, :] < length[:, None]
    # after a row ends it is padded, and padding may score -inf: count nothing past the length
    total = torch.where(keep, picked, torch.zeros_like(picked)).sum(dim=1)
    return (total / length.float() ** options.length_penalty).tolist()


# -------------------------------------------------------------------- postprocess


def join_translations(source: str, chunks: Sequence[TranslatedChunk]) -> str:
    """Best hypotheses in order, separated the way the source separates the chunks (blank line, line, space)."""
    parts: list[str] = []
    for previous, chunk in zip([None, *chunks[:-1]], chunks, strict=True):
        if previous is not None:
            parts.append(_separator(source[previous.char_end:chunk.char_start]))
        parts.append(chunk.hypotheses[0].text if chunk.hypotheses else "")
    return "".join(parts)


def _separator(gap: str) -> str:
    if PARAGRAPH_BREAK.search(gap):
        return "\n\n"
    if any(c in "\r\n\u2028" for c in gap):
        return "\n"
    return " "


def _warnings(chunks: Sequence[TranslatedChunk], options: _Options) -> list[str]:
    cut = [c for c in chunks if c.truncated]
    if not cut:
        return []
    numbers = ", ".join(str(c.index + 1) for c in cut[:10]) + (" …" if len(cut) > 10 else "")
    return [f"{len(cut)} chunk(s) stopped before the model ended the sentence (chunk {numbers}): they hit the "
            f"new-token limit or the {options.max_time:g}-second time limit, so their translation may be cut "
            "short. Try a smaller chunk size."]
