"""What every engine shares: the options it runs under, what it returns per text, and the Engine protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ....core.registry import Recipe
from ..results import Hypothesis, TokenScore


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


@dataclass(frozen=True)
class Generated:
    """What the engine made of one source text."""

    hypotheses: list[Hypothesis]  # best first
    ids: list[int]  # the best hypothesis: decoder start token first, cut after its end-of-sequence token
    new_tokens: int  # tokens generated for the best hypothesis (end-of-sequence included)
    truncated: bool  # the best hypothesis hit its new-token cap or the time limit before ending
    max_new_tokens: int  # the cap this text ran under
    tokens: tuple[TokenScore, ...] = ()  # per generated token of the best hypothesis, when the engine reports it
