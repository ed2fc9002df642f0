"""What every engine shares: the options it runs under, what it returns per text, and the Engine protocol."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ....core.registry import Recipe
from ..results import Hypothesis, TokenScore

# runners-up reported per generated token (TokenScore.alternatives)
ALTERNATIVES = 3
# how the next token is chosen: beam search (1 beam: greedy), sampling, or diverse beam search (beam groups)
DECODINGS = ("beam", "sampling", "diverse")


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


@dataclass(frozen=True)
class Generated:
    """What the engine made of one source text."""

    hypotheses: list[Hypothesis]  # best first
    ids: list[int]  # the best hypothesis: decoder start token first, cut after its end-of-sequence token
    new_tokens: int  # tokens generated for the best hypothesis (end-of-sequence included)
    truncated: bool  # the best hypothesis hit its new-token cap or the time limit before ending
    max_new_tokens: int  # the cap this text ran under
    tokens: tuple[TokenScore, ...] = ()  # per generated token of the best hypothesis, when the engine reports it


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


def scored_tokens(
    tokens: Sequence[int],
    chosen: Sequence[float],
    top_ids: Sequence[Sequence[int]],
    top_log_probs: Sequence[Sequence[float]],
    names: Mapping[int, str] | Sequence[str],
    specials: set[int],
) -> tuple[TokenScore, ...]:
    """Each generated token with its probability and the step's most likely other tokens, from per-step log-probs:
    ``chosen[t]`` the token's, ``top_ids[t]``/``top_log_probs[t]`` the step's top ALTERNATIVES + 1 (best first)."""
    scored = []
    for t, token in enumerate(tokens):
        others = [
            (names[a], math.exp(lp))
            for a, lp in zip(top_ids[t], top_log_probs[t], strict=True)
            if a != token and math.isfinite(lp)  # the chosen token has its own score; -inf was ruled out
        ]
        scored.append(TokenScore(names[token], math.exp(chosen[t]), tuple(others[:ALTERNATIVES]), token in specials))
    return tuple(scored)
