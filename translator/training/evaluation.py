"""Held-out scores for a translator being trained: translate the sources, compare with sacreBLEU (BLEU, chrF)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch

from ..core.registry import Recipe
from ..tasks.translation.engines.base import GenerationOptions
from ..tasks.translation.generation import generate_batch
from ..text.formats.parallel import Pair

# held-out scoring has no user waiting on it: no time limit per batch
NO_TIME_LIMIT = float("inf")


@dataclass(frozen=True, eq=False)
class ModelInTraining:
    """What the generate path needs of a model that is not in the model cache (it is being trained)."""

    model: Any
    tokenizer: Any
    device: torch.device
    recipe: Recipe = field(default_factory=Recipe)


@dataclass(frozen=True)
class Evaluation:
    step: int
    bleu: float
    chrf: float
    sentences: int  # held-out sentences scored
    lowercase: bool  # scored case-insensitively, because the tokenizer lowercases its input
    samples: tuple[tuple[str, str, str], ...] = ()  # (source, reference, output) of the first few


def evaluate(
    model,
    tokenizer,
    pairs: Sequence[Pair],
    *,
    num_beams: int = 1,
    batch_size: int = 32,
    max_new_tokens: int = 128,
    step: int = 0,
    autocast=nullcontext,
) -> Evaluation:
    """Translate the held-out sources and score the outputs against the references."""
    from sacrebleu.metrics import BLEU, CHRF

    was_training = model.training
    model.eval()
    try:
        outputs = translate_texts(
            model,
            tokenizer,
            [p.source for p in pairs],
            num_beams=num_beams,
            batch_size=batch_size,
            max_new_tokens=max_new_tokens,
            autocast=autocast,
        )
    finally:
        model.train(was_training)
    references = [p.target for p in pairs]
    lowercase = tokenizer.tokenize("A") == tokenizer.tokenize("a")  # an uncased vocabulary can't restore case
    bleu = BLEU(lowercase=lowercase).corpus_score(outputs, [references]).score
    chrf = CHRF(lowercase=lowercase).corpus_score(outputs, [references]).score
    samples = tuple((p.source, p.target, out) for p, out in zip(pairs[:3], outputs, strict=False))
    return Evaluation(step, round(bleu, 2), round(chrf, 2), len(pairs), lowercase, samples)


def translate_texts(
    model,
    tokenizer,
    sources: Sequence[str],
    *,
    num_beams: int = 1,
    batch_size: int = 32,
    max_new_tokens: int = 128,
    autocast=nullcontext,
) -> list[str]:
    """Translations of ``sources`` in their order, through translate()'s generate path (same caps and options);
    batches hold sentences of similar length to cut padding."""
    translator = ModelInTraining(model, tokenizer, next(model.parameters()).device)
    options = GenerationOptions(
        num_beams=num_beams, max_new_tokens=max_new_tokens, max_time=NO_TIME_LIMIT, confidences=False
    )
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    outputs: list[str] = [""] * len(sources)
    for first in range(0, len(order), batch_size):
        indexes = order[first : first + batch_size]
        texts = [sources[i] for i in indexes]
        n_tokens = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
        with autocast():
            generated = generate_batch(translator, texts, n_tokens, options)
        for i, output in zip(indexes, generated, strict=True):
            outputs[i] = output.hypotheses[0].text
    return outputs
