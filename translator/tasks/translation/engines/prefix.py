"""Prefix-forced decoding on both engines: one chunk decoded with a forced start, and as the model would.

The steered row and, when the caller has no original, the model's own row run in one call (the same source
twice, the second with its prefix); with the original given, the steered row runs alone, so steering costs
one translation. The search itself is each engine's own:

- CTranslate2: ``translate_batch(target_prefix=...)``, with the options every call of the engine shares.
- transformers: ``generate()`` with a logits processor that, while a row's prefix lasts, leaves that row only its
  forced token, scored as certain (log-prob 0). CTranslate2 scores a forced token so (measured: its score is the
  continuation's log-probs over the whole length), and a beam search ranks by those scores, so this makes the
  two searches the same one: the continuation that is best given the start, over every token's length.

The steered output's token confidences are translate()'s (the word each token and each alternative makes
included), with what the searches' scores leave out at a forced step: the model's distribution there, its
runners-up, the forced tokens' log-probs. CTranslate2 reads the output back through the decoder (one beam,
forced), as after any of its beam searches; generate() keeps each step's scores, and the processor keeps each
forced step's as they came in, before it forced them. The steered score is the whole output's, forced tokens
included, as the original's is. The caps and the truncation test are the generate path's
(engines/transformers.py, ctranslate2.py).
"""

from __future__ import annotations

import dataclasses
import math

import torch
from transformers import LogitsProcessor, LogitsProcessorList, StoppingCriteriaList

from ..results import Hypothesis, TokenScore
from . import confidences
from . import ctranslate2 as fast
from . import transformers as reference
from .base import Generated, GenerationOptions, Seq2Seq, decoder

Steered = tuple[Generated | None, Generated]  # (the model's own translation, None unless asked; the steered one)


def steered(
    loaded: Seq2Seq, text: str, cap: int, options: GenerationOptions, prefix: list[str], *, own: bool = True
) -> Steered:
    """The translation of ``text`` that starts with ``prefix`` (target token texts), with its token confidences,
    and with ``own`` the model's own translation too, in the same call; each under ``cap`` new tokens (the
    forced ones count)."""
    run = _ctranslate2 if isinstance(loaded.model, fast.FastModel) else _transformers
    return run(loaded, text, cap, options, [[], prefix] if own else [prefix])


def log_probs(tokens: tuple[TokenScore, ...]) -> list[float]:
    """Each token's log-probability, back from its probability (-inf where it underflowed to 0)."""
    return [math.log(t.prob) if t.prob > 0 else -math.inf for t in tokens]


# -------------------------------------------------------------------- transformers


class ForcedPrefix(LogitsProcessor):
    """While a text's prefix lasts, every row of it may take only the prefix's next token, at log-prob 0."""

    def __init__(self, prefixes: list[list[int]], rows_per_text: int, ends: list[int]) -> None:
        self.prefixes = prefixes
        self.rows_per_text = rows_per_text  # beams
        self.ends = ends
        self.seen: list[torch.Tensor] = []  # each forced step's scores as they came in, before any was forced

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        step = input_ids.shape[1] - 1  # tokens generated so far: column 0 is the decoder start token
        if step < max(map(len, self.prefixes), default=0):
            self.seen.append(scores.clone())
        for text, prefix in enumerate(self.prefixes):
            rows = slice(text * self.rows_per_text, (text + 1) * self.rows_per_text)
            if step < len(prefix):
                scores[rows] = -math.inf
                scores[rows, prefix[step]] = 0.0
            elif prefix and step == len(prefix) and self.rows_per_text > 1:
                # CTranslate2's beam search (not its greedy search) never ends a text at the step right after its
                # prefix (measured: with this the engines' steered beam searches agree): nor does this one
                scores[rows, self.ends] = -math.inf
        return scores


def _transformers(
    loaded: Seq2Seq, text: str, cap: int, options: GenerationOptions, prefixes: list[list[str]]
) -> Steered:
    """One row per prefix, the steered one last; an own row (an empty prefix first) is scored by the search."""
    forced = [[int(i) for i in loaded.tokenizer.convert_tokens_to_ids(p)] for p in prefixes]
    rows = len(prefixes)
    eos = loaded.model.generation_config.eos_token_id
    ends = [eos] if isinstance(eos, int) else list(eos or [])
    single = dataclasses.replace(options, num_return_sequences=1)
    forcing = ForcedPrefix(forced, options.num_beams, ends)
    with torch.inference_mode():
        out = loaded.model.generate(
            **reference.encode(loaded, [text] * rows),
            **reference.generation_kwargs(single, cap),
            logits_processor=LogitsProcessorList([forcing]),
            stopping_criteria=StoppingCriteriaList([reference.NewTokenCaps(torch.tensor([cap] * rows), 1)]),
        )
    # the forced steps' scores as the model gave them (the processor runs last): the rest are as generate kept them
    out.scores = (*forcing.seen, *out.scores[len(forcing.seen) :])
    lengths, ended = reference.generated_lengths(out.sequences, [cap] * rows, 1, ends)
    ids = [out.sequences[r, : 1 + lengths[r]].tolist() for r in range(rows)]
    texts = loaded.tokenizer.batch_decode([i[1:] for i in ids], skip_special_tokens=True)
    # translate()'s confidences of the steered row (its search scores, forced steps' included, are the processor's)
    tokens = reference.token_scores(loaded, out, [rows - 1], lengths, single)[0]

    def row(r: int, score: float, scored: tuple[TokenScore, ...] = ()) -> Generated:
        return Generated([Hypothesis(texts[r].strip(), score)], ids[r], lengths[r], not ended[r], cap, scored)

    score = sum(log_probs(tokens)) / len(tokens) ** options.length_penalty if tokens else 0.0
    steered = row(-1, score, tokens)
    if rows == 1:
        return None, steered
    return row(0, reference.sequence_scores(loaded.model, out, lengths, single)[0]), steered


# -------------------------------------------------------------------- CTranslate2


def _ctranslate2(
    loaded: Seq2Seq, text: str, cap: int, options: GenerationOptions, prefixes: list[list[str]]
) -> Steered:
    """One row per prefix, the steered one last; an own row (an empty prefix first) keeps the search's score."""
    model: fast.FastModel = loaded.model
    ids = loaded.tokenizer([text], add_special_tokens=loaded.recipe.add_special_tokens)["input_ids"][0]
    source = [model.source_vocabulary[i] for i in ids]
    sources = [source] * len(prefixes)
    found = fast.translate_call(model, sources, cap, options, num_hypotheses=1, target_prefix=prefixes)
    best = found[-1].hypotheses[0]
    # the steered output read back (one beam, forced), as after any beam search of this engine
    logits = fast.translate_call(model, [source], cap, options, **confidences.forced([best]))[0].logits[0]
    specials = {model.ids[t] for t in loaded.tokenizer.all_special_tokens if t in model.ids}
    decode = decoder(loaded.tokenizer)
    tokens = confidences.token_scores(model.vocabulary, model.ids, best, logits, specials, decode)
    score = sum(log_probs(tokens)) / len(tokens) ** options.length_penalty if tokens else 0.0
    steered = fast.generated(loaded, model, [(best, score)], cap, tokens)
    if len(prefixes) == 1:
        return None, steered
    return fast.generated(loaded, model, [(found[0].hypotheses[0], found[0].scores[0])], cap, ()), steered
