"""What attention gives back (one result per input), and the view options the UI asks for."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.results import RunInfo

KINDS = ("encoder", "decoder", "cross")


PAIR_FILTERS = ("all", "A->A", "B->B", "A->B", "B->A")


@dataclass(frozen=True, eq=False)
class AttentionResult(RunInfo):
    tokens: list[str]  # one label per position: sub-word pieces, or words when word_level
    attentions: np.ndarray  # (layers, heads, q, k) float32; every row sums to 1
    special: list[bool]  # [CLS], [SEP], <pad>...: what "hide special tokens" drops ([UNK] is content)
    segments: list[int]  # 0 = text, 1 = text_pair; a special token belongs to the sentence it opens or closes
    words: list[int]  # the word each position belongs to; a special token is a word of its own
    word_labels: list[str]  # one label per word, cut from the text with the tokenizer's offsets
    word_level: bool
    n_input_tokens: int  # tokens the input had before the token cap
    cut: str  # "" or one sentence on what the token cap cut


@dataclass(frozen=True, eq=False)
class TranslationAttention(RunInfo):
    source_tokens: list[str]
    target_tokens: list[str]  # tokens of the generated ids; [0] is the decoder start token (module docstring)
    encoder: np.ndarray  # (layers, heads, source, source)
    decoder: np.ndarray  # (layers, heads, target, target)
    cross: np.ndarray  # (layers, heads, target, source), on the GENERATED text
    translation: str  # the generated ids decoded without special tokens
    source_special: list[bool]
    target_special: list[bool]
    source_words: list[int]
    target_words: list[int]
    source_word_labels: list[str]
    target_word_labels: list[str]
    word_level: bool
    num_beams: int
    n_input_tokens: int  # source tokens before the token cap
    cut: str


ATTENTION_VIEWS = ("head", "model", "heatmap", "rollout", "alignment")


@dataclass(frozen=True)
class AttentionOptions:
    """What the view controls ask for. API callers can send anything, so nothing is trusted until
    ``select_view`` checks it (``fitted`` only clamps what is clearly a number)."""

    view: str = "head"  # head | model | heatmap | rollout | alignment
    kind: str = "encoder"  # encoder | decoder | cross (translation results)
    layer: int = 1  # counted from 1
    heads: tuple[int, ...] = ()  # counted from 1; () means every head
    pair: str = "all"  # all | A->A | B->B | A->B | B->A (sentence pairs)
    word_level: bool = False
    hide_special: bool = False
    min_weight: float = 0.02  # head view: links below this weight are not drawn


@dataclass(frozen=True, eq=False)
class Selection:
    """One attention matrix stack ready to draw: which tokens are rows and columns, and what was done to them."""

    kind: str  # encoder | decoder | cross
    query_tokens: list[str]
    key_tokens: list[str]
    attentions: np.ndarray  # (layers, heads, q, k); with rollout: (layers, 1, q, k), layer l = flow through 1..l
    rollout: bool
    notes: tuple[str, ...]  # what was merged, hidden, filtered or cut, for the user


ATTRIBUTION_METHODS = ("integrated_gradients", "input_x_gradient", "attention")


@dataclass(frozen=True, eq=False)
class Attribution(RunInfo):
    """Which input tokens drove each output token (attribute, attribute_answer in tasks/attention/attribution.py).

    Columns are the source tokens, then the decoder's input tokens (``prefix_tokens``: the start token, then
    every target token but the last), so row ``r`` explains ``target_tokens[positions[r]]`` over the source and
    the target tokens before it; the prefix columns at or after its position are 0 (the decoder can't see them).
    """

    kind: str  # translation | qa | retrieval
    method: str  # one of ATTRIBUTION_METHODS
    steps: int  # integrated-gradients steps; 0 for the other methods
    source_tokens: list[str]
    target_tokens: list[str]  # the output explained: generated (or given) tokens, end token included
    prefix_tokens: list[str]  # the decoder's input at each target position; [] for QA and retrieval
    positions: list[int]  # the target position each row explains (one row under contrast)
    scores: np.ndarray  # (rows, source + prefix) float32; gradient methods: signed, summed over the embedding
    deltas: np.ndarray | None  # (rows,) integrated gradients: sum(row) - (f(input) - f(baseline)); else None
    convergence_delta: float | None  # the largest |delta|: the completeness gap, reported, never hidden
    attention: np.ndarray | None  # (rows, source) cross-attention of the same steps, mean of layers and heads
    rank_correlation: list[float]  # per row: Spearman between attention and |attribution| over the source
    mean_rank_correlation: float  # over the rows that have one (NaN when none has: no attention, constant rows)
    contrast: str  # "" or the token the row's target token is contrasted with: log p(target) - log p(contrast)
    alternatives: list[tuple[tuple[str, float], ...]]  # per target token: the step's likeliest other tokens, p
    translation: str  # the target text explained
    source_special: list[bool]
    prefix_special: list[bool]
    target_special: list[bool]
    source_words: list[int]  # the word of each source column
    prefix_words: list[int]
    target_words: list[int]
    source_word_labels: list[str]
    prefix_word_labels: list[str]
    target_word_labels: list[str]
    word_level: bool
