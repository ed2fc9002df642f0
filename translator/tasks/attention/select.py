"""What an attention view draws: pieces merged into words, special tokens hidden, rollout, sentence-pair blocks.

Pure numpy on the arrays of an AttentionResult or TranslationAttention; every function keeps rows summing
to 1 unless it says otherwise. The view options (AttentionOptions) are checked and fitted here too, so the
renderers in translator.render only draw.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.checks import choice_arg, int_arg
from ...core.errors import InputError
from .results import (
    ATTENTION_VIEWS,
    KINDS,
    PAIR_FILTERS,
    AttentionOptions,
    AttentionResult,
    Selection,
    TranslationAttention,
)
from .words import to_words

# -------------------------------------------------------------------- transforms (pure numpy)


def renormalized(attentions: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1 again; a row with nothing left becomes uniform."""
    sums = attentions.sum(-1, keepdims=True)
    uniform = np.full_like(attentions, 1.0 / attentions.shape[-1])
    return np.divide(attentions, sums, out=uniform, where=sums > 0)


def rollout(attentions: np.ndarray) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema, 2020): (layers, heads, n, n) -> (layers, 1, n, n).

    Each layer's head mean is mixed half-and-half with the identity (the residual connection) and
    the layers are multiplied up; entry l is the flow from the input through layers 1..l.
    """
    n = attentions.shape[-1]
    mixed = 0.5 * attentions.mean(axis=1) + 0.5 * np.eye(n, dtype=attentions.dtype)  # (layers, n, n)
    flow = np.eye(n, dtype=attentions.dtype)
    out = np.empty_like(mixed)
    for layer, matrix in enumerate(mixed):
        flow = matrix @ flow
        out[layer] = flow
    return renormalized(out)[:, None]


def _sides(result: AttentionResult | TranslationAttention, kind: str):
    """(attentions, query tokens/special/segments, key tokens/special/segments) for one kind of attention."""
    if isinstance(result, AttentionResult):
        if kind != "encoder":
            raise InputError("This result has encoder self-attention only; choose kind 'encoder'.")
        side = (result.tokens, result.special, result.segments)
        return result.attentions, side, side
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}.")
    source = (result.source_tokens, result.source_special, [0] * len(result.source_tokens))
    target = (result.target_tokens, result.target_special, [1] * len(result.target_tokens))
    return {
        "encoder": (result.encoder, source, source),
        "decoder": (result.decoder, target, target),
        "cross": (result.cross, target, source),
    }[kind]


def pair_indices(segments: Sequence[int], pair: str) -> tuple[np.ndarray, np.ndarray]:
    """Query and key positions a pair filter keeps: "A->B" = sentence-A queries attending to sentence-B keys."""
    if pair not in PAIR_FILTERS:
        raise InputError(f"The pair filter must be one of {', '.join(PAIR_FILTERS)}.")
    positions = np.arange(len(segments))
    if pair == "all":
        return positions, positions
    segment = np.asarray(segments)
    names = {"A": 0, "B": 1}
    query, key = pair.split("->")
    return positions[segment == names[query]], positions[segment == names[key]]


def _kept(values: Sequence[Any], keep: np.ndarray) -> list[Any]:
    return [value for value, kept in zip(values, keep, strict=True) if kept]


def select(
    result: AttentionResult | TranslationAttention,
    *,
    kind: str = "encoder",
    word_level: bool = False,
    hide_special: bool = False,
    pair: str = "all",
    rollout_layers: bool = False,
) -> Selection:
    """The attention to draw: merged into words, specials hidden, rolled out, then cut to a sentence pair block.

    Hiding special tokens renormalizes each row over the tokens left. A pair block is NOT
    renormalized: its rows show the share of each query's attention that goes to the other block.
    """
    notes: list[str] = [result.cut] if result.cut else []
    if word_level and not result.word_level:
        result = to_words(result)
        notes.append(
            "Sub-word pieces merged into words: each row averages its pieces' rows, each column adds up "
            "its pieces' columns, so rows still sum to 1."
        )
    attentions, (q_tokens, q_special, q_segments), (k_tokens, k_special, k_segments) = _sides(result, kind)
    if hide_special:
        q_keep, k_keep = ~np.asarray(q_special, bool), ~np.asarray(k_special, bool)
        if not q_keep.any() or not k_keep.any():
            raise InputError("Nothing is left once special tokens are hidden; show them or type more text.")
        hidden = sorted({t for t, s in zip([*q_tokens, *k_tokens], [*q_special, *k_special], strict=True) if s})
        attentions = renormalized(attentions[..., q_keep, :][..., k_keep])
        q_tokens, q_segments = _kept(q_tokens, q_keep), _kept(q_segments, q_keep)
        k_tokens, k_segments = _kept(k_tokens, k_keep), _kept(k_segments, k_keep)
        if hidden:
            notes.append(f"Special tokens hidden ({', '.join(hidden)}); each row renormalized over the tokens left.")
    if rollout_layers:
        if kind == "cross":
            raise InputError("Rollout follows self-attention through the layers; choose encoder or decoder attention.")
        attentions = rollout(attentions)
        notes.append(
            "Attention rollout: head means mixed with the residual connection and multiplied through "
            "the layers; layer l shows the flow from the input through layers 1..l."
        )
    if pair != "all":
        if kind != "encoder" or isinstance(result, TranslationAttention) or 1 not in q_segments:
            raise InputError("The pair filter needs encoder attention on two texts; give a second text (sentence B).")
        q_index, k_index = pair_indices(q_segments, pair)
        attentions = attentions[..., q_index, :][..., k_index]
        q_tokens, k_tokens = [q_tokens[i] for i in q_index], [k_tokens[i] for i in k_index]
        notes.append(
            f"Pair filter {pair}: the block of the full rows, not renormalized; a row's total is the share "
            "of that token's attention that goes to the other block."
        )
    return Selection(
        kind=kind,
        query_tokens=list(q_tokens),
        key_tokens=list(k_tokens),
        attentions=np.ascontiguousarray(attentions, dtype=np.float32),
        rollout=rollout_layers,
        notes=tuple(notes),
    )


# -------------------------------------------------------------------- view options: checked, fitted, applied


def view_kind(result: AttentionResult | TranslationAttention, options: AttentionOptions) -> str:
    """The attention a view draws: encoder results have one kind; the alignment view is cross-attention."""
    if isinstance(result, AttentionResult):
        if options.view == "alignment":
            raise InputError("The alignment view needs a translation; switch the mode to translation.")
        return "encoder"
    return "cross" if options.view == "alignment" else choice_arg("Attention", options.kind, KINDS)


def attention_shape(result: AttentionResult | TranslationAttention, options: AttentionOptions) -> tuple[int, int]:
    """(layers, heads) of the attention the options select."""
    weights = _sides(result, view_kind(result, options))[0]
    return weights.shape[0], weights.shape[1]


def fitted(options: AttentionOptions, result: AttentionResult | TranslationAttention) -> AttentionOptions:
    """Options made to fit ``result``: layer clamped into range, heads it lacks dropped (models differ in size)."""
    layers, heads = attention_shape(result, options)
    # anything else (text, NaN, infinity) is left for select_view to refuse in a sentence
    clampable = isinstance(options.layer, int | float) and math.isfinite(options.layer)
    layer = min(max(int(options.layer), 1), layers) if clampable else options.layer
    kept = tuple(h for h in options.heads if not isinstance(h, int | float) or 1 <= h <= heads)
    return dataclasses.replace(options, layer=layer, heads=kept)


def select_view(
    result: AttentionResult | TranslationAttention, options: AttentionOptions
) -> tuple[Selection, int, list[int]]:
    """The selection ``options`` ask for, with the 0-based layer and head indices checked against it."""
    view = choice_arg("View", options.view, ATTENTION_VIEWS)
    selection = select(
        result,
        kind=view_kind(result, options),
        word_level=bool(options.word_level),
        hide_special=bool(options.hide_special),
        pair=options.pair,
        rollout_layers=view == "rollout",
    )
    layers, heads = selection.attentions.shape[:2]
    layer = int_arg("Layer", options.layer, 1, layers) - 1
    if selection.rollout:  # one rolled-out map per layer; heads were averaged
        return selection, layer, [0]
    chosen = sorted({int_arg("Head", head, 1, heads) for head in options.heads}) or list(range(1, heads + 1))
    return selection, layer, [head - 1 for head in chosen]
