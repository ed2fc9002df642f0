"""The transformers engine: ``model.generate`` with per-row caps; the reference every other engine must match."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from transformers import LogitsProcessor, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

from ..results import Hypothesis, TokenScore
from .base import ALTERNATIVES, Generated, GenerationOptions, Seq2Seq, decoder, scored_tokens
from .diverse import group_runs

# sampling draws this many samples per n-best row asked for, and keeps the distinct ones: a peaked distribution
# draws the same text again and again
OVERSAMPLE = 3
# generate(output_scores=True) keeps a (rows x beams, vocab) float32 tensor per step: batches stay under this
SCORES_BYTES = 1 * 2**30


class NewTokenCaps(StoppingCriteria):
    """Stops each row at its own new-token cap, so a text gets the same cap in a batch as alone."""

    def __init__(self, caps: torch.Tensor, prompt_length: int) -> None:
        self.caps = caps  # (batch,)
        self.prompt_length = prompt_length

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        rows_per_item = input_ids.shape[0] // self.caps.shape[0]  # beams (or 2 x beams of candidates)
        caps = self.caps.to(input_ids.device).repeat_interleave(rows_per_item)
        return (input_ids.shape[1] - self.prompt_length) >= caps


def max_rows(loaded: Seq2Seq, longest_cap: int, options: GenerationOptions) -> int:
    """Texts per batch whose per-step scores fit SCORES_BYTES (they dominate memory for a large vocabulary)."""
    per_row = max(options.num_beams, rows_per_text(options)) * vocab_size(loaded.model) * longest_cap * 4
    return max(1, SCORES_BYTES // per_row)


def vocab_size(model: Any) -> int:
    embeddings = model.get_output_embeddings()
    return int(embeddings.weight.shape[0]) if embeddings is not None else int(model.config.vocab_size)


def encode(loaded: Seq2Seq, texts: list[str]) -> dict[str, torch.Tensor]:
    """The batch as the model reads it, special tokens per the checkpoint's recipe."""
    encoded = loaded.tokenizer(
        texts, add_special_tokens=loaded.recipe.add_special_tokens, padding=True, return_tensors="pt"
    )
    # only what every seq2seq forward takes (a BERT tokenizer adds token_type_ids, which generate() rejects)
    return {name: encoded[name].to(loaded.device) for name in ("input_ids", "attention_mask")}


def generation_kwargs(options: GenerationOptions, max_new_tokens: int) -> dict[str, Any]:
    """What generate() gets beyond the model's own generation config (passed as arguments, they override it)."""
    sampling = options.decoding == "sampling"
    return dict(
        num_beams=options.num_beams,
        num_return_sequences=rows_per_text(options),
        length_penalty=options.length_penalty,
        no_repeat_ngram_size=options.no_repeat_ngram_size,
        max_new_tokens=max_new_tokens,
        max_time=options.max_time,
        do_sample=sampling,
        # the model's generation config may carry its own (top_k=50 is generate()'s default): ours override them
        **(dict(temperature=options.temperature, top_k=options.top_k, top_p=options.top_p) if sampling else {}),
        # a forced </s> at the cap would hide the cut (and fall at a different step in a batch than alone)
        forced_eos_token_id=None,
        return_dict_in_generate=True,
        output_scores=True,  # beam search returns sequence scores only with these
    )


def rows_per_text(options: GenerationOptions) -> int:
    """Sequences generate() returns per text: the n-best, or for sampling OVERSAMPLE times that, to pick from
    (from the one most likely token, top_k 1, every sample is the greedy one: one is enough)."""
    if options.decoding != "sampling":
        return options.num_return_sequences
    return 1 if options.top_k == 1 else options.num_return_sequences * OVERSAMPLE


@contextmanager
def seeded(seed: int | None, device: torch.device) -> Iterator[None]:
    """torch's random numbers from ``seed`` inside the block (when one is given), and as they were after it."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield


def generate(loaded: Seq2Seq, texts: list[str], caps: list[int], options: GenerationOptions) -> list[Generated]:
    if options.decoding == "diverse":
        return _diverse(loaded, texts, caps, options)
    return _generate(loaded, texts, caps, options)


def _diverse(loaded: Seq2Seq, texts: list[str], caps: list[int], options: GenerationOptions) -> list[Generated]:
    """Diverse beam search, one group after another (diverse.py); per text, every group's hypotheses best first,
    the n-best of them kept, and the best one's tokens and confidences."""
    runs = [_generate(loaded, texts, caps, group, [diversity]) for group, diversity in group_runs(options, len(texts))]
    merged = []
    for outputs in zip(*runs, strict=True):
        best = max(outputs, key=lambda o: o.hypotheses[0].score)
        ranked = sorted((h for o in outputs for h in o.hypotheses), key=lambda h: -h.score)
        merged.append(dataclasses.replace(best, hypotheses=ranked[: options.num_return_sequences]))
    return merged


def _generate(
    loaded: Seq2Seq,
    texts: list[str],
    caps: list[int],
    options: GenerationOptions,
    processors: list[LogitsProcessor] | None = None,
) -> list[Generated]:
    encoded = encode(loaded, texts)
    with torch.inference_mode(), seeded(options.seed, loaded.device):
        out = loaded.model.generate(
            **encoded,
            **generation_kwargs(options, max(caps)),
            logits_processor=LogitsProcessorList(processors or []),
            stopping_criteria=StoppingCriteriaList([NewTokenCaps(torch.tensor(caps, device=loaded.device), 1)]),
        )
    sequences = out.sequences  # (batch * rows per text, 1 + new tokens); column 0 is the decoder start token
    per_text = rows_per_text(options)
    lengths, ended = generated_lengths(sequences, caps, per_text, loaded.model.generation_config.eos_token_id)
    scores = sequence_scores(loaded.model, out, lengths, options)
    texts_out = loaded.tokenizer.batch_decode(sequences, skip_special_tokens=True)
    # per text, its rows best first (sampling: the distinct texts among them, each once)
    ranked = []
    for row in range(len(caps)):
        order = sorted(range(row * per_text, (row + 1) * per_text), key=lambda r: -scores[r])
        if options.decoding == "sampling":
            order = list({texts_out[r].strip(): r for r in reversed(order)}.values())[::-1]
        ranked.append(order[: options.num_return_sequences])
    best_rows = [order[0] for order in ranked]
    confidences = token_scores(loaded, out, best_rows, lengths, options) if options.confidences else [()] * len(caps)
    results = []
    for order, cap, confidence in zip(ranked, caps, confidences, strict=True):
        best = order[0]
        results.append(
            Generated(
                hypotheses=[Hypothesis(texts_out[r].strip(), scores[r]) for r in order],
                ids=sequences[best, : 1 + lengths[best]].tolist(),
                new_tokens=lengths[best],
                truncated=not ended[best],
                max_new_tokens=cap,
                tokens=confidence,
            )
        )
    return results


def token_scores(
    loaded: Seq2Seq, out: Any, best_rows: list[int], lengths: list[int], options: GenerationOptions
) -> list[tuple[TokenScore, ...]]:
    """Per text, each generated token of its best hypothesis: its probability and the step's top other tokens.

    The log-probs generate chose by (processors applied), taken from the row each token came from (beam search:
    ``beam_indices``), one step at a time: no (rows, vocab, steps) copy of the scores.
    """
    rows = torch.tensor(best_rows, device=out.sequences.device)
    if options.num_beams > 1:
        origins = out.beam_indices[rows].clamp(min=0)  # (texts, steps): row of scores[t]; -1 past a text's end
    else:
        origins = rows[:, None].expand(-1, len(out.scores))
    steps = max(lengths[r] for r in best_rows)
    chosen, top_values, top_ids = [], [], []
    for t in range(steps):
        step = out.scores[t][origins[:, t]].float()  # (texts, vocab)
        if options.num_beams == 1:  # greedy search keeps logits, beam search log-probs
            step = torch.log_softmax(step, dim=-1)
        chosen.append(step.gather(-1, out.sequences[rows, 1 + t, None]).squeeze(-1))
        top = step.topk(min(ALTERNATIVES + 1, step.shape[-1]), dim=-1)
        top_values.append(top.values)
        top_ids.append(top.indices)
    chosen_lp = torch.stack(chosen, dim=1).tolist()  # (texts, steps)
    top_lp = torch.stack(top_values, dim=1).tolist()  # (texts, steps, ALTERNATIVES + 1)
    top_token = torch.stack(top_ids, dim=1).tolist()
    specials = set(loaded.tokenizer.all_special_ids)
    confidences = []
    for i, row in enumerate(best_rows):
        tokens = out.sequences[row, 1 : 1 + lengths[row]].tolist()
        names = token_names(loaded.tokenizer, {*tokens, *(a for t in range(len(tokens)) for a in top_token[i][t])})
        confidences.append(
            scored_tokens(tokens, chosen_lp[i], top_token[i], top_lp[i], names, specials, decoder(loaded.tokenizer))
        )
    return confidences


def token_names(tokenizer: Any, ids: set[int]) -> dict[int, str]:
    """Each id as the tokenizer spells it ("▁Haus", "##s"); an id past the tokenizer's vocabulary as ``<id N>``."""
    ordered = sorted(ids)
    pieces = tokenizer.convert_ids_to_tokens(ordered)
    return {i: p if isinstance(p, str) else f"<id {i}>" for i, p in zip(ordered, pieces, strict=True)}


def generated_lengths(
    sequences: torch.Tensor, caps: list[int], n_best: int, eos_token_id: int | list[int] | None
) -> tuple[list[int], list[bool]]:
    """Per row: tokens generated up to and including the first </s> (else up to its cap), and whether it ended."""
    targets = sequences[:, 1:]
    is_eos = torch.zeros_like(targets, dtype=torch.bool)
    for token in [eos_token_id] if isinstance(eos_token_id, int) else (eos_token_id or []):
        is_eos |= targets == token
    # an unfinished row ran to its cap, or to the time limit (then every row stopped at the last column)
    row_caps = torch.tensor(caps, device=targets.device).repeat_interleave(n_best).clamp(max=targets.shape[1])
    first_eos = is_eos.int().argmax(dim=1)
    # beam search finalizes a row stopped at its own cap with a </s> one past the cap: that is a cut, not an end
    ended = is_eos.any(dim=1) & (first_eos < row_caps)
    lengths = torch.where(ended, first_eos + 1, row_caps)
    return lengths.tolist(), ended.tolist()


def sequence_scores(model: Any, out: Any, lengths: list[int], options: GenerationOptions) -> list[float]:
    """generate()'s beam scores; for greedy search the same formula over the log-softmaxed step scores."""
    if options.num_beams > 1:
        return out.sequences_scores.float().tolist()
    # greedy search keeps logits: normalized, each chosen token's log-prob (float32 whatever the model computes in)
    scores = tuple(step.float() for step in out.scores)
    picked = model.compute_transition_scores(out.sequences, scores, normalize_logits=True)  # (rows, steps)
    length = torch.tensor(lengths, device=picked.device)
    keep = torch.arange(picked.shape[1], device=picked.device)[None, :] < length[:, None]
    # after a row ends it is padded, and padding may score -inf: count nothing past the length
    total = torch.where(keep, picked, torch.zeros_like(picked)).sum(dim=1)
    return (total / length.float() ** options.length_penalty).tolist()
