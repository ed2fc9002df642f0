"""Sub-word pieces merged into words: attention summed over a word's keys and averaged over its queries."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from .results import AttentionResult, TranslationAttention


def _run_starts(words: Sequence[int]) -> np.ndarray:
    """Start index of each run of a word-id list (word runs are contiguous by construction)."""
    ids = np.asarray(words)
    return np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])


def merge_pieces(attentions: np.ndarray, query_words: Sequence[int], key_words: Sequence[int]) -> np.ndarray:
    """(..., q, k) piece attention -> (..., query words, key words).

    Columns add up a word's key pieces (the attention a query gives to the whole word); rows average
    a word's query pieces. Both keep every row summing to 1.
    """
    q_starts, k_starts = _run_starts(query_words), _run_starts(key_words)
    summed = np.add.reduceat(attentions, k_starts, axis=-1)
    counts = np.diff(np.r_[q_starts, len(query_words)]).astype(attentions.dtype)
    return np.add.reduceat(summed, q_starts, axis=-2) / counts[:, None]


def _first_of_each(values: Sequence[Any], words: Sequence[int]) -> list[Any]:
    return [values[i] for i in _run_starts(words)]


def to_words(result: AttentionResult | TranslationAttention) -> AttentionResult | TranslationAttention:
    """The same result with sub-word pieces merged into words (``merge_pieces``); already merged stays as is."""
    if result.word_level:
        return result
    if isinstance(result, AttentionResult):
        words = result.words
        return dataclasses.replace(
            result,
            tokens=list(result.word_labels),
            attentions=merge_pieces(result.attentions, words, words),
            special=_first_of_each(result.special, words),
            segments=_first_of_each(result.segments, words),
            words=list(range(len(result.word_labels))),
            word_level=True,
        )
    src, tgt = result.source_words, result.target_words
    return dataclasses.replace(
        result,
        source_tokens=list(result.source_word_labels),
        target_tokens=list(result.target_word_labels),
        encoder=merge_pieces(result.encoder, src, src),
        decoder=merge_pieces(result.decoder, tgt, tgt),
        cross=merge_pieces(result.cross, tgt, src),
        source_special=_first_of_each(result.source_special, src),
        target_special=_first_of_each(result.target_special, tgt),
        source_words=list(range(len(result.source_word_labels))),
        target_words=list(range(len(result.target_word_labels))),
        word_level=True,
    )
