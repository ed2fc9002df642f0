"""What every engine shares: the options it runs under, what it returns per text, and the Engine protocol."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ....core.registry import Recipe
from ..results import Hypothesis, TokenScore

# runners-up reported per generated token (TokenScore.alternatives)
ALTERNATIVES = 3
# how the next token is chosen: beam search (1 beam: greedy), sampling, or diverse beam search (beam groups)
DECODINGS = ("beam", "sampling", "diverse")
# the tokenizer's decode: token ids to text, special tokens skipped
Decode = Callable[[list[int]], str]


class Seq2Seq(Protocol):
    """What the generate path needs: a Seq2Seq, or a model being trained (training/evaluation.py)."""

    model: Any
    tokenizer: Any
    device: Any

    @property
    def recipe(self) -> Recipe: ...


@dataclass(frozen=True)
class GenerationOptions:
    num_beams: int = 4  # beam width; 1 is greedy decoding
    num_return_sequences: int = 1  # n-best hypotheses returned per text, at most num_beams
    length_penalty: float = 1.0  # score = sum of log-probs / (generated tokens ** length_penalty)
    no_repeat_ngram_size: int = 0  # 0: off
    max_new_tokens: int = 512  # the ceiling every per-text cap stays under (the settings' max_new_tokens)
    max_time: float = 60.0  # seconds per batch, handed to generate(max_time=...)
    decoding: str = "beam"  # one of DECODINGS
    # sampling: logits / temperature, then only the top_k most likely (0: all) within top_p of the probability mass
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    seed: int | None = None  # sampling's random seed: the same seed, text and options give the same samples
    # diverse beam search (Vijayakumar et al. 2016): beams split into groups; a group's score for a token drops by
    # diversity_penalty x the times earlier groups chose it at the same step
    num_beam_groups: int = 1
    diversity_penalty: float = 0.0
    # each token of the best hypothesis with its probability and runners-up (Generated.tokens); off where nobody
    # reads them (files, corpora): on CTranslate2 after a beam search they cost a second, forced pass
    confidences: bool = True


@dataclass(frozen=True)
class Generated:
    """What the engine made of one source text."""

    hypotheses: list[Hypothesis]  # best first
    ids: list[int]  # the best hypothesis: decoder start token first, cut after its end-of-sequence token
    new_tokens: int  # tokens generated for the best hypothesis (end-of-sequence included)
    truncated: bool  # the best hypothesis hit its new-token cap or the time limit before ending
    max_new_tokens: int  # the cap this text ran under
    tokens: tuple[TokenScore, ...] = ()  # per generated token of the best hypothesis (options.confidences)


class Engine(Protocol):
    """What runs a batch of texts. The modules engines/transformers.py and engines/ctranslate2.py are the two."""

    def generate(
        self, loaded: Seq2Seq, texts: list[str], caps: list[int], options: GenerationOptions
    ) -> list[Generated]:
        """One ``Generated`` per text, each stopped at its own cap of new tokens, best hypothesis first."""
        ...

    def max_rows(self, loaded: Seq2Seq, longest_cap: int, options: GenerationOptions) -> int:
        """Texts per call that fit the engine's memory guard when the longest may write ``longest_cap`` tokens."""
        ...


def decoder(tokenizer: Any) -> Decode:
    """The tokenizer's decode as the hypotheses' texts are made: special tokens skipped."""
    return lambda ids: tokenizer.decode(ids, skip_special_tokens=True)


def scored_tokens(
    tokens: Sequence[int],
    chosen: Sequence[float],
    top_ids: Sequence[Sequence[int]],
    top_log_probs: Sequence[Sequence[float]],
    names: Mapping[int, str] | Sequence[str],
    specials: set[int],
    decode: Decode | None = None,
) -> tuple[TokenScore, ...]:
    """Each generated token with its probability and the step's most likely other tokens, from per-step log-probs:
    ``chosen[t]`` the token's, ``top_ids[t]``/``top_log_probs[t]`` the step's top ALTERNATIVES + 1 (best first).
    With ``decode`` (the tokenizer's: ids to text, special tokens skipped), each token also gets its text as the
    translation shows it, and each alternative the word it would have made there (``in_context``)."""
    scored, others = [], []
    for t, token in enumerate(tokens):
        kept = [
            (a, math.exp(lp))
            for a, lp in zip(top_ids[t], top_log_probs[t], strict=True)
            if a != token and math.isfinite(lp)  # the chosen token has its own score; -inf was ruled out
        ][:ALTERNATIVES]
        others.append([a for a, _ in kept])
        alternatives = tuple((names[a], p) for a, p in kept)
        scored.append(TokenScore(names[token], math.exp(chosen[t]), alternatives, token in specials))
    return tuple(scored) if decode is None else in_context(scored, tokens, others, decode)


def in_context(
    scored: Sequence[TokenScore], tokens: Sequence[int], others: Sequence[Sequence[int]], decode: Decode
) -> tuple[TokenScore, ...]:
    """``scored`` with ``shown`` and ``words`` set, decoded by the tokenizer (so every kind of sub-word mark, and
    its clean-up of spaces before punctuation, is the tokenizer's own): a token's ``shown`` is what it adds to
    the text; an alternative's word is the alternative decoded after the pieces of the word it would join
    ("Le" + "ser": "Leser", not "ser"). The pieces after it are unknown: the model would go on from it.

    Each decode starts at the first piece of the word the token before it belongs to: a short window (a chunk
    decodes in time linear in its length) whose first piece alone loses its leading space, never the token's."""
    done: list[TokenScore] = []
    start = 0  # first token of the word the previous token belongs to
    for t, score in enumerate(scored):
        window = list(tokens[start:t])
        before = decode(window)
        shown = _added(before, decode([*window, tokens[t]]))
        if shown[:1].isspace():
            start = t
        # an alternative's word: the last word of the window with the alternative in the token's place
        words = tuple(_last_word(before, decode([*window, a])) for a in others[t])
        done.append(dataclasses.replace(score, shown=shown, words=words))
    return tuple(done)


def _added(before: str, after: str) -> str:
    """What ``after`` adds to ``before`` (from where they first differ: a decode may rewrite its last characters,
    as a byte-level tokenizer does with half a character)."""
    common = len(os.path.commonprefix([before, after]))
    return after[common:]


def _last_word(before: str, after: str) -> str:
    """The word ``after`` ends with, "" where it adds nothing visible to ``before`` (a space, an end token)."""
    if not _added(before, after).strip():
        return ""
    return after.split()[-1]
