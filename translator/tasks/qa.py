"""answer(): extractive question answering over contexts of any length.

Span mode gives the answers the transformers 4.x question-answering pipeline gave (fast
tokenizers), rebuilt here because transformers 5 removed that pipeline:

1. the question and the context are tokenized as a pair, the context cut into overflowing
   windows of ``max_seq_len`` tokens that share ``doc_stride`` tokens, the question whole in each;
2. every window's start/end logits are softmaxed over its context tokens (plus [CLS]);
3. each window proposes its best (start, end) pairs with start <= end and at most
   ``max_answer_len`` tokens, scored by p(start) * p(end);
4. spans are widened to whole words, mapped to characters, and answers with the same text
   (ignoring case) are merged, their scores added; the best ``top_k`` are returned.

Unlike the pipeline, all windows of a context run as batches. Two deliberate differences,
both where v4 misbehaved: spans with score 0 (which v4 listed when asked for more spans than
a window holds) are never answers, and for tokenizers that put the context first (padding on
the left) only context tokens can be answers, where v4 let answers start in the question.

Retrieval mode, for when no QA checkpoint is at hand, ranks the context's sentences by
similarity to the question with a sentence encoder.
"""

from __future__ import annotations

import inspect
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..core.checks import bool_arg, choice_arg, int_arg, text_arg
from ..core.errors import InputError, ModelUnavailableError
from ..core.limits import model_input_limit
from ..core.loading import LoadedModel, load_model
from ..core.results import Progress, RunInfo, report, run_info
from ..core.settings import get_settings
from ..text.segment import sentences
from . import embeddings

DEFAULT_MODEL = "distilbert-squad"
MODES = ("auto", "span", "retrieval")
# windows per forward pass: keeps a CPU's cores busy and fits a laptop GPU at 512 tokens
WINDOW_BATCH = 16
# more windows than this (a tiny stride over a long text) would take minutes: refuse with a fix instead
MAX_WINDOWS = 1_000
# the v4 softmax pushes non-context logits to this value, so they get probability 0 in float32
MASKED_LOGIT = -10000.0


@dataclass(frozen=True)
class Answer:
    text: str  # == context[start:end]; "" for the "no answer" answer
    start: int
    end: int
    score: float
    window: int  # the window (span mode) or sentence (retrieval mode) it came from


@dataclass(frozen=True)
class Window:
    index: int
    char_start: int  # first context character the window covers
    char_end: int
    n_tokens: int  # model input tokens: question, context and special tokens
    overlap_prev: int  # context tokens shared with the previous window
    n_context_tokens: int = 0


@dataclass(frozen=True)
class SpanOptions:
    """How answer() reads a context; built by span_options(), which checks each value."""

    top_k: int = 1  # answers returned, best first (spans, or sentences in retrieval mode)
    max_seq_len: int = 384  # tokens per window: question, context and special tokens
    doc_stride: int = 128  # context tokens a window shares with the one before
    max_answer_len: int = 30  # tokens an answer may span
    handle_impossible_answer: bool = False  # also offer "" (no answer), scored p_start[CLS] * p_end[CLS]
    align_to_words: bool = True  # widen spans to whole words
    batch_size: int = WINDOW_BATCH  # windows per forward pass


@dataclass(frozen=True, eq=False)
class QAResult(RunInfo):
    answers: list[Answer]
    windows: list[Window]
    mode: str  # "span": extracted spans; "retrieval": whole sentences ranked by similarity
    max_seq_len: int = 0  # the token limit each window was cut to


class RetrievalFallbackWarning(UserWarning):
    """answer() could not load its QA model and ranked the context's sentences instead."""


def answer(
    question: str,
    context: str,
    *,
    model: str = DEFAULT_MODEL,
    top_k: int = 1,
    max_seq_len: int = 384,
    doc_stride: int = 128,
    max_answer_len: int = 30,
    handle_impossible_answer: bool = False,
    align_to_words: bool = True,
    precision: str = "auto",
    mode: str = "auto",
    retrieval_model: str | None = None,
    batch_size: int = WINDOW_BATCH,
    progress: Progress | None = None,
) -> QAResult:
    """Answer ``question`` from ``context``.

    ``mode="auto"`` extracts spans with ``model`` and falls back to sentence retrieval with
    ``retrieval_model`` (the bundled MiniLM) when ``model`` can't be loaded, with a warning on the result and
    a RetrievalFallbackWarning; ``"span"`` never falls back; ``"retrieval"`` always ranks sentences.
    ``batch_size`` windows run per forward.
    """
    started = time.perf_counter()
    settings = get_settings()
    question = text_arg("question", question, settings.max_chars_question)
    context = text_arg("context", context, settings.max_chars_qa)
    options = span_options(
        top_k, max_seq_len, doc_stride, max_answer_len, handle_impossible_answer, align_to_words, batch_size
    )
    choice_arg("mode", mode, MODES)
    notes: list[str] = []
    if mode != "retrieval":
        try:
            loaded = load_model(model, "qa", precision)
        except ModelUnavailableError as exc:
            if mode == "span":
                raise
            notes.append(f"Answered by sentence retrieval instead of span extraction: {str(exc).rstrip('.')}.")
            # a script shows no result note unless it prints one: say it where a script's user looks
            warnings.warn(notes[-1], RetrievalFallbackWarning, stacklevel=2)
        else:
            answers, windows = _span_answers(question, context, loaded, options, progress)
            return QAResult(
                answers=answers,
                windows=windows,
                mode="span",
                max_seq_len=options.max_seq_len,
                **run_info(loaded, started, notes),
            )
    encoder = embeddings.sentence_encoder(retrieval_model or embeddings.default_embedding_model())
    answers, windows = _retrieval_answers(question, context, encoder, options.top_k)
    return QAResult(
        answers=answers,
        windows=windows,
        mode="retrieval",
        max_seq_len=encoder.model.max_seq_length,
        **run_info(encoder, started, notes),
    )


def span_options(
    top_k: object,
    max_seq_len: object,
    doc_stride: object,
    max_answer_len: object,
    handle_impossible_answer: object,
    align_to_words: object,
    batch_size: object,
) -> SpanOptions:
    """answer()'s span settings checked against the settings; each bad value is one sentence that says how to
    fix it. (The defaults are answer()'s.)"""
    top_k = int_arg("top_k", top_k, 1, get_settings().max_top_k)
    max_answer_len = int_arg("max_answer_len", max_answer_len, 1)
    max_seq_len = int_arg("max_seq_len", max_seq_len, 8)
    doc_stride = int_arg("doc_stride", doc_stride, 0)
    if doc_stride >= max_seq_len:
        raise InputError(
            f"doc_stride ({doc_stride}) must be smaller than max_seq_len ({max_seq_len}); "
            "it is the overlap between windows, not their length."
        )
    return SpanOptions(
        top_k=top_k,
        max_seq_len=max_seq_len,
        doc_stride=doc_stride,
        max_answer_len=max_answer_len,
        batch_size=int_arg("batch_size", batch_size, 1, 512),
        handle_impossible_answer=bool_arg("handle_impossible_answer", handle_impossible_answer),
        align_to_words=bool_arg("align_to_words", align_to_words),
    )


# -------------------------------------------------------------------- span extraction


def _span_answers(
    question: str, context: str, loaded: LoadedModel, options: SpanOptions, progress: Progress | None
) -> tuple[list[Answer], list[Window]]:
    tokenizer = loaded.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise ModelUnavailableError(
            f"Model {loaded.key!r} has no fast tokenizer, which span extraction needs for character offsets."
        )
    # the v4 rule: tokenizers that pad on the left take the context first
    question_first = tokenizer.padding_side == "right"
    _check_windows(tokenizer, question, context, options, model_input_limit(tokenizer, loaded.model.config))
    encoded = tokenizer(
        question if question_first else context,
        context if question_first else question,
        truncation="only_second" if question_first else "only_first",
        max_length=options.max_seq_len,
        stride=options.doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        return_token_type_ids="token_type_ids" in tokenizer.model_input_names,
    )
    context_seq = 1 if question_first else 0
    logits = _window_logits(loaded, encoded, options.batch_size, progress)
    answers = _decode(context, encoded, logits, context_seq, tokenizer.cls_token_id, options)
    return answers, _windows(encoded, context_seq)


def _decode(
    context: str,
    encoded: Any,
    logits: list[tuple[np.ndarray, np.ndarray]],
    context_seq: int,
    cls_token_id: int | None,
    options: SpanOptions,
) -> list[Answer]:
    """Every window's best spans as characters, merged by text (scores added), best ``top_k`` first."""
    # the pipeline asks each window for extra spans when word alignment may merge some of them
    n_best = options.top_k * 2 + 10 if options.align_to_words else options.top_k
    merged: dict[str, list[Any]] = {}  # lower-cased text -> [text, start, end, score, window]
    null = (math.inf, -1)
    for index, (start_logits, end_logits) in enumerate(logits):
        desired = _answerable(encoded, index, context_seq, cls_token_id)
        starts, ends, scores, null_score = select_spans(
            start_logits, end_logits, desired, n_best=n_best, max_answer_len=options.max_answer_len
        )
        null = min(null, (null_score, index))
        for s, e, score in zip(starts, ends, scores, strict=True):
            a, b = _char_span(encoded.encodings[index], int(s), int(e), context_seq, options.align_to_words)
            entry = merged.setdefault(context[a:b].lower(), [context[a:b], a, b, 0.0, index])
            entry[3] += score.item()
    answers = [Answer(text, a, b, score, window) for text, a, b, score, window in merged.values()]
    if options.handle_impossible_answer:
        answers.append(Answer("", 0, 0, null[0], null[1]))
    # a stable sort, as v4's: equal scores keep the order the windows found them in
    return sorted(answers, key=lambda found: found.score, reverse=True)[: options.top_k]


def _check_windows(tokenizer: Any, question: str, context: str, options: SpanOptions, limit: int) -> None:
    """Refuse, with the fix, settings the model can't take (``limit`` tokens) or that would cut too many windows."""
    max_seq_len, doc_stride = options.max_seq_len, options.doc_stride
    if max_seq_len > limit:
        raise InputError(f"max_seq_len ({max_seq_len}) is more than this model takes ({limit} tokens).")
    n_question = len(tokenizer(question, add_special_tokens=False, verbose=False)["input_ids"])
    room = max_seq_len - n_question - tokenizer.num_special_tokens_to_add(pair=True)
    if room <= 0:
        raise InputError(
            f"The question is {n_question} tokens long and leaves no room for context in a "
            f"{max_seq_len}-token window; shorten the question or raise max_seq_len."
        )
    if doc_stride >= room:
        raise InputError(
            f"doc_stride ({doc_stride}) must be smaller than the {room} context tokens each window "
            "holds (max_seq_len minus the question and special tokens); lower doc_stride."
        )
    n_context = len(tokenizer(context, add_special_tokens=False, verbose=False)["input_ids"])
    n_windows = 1 if n_context <= room else 1 + math.ceil((n_context - room) / (room - doc_stride))
    if n_windows > MAX_WINDOWS:
        raise InputError(
            f"These settings cut the context into {n_windows:,} windows (the limit is "
            f"{MAX_WINDOWS:,}); lower doc_stride or raise max_seq_len."
        )


def _answerable(encoded: Any, index: int, context_seq: int, cls_token_id: int | None) -> np.ndarray:
    """Tokens an answer may use: the context's, and [CLS], which some models use to say "no answer"."""
    ids = encoded["input_ids"][index]
    return np.array(
        [
            seq == context_seq or (cls_token_id is not None and token == cls_token_id)
            for seq, token in zip(encoded.sequence_ids(index), ids, strict=True)
        ]
    )


def _window_logits(
    loaded: LoadedModel, encoded: Any, batch_size: int, progress: Progress | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Start and end logits of every window, ``batch_size`` windows per forward. Each (tokens,) float32."""
    accepted = inspect.signature(loaded.model.forward).parameters
    names = [name for name in loaded.tokenizer.model_input_names if name in encoded and name in accepted]
    n = len(encoded["input_ids"])
    logits: list[tuple[np.ndarray, np.ndarray]] = []
    for first in range(0, n, batch_size):
        rows = range(first, min(n, first + batch_size))
        batch = _pad(encoded, rows, names, loaded)
        with torch.inference_mode():
            output = loaded.model(**batch)
        starts = output.start_logits.float().cpu().numpy()  # (windows, tokens)
        ends = output.end_logits.float().cpu().numpy()
        for j, row in enumerate(rows):
            length = len(encoded["input_ids"][row])
            logits.append((starts[j, :length], ends[j, :length]))
        report(progress, len(logits) / n, f"Reading window {len(logits)} of {n}")
    return logits


def _pad(encoded: Any, rows: range, names: list[str], loaded: LoadedModel) -> dict[str, torch.Tensor]:
    """One batch of windows, padded on the right so token indices stay those of the unpadded window."""
    batch = loaded.tokenizer.pad(
        {name: [encoded[name][row] for row in rows] for name in names},
        padding=True,
        padding_side="right",
        return_tensors="pt",
    )
    return {name: batch[name].to(loaded.device) for name in names}


def select_spans(
    start_logits: np.ndarray, end_logits: np.ndarray, desired: np.ndarray, *, n_best: int, max_answer_len: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """One window's best spans, as the v4 pipeline ranked them.

    Returns token starts, ends and scores (best first, only spans of desired tokens with a
    positive score), and the window's "no answer" score p_start[0] * p_end[0].
    """
    start = _masked_softmax(start_logits, desired)
    end = _masked_softmax(end_logits, desired)
    null_score = (start[0] * end[0]).item()
    start[0] = end[0] = 0.0  # position 0 ([CLS]) is never a span
    # (tokens, tokens): scores[s, e] = p(s) * p(e), kept for s <= e < s + max_answer_len
    # (the diagonal offset capped at the window: numpy can't take a huge max_answer_len)
    scores = np.tril(np.triu(np.outer(start, end)), min(max_answer_len, len(start)) - 1)
    flat = scores.ravel()
    if n_best == 1:
        order = np.array([np.argmax(flat)])
    elif flat.size <= n_best:  # v4 had "<" and crashed on "=="
        order = np.argsort(-flat)
    else:
        best = np.argpartition(-flat, n_best)[:n_best]
        order = best[np.argsort(-flat[best])]
    starts, ends = np.unravel_index(order, scores.shape)
    # v4 also returned zero-score spans when asked for more spans than a window has; they are never answers
    keep = desired[starts] & desired[ends] & (flat[order] > 0)
    return starts[keep], ends[keep], flat[order][keep], null_score


def _masked_softmax(logits: np.ndarray, desired: np.ndarray) -> np.ndarray:
    """Softmax over the desired tokens in float32, the others pushed to MASKED_LOGIT as v4 did."""
    masked = np.where(desired, logits.astype(np.float32), np.float32(MASKED_LOGIT))
    exp = np.exp(masked - masked.max())
    return exp / exp.sum()


def _char_span(encoding: Any, s: int, e: int, sequence: int, align_to_words: bool) -> tuple[int, int]:
    """Characters of tokens s..e, widened to whole words unless the tokenizer has no word ids there."""
    if align_to_words:
        start_word, end_word = encoding.token_to_word(s), encoding.token_to_word(e)
        if start_word is not None and end_word is not None:
            first = encoding.word_to_chars(start_word, sequence_index=sequence)
            last = encoding.word_to_chars(end_word, sequence_index=sequence)
            if first is not None and last is not None:
                return first[0], last[1]
    return encoding.offsets[s][0], encoding.offsets[e][1]


def _windows(encoded: Any, context_seq: int) -> list[Window]:
    windows: list[Window] = []
    prev_end = -1
    for index, encoding in enumerate(encoded.encodings):
        spans = [span for span, seq in zip(encoding.offsets, encoding.sequence_ids, strict=True) if seq == context_seq]
        char_start, char_end = (spans[0][0], spans[-1][1]) if spans else (0, 0)
        overlap = sum(1 for a, _ in spans if a < prev_end)
        windows.append(Window(index, char_start, char_end, len(encoding.ids), overlap, len(spans)))
        prev_end = char_end
    return windows


# -------------------------------------------------------------------- sentence retrieval


def _retrieval_answers(
    question: str, context: str, encoder: LoadedModel, top_k: int
) -> tuple[list[Answer], list[Window]]:
    """The context's sentences most similar to the question; each sentence is its own window."""
    from sentence_transformers.util import dot_score, semantic_search

    spans = sentences(context)
    vectors = torch.from_numpy(embeddings.embed_sentences([question] + [span.text for span in spans], encoder))
    # every sentence ranked (cosine = dot product: the vectors have unit length); equal scores keep text order
    hits = semantic_search(vectors[:1], vectors[1:], top_k=len(spans), score_function=dot_score)[0]
    ranked = sorted((-hit["score"], hit["corpus_id"]) for hit in hits)[:top_k]
    answers = [Answer(spans[i].text, spans[i].char_start, spans[i].char_end, -negated, i) for negated, i in ranked]
    lengths = [len(ids) for ids in encoder.tokenizer([span.text for span in spans])["input_ids"]]
    windows = [
        Window(span.index, span.char_start, span.char_end, n, 0, n) for span, n in zip(spans, lengths, strict=True)
    ]
    return answers, windows
