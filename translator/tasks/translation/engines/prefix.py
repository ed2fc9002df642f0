"""Prefix-forced decoding on both engines: one chunk decoded as the model would, and again with a forced start.

Both rows run in one call (the same source twice, the second with its prefix), so steering costs about one
translation. The search itself is each engine's own:

- CTranslate2: ``translate_batch(target_prefix=...)``, with the options every call of the engine shares.
- transformers: ``generate()`` with a logits processor that, while a row's prefix lasts, leaves that row only its
  forced token, scored as certain (log-prob 0). CTranslate2 scores a forced token so (measured: its score is the
  continuation's log-probs over the whole length), and a beam search ranks by those scores, so this makes the
  two searches the same one: the continuation that is best given the start, over every token's length.

The steered output is then read back through the decoder, teacher-forced (one pass), for what the searches'
scores leave out at a forced step: the model's distribution there, its runners-up, the forced tokens'
log-probs; its score is the whole output's, forced tokens included, as the original's is. The
caps and the truncation test are the generate path's (engines/transformers.py, ctranslate2.py).
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
from .base import ALTERNATIVES, Generated, GenerationOptions, Seq2Seq, scored_tokens


def steered(loaded: Seq2Seq, text: str, cap: int, options: GenerationOptions, prefix: list[str]) -> list[Generated]:
    """[the model's own translation of ``text``, the one that starts with ``prefix``] (target token texts), each
    under ``cap`` new tokens (the forced ones count). The steered one carries its token confidences."""
    run = _ctranslate2 if isinstance(loaded.model, fast.FastModel) else _transformers
    return run(loaded, text, cap, options, prefix)


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

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        step = input_ids.shape[1] - 1  # tokens generated so far: column 0 is the decoder start token
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
    loaded: Seq2Seq, text: str, cap: int, options: GenerationOptions, prefix: list[str]
) -> list[Generated]:
    forced = [int(i) for i in loaded.tokenizer.convert_tokens_to_ids(prefix)]
    encoded = reference.encode(loaded, [text, text])
    eos = loaded.model.generation_config.eos_token_id
    ends = [eos] if isinstance(eos, int) else list(eos or [])
    single = dataclasses.replace(options, num_return_sequences=1)
    with torch.inference_mode():
        out = loaded.model.generate(
            **encoded,
            **reference.generation_kwargs(single, cap),
            logits_processor=LogitsProcessorList([ForcedPrefix([[], forced], options.num_beams, ends)]),
            stopping_criteria=StoppingCriteriaList([reference.NewTokenCaps(torch.tensor([cap, cap]), 1)]),
        )
    lengths, ended = reference.generated_lengths(out.sequences, [cap, cap], 1, ends)
    scores = reference.sequence_scores(loaded.model, out, lengths, single)  # row 1's are the processor's: unused
    ids = [out.sequences[row, : 1 + lengths[row]].tolist() for row in (0, 1)]
    texts = loaded.tokenizer.batch_decode([row[1:] for row in ids], skip_special_tokens=True)
    tokens = _read_back(loaded, encoded, ids[1])
    score = sum(log_probs(tokens)) / len(tokens) ** options.length_penalty
    return [
        Generated([Hypothesis(texts[row].strip(), s)], ids[row], lengths[row], not ended[row], cap, t)
        for row, s, t in ((0, scores[0], ()), (1, score, tokens))
    ]


def _read_back(loaded: Seq2Seq, encoded: dict[str, torch.Tensor], ids: list[int]) -> tuple[TokenScore, ...]:
    """Each generated token of ``ids`` (decoder start first) with the model's distribution at its step."""
    decoder = torch.tensor([ids[:-1]], device=loaded.device)
    with torch.inference_mode():
        logits = loaded.model(
            input_ids=encoded["input_ids"][:1], attention_mask=encoded["attention_mask"][:1], decoder_input_ids=decoder
        ).logits[0]  # (tokens, vocab)
    steps = torch.log_softmax(logits.float(), dim=-1)
    chosen = steps.gather(-1, torch.tensor(ids[1:], device=steps.device)[:, None]).squeeze(-1)
    top = steps.topk(min(ALTERNATIVES + 1, steps.shape[-1]), dim=-1)
    names = reference.token_names(loaded.tokenizer, {*ids[1:], *top.indices.flatten().tolist()})
    specials = set(loaded.tokenizer.all_special_ids)
    return scored_tokens(ids[1:], chosen.tolist(), top.indices.tolist(), top.values.tolist(), names, specials)


# -------------------------------------------------------------------- CTranslate2


def _ctranslate2(
    loaded: Seq2Seq, text: str, cap: int, options: GenerationOptions, prefix: list[str]
) -> list[Generated]:
    model: fast.FastModel = loaded.model
    ids = loaded.tokenizer([text], add_special_tokens=loaded.recipe.add_special_tokens)["input_ids"][0]
    source = [model.source_vocabulary[i] for i in ids]
    found = fast.translate_call(model, [source, source], cap, options, num_hypotheses=1, target_prefix=[[], prefix])
    best = found[1].hypotheses[0]
    # the steered output read back (one beam, forced), as after any beam search of this engine
    logits = fast.translate_call(model, [source], cap, options, **confidences.forced([best]))[0].logits[0]
    specials = {model.ids[t] for t in loaded.tokenizer.all_special_tokens if t in model.ids}
    tokens = confidences.token_scores(model.vocabulary, model.ids, best, logits, specials)
    score = sum(log_probs(tokens)) / len(tokens) ** options.length_penalty if tokens else 0.0
    rows = [[(found[0].hypotheses[0], found[0].scores[0])], [(best, score)]]
    return [fast.generated(loaded, model, row, cap, t) for row, t in zip(rows, [(), tokens], strict=True)]
