"""attribute(): which source tokens (and earlier target tokens) drove each token of a translation.

Integrated gradients and input x gradient come from Captum (gradients.py) on the embedding outputs; the
``attention`` method is the cross-attention of the same steps, for the side-by-side view. Target token ``i`` is
explained by the log-probability the model gives it at its step, teacher-forced on the target before it: the
translation the model generated (the same generate path as translate()), or a target the caller gives.

Integrated gradients' baseline keeps the special tokens (the decoder start token, ``</s>``, ``[CLS]``...) and
pads every other token, so a special token's integrated gradient is exactly 0 and the row sums to
f(input) - f(baseline) up to the reported convergence delta (completeness, Sundararajan et al. 2017).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr

from ...core.checks import bool_arg, choice_arg, int_arg, text_arg
from ...core.errors import InputError
from ...core.limits import model_input_limit, new_token_limit
from ...core.loading import LoadedModel, load_model
from ...core.results import Progress, report, run_info
from ...core.settings import get_settings
from ..translation.generation import generate_batch, generation_options
from .gradients import GRADIENT_METHODS, Objective, attribute_layers
from .results import ATTRIBUTION_METHODS, Attribution
from .tokens import Axis, axis_from_encoding, axis_from_ids, groups, tokenize_capped
from .words import merge_pieces

DEFAULT_MODEL = "opus-mt-en-de"
# runners-up listed per target token: what contrastive mode offers ("why X rather than Y?")
ALTERNATIVES = 3

# -------------------------------------------------------------------- checks shared with attribute_answer


def method_and_steps(method: object, steps: object, precision: str) -> tuple[str, int]:
    """The checked method and its step count (0 unless integrated gradients); quantized weights are refused."""
    method = choice_arg("method", method, ATTRIBUTION_METHODS)
    if method not in GRADIENT_METHODS:
        return method, 0
    effective = get_settings().precision if precision == "auto" else precision
    if effective in ("4bit", "8bit"):
        raise InputError(
            f"Gradients need fp32 or bf16 weights, and {effective} weights are quantized: choose precision fp32."
        )
    if method == "input_x_gradient":
        return method, 0
    return method, int_arg("steps", steps, 1, get_settings().max_attribution_steps)


def source_axis(loaded: LoadedModel, text: str, what: str) -> tuple[list[int], Axis]:
    """``text``'s ids and token axis; over the model's input limit: one sentence."""
    tokenizer = loaded.tokenizer
    limit = model_input_limit(tokenizer, loaded.model.config)
    encoding, n_tokens = tokenize_capped(tokenizer, [text], limit, loaded.recipe.add_special_tokens)
    if n_tokens > limit:
        raise InputError(f"The {what} is {n_tokens:,} tokens long; this model reads at most {limit:,}: shorten it.")
    ids = list(encoding["input_ids"])
    axis = axis_from_encoding(tokenizer, encoding, [text]) if tokenizer.is_fast else axis_from_ids(tokenizer, ids)
    return ids, axis


def rank_correlations(attention: np.ndarray | None, scores: np.ndarray, special: list[bool]) -> list[float]:
    """Per row, Spearman's rho between attention and |attribution| over the source's content tokens (special
    tokens are left out: the baseline keeps them, so their integrated gradient is 0 while attention piles onto
    them). NaN where a row is constant or the view has no attention."""
    content = ~np.asarray(special, dtype=bool)
    if attention is None or content.sum() < 3:  # a rank correlation over two tokens says nothing
        return [float("nan")] * len(scores)
    rhos = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant row: scipy warns and returns NaN, which is the answer
        for weights, row in zip(attention, scores, strict=True):
            rhos.append(float(spearmanr(weights[content], np.abs(row[: len(content)][content])).statistic))
    return rhos


def mean_or_nan(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


# -------------------------------------------------------------------- words


def _sum_runs(matrix: np.ndarray, words: list[int], axis: int) -> np.ndarray:
    """Add up the entries of each word's pieces along ``axis`` (``words``: non-decreasing word ids)."""
    return np.add.reduceat(matrix, np.unique(words, return_index=True)[1], axis=axis)


def attribution_words(result: Attribution) -> Attribution:
    """``result`` with pieces merged into words: scores summed over a word's source, prefix and target pieces
    (totals and completeness kept), attention summed over source pieces and averaged over target pieces."""
    if result.word_level:
        return result
    row_words = [result.target_words[p] for p in result.positions]
    columns = [result.source_words, [w + result.source_words[-1] + 1 for w in result.prefix_words]]
    merged = _sum_runs(_sum_runs(result.scores, columns[0] + columns[1], axis=1), row_words, axis=0)
    attention = None if result.attention is None else merge_pieces(result.attention, row_words, result.source_words)
    firsts = [members[0] for members in groups(result.target_words)]
    special = [result.source_special[m[0]] for m in groups(result.source_words)]
    rhos = rank_correlations(attention, merged, special)
    return replace(
        result,
        source_tokens=list(result.source_word_labels),
        prefix_tokens=list(result.prefix_word_labels),
        target_tokens=list(result.target_word_labels),
        positions=sorted(set(row_words)),
        scores=merged,
        deltas=None if result.deltas is None else _sum_runs(result.deltas, row_words, axis=0),
        attention=attention,
        rank_correlation=rhos,
        mean_rank_correlation=mean_or_nan(rhos),
        alternatives=[result.alternatives[i] for i in firsts],
        source_special=special,
        prefix_special=[result.prefix_special[m[0]] for m in groups(result.prefix_words)],
        target_special=[result.target_special[i] for i in firsts],
        source_words=list(range(len(result.source_word_labels))),
        prefix_words=list(range(len(result.prefix_word_labels))),
        target_words=list(range(len(result.target_word_labels))),
        word_level=True,
    )


# -------------------------------------------------------------------- translation


def _target_ids(loaded: LoadedModel, target: str) -> list[int]:
    """A given target as the decoder would have written it: its pieces (target vocabulary), then the end token."""
    tokenizer = loaded.tokenizer
    ids = tokenizer(text_target=target, add_special_tokens=False)["input_ids"]
    return [*ids, loaded.model.generation_config.eos_token_id]


def _contrast(loaded: LoadedModel, contrast: object, n_target: int) -> tuple[int, int] | None:
    """(position, token id) of ``contrast=(position, token)``; the token as the tokenizer spells it ("▁Haus"), or
    text that is one token."""
    if contrast is None:
        return None
    if not isinstance(contrast, list | tuple) or len(contrast) != 2 or not isinstance(contrast[1], str):
        raise InputError("contrast must be (position, token), e.g. (2, '▁Haus'), or None.")
    position = int_arg("The contrast position", contrast[0], 0, n_target - 1)
    tokenizer = loaded.tokenizer
    token_id = tokenizer.convert_tokens_to_ids(contrast[1])
    if token_id is None or token_id == tokenizer.unk_token_id:
        pieces = tokenizer(text_target=contrast[1], add_special_tokens=False)["input_ids"]
        if len(pieces) != 1:
            raise InputError(f"The contrast {contrast[1]!r} is {len(pieces)} tokens; pick a single token.")
        token_id = pieces[0]
    return position, int(token_id)


def _log_probs(model: Any, targets: torch.Tensor, contrast_id: int | None):
    """forward(source ids, prefix ids) -> (batch, target): log p of each target token at its step, less log p
    of the contrast token when there is one."""

    def forward(input_ids: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
        logits = model(input_ids=input_ids, decoder_input_ids=decoder_input_ids, use_cache=False).logits
        log_p = torch.log_softmax(logits.float(), dim=-1)  # (batch, target, vocab)
        chosen = log_p.gather(-1, targets.expand(log_p.shape[0], -1)[..., None]).squeeze(-1)
        return chosen if contrast_id is None else chosen - log_p[..., contrast_id]

    return forward


def _alternatives(tokenizer: Any, logits: torch.Tensor, targets: list[int]) -> list[tuple[tuple[str, float], ...]]:
    """Per step, the likeliest tokens other than the target, with their probabilities. logits: (target, vocab)."""
    top = torch.softmax(logits.float(), -1).topk(min(ALTERNATIVES + 1, logits.shape[-1]), dim=-1)
    out = []
    for values, ids, chosen in zip(top.values.tolist(), top.indices.tolist(), targets, strict=True):
        names = tokenizer.convert_ids_to_tokens(ids)
        out.append(tuple((n, p) for n, p, i in zip(names, values, ids, strict=True) if i != chosen)[:ALTERNATIVES])
    return out


def attribute(
    source: str,
    *,
    model: str = DEFAULT_MODEL,
    target: str | None = None,
    method: str = "integrated_gradients",
    contrast: tuple[int, str] | None = None,
    steps: int = 32,
    word_level: bool = False,
    num_beams: int = 4,
    precision: str = "auto",
    progress: Progress | None = None,
) -> Attribution:
    """Explain each token of ``target`` (default: the model's own translation of ``source``, ``num_beams``
    beams as translate()) by the source tokens and the target tokens before it.

    ``contrast=(position, token)`` explains log p(target token) - log p(token) at that target position ("why
    X rather than Y?"): one row. ``steps``: integrated-gradients steps (1 to Settings.max_attribution_steps).
    """
    started = time.perf_counter()
    settings = get_settings()
    source = text_arg("source text", source, settings.max_chars_attention)
    method, steps = method_and_steps(method, steps, precision)
    word_level = bool_arg("word_level", word_level)
    options = generation_options(num_beams, confidences=False)  # the ids are what is attributed
    report(progress, 0.02, "loading the model")
    loaded = load_model(model, "translation", precision=precision, attn="eager")
    tokenizer, net = loaded.tokenizer, loaded.model
    source_ids, source_tokens = source_axis(loaded, source, "source text")
    notes: list[str] = []
    if target is None:
        report(progress, 0.05, "translating")
        n_content = len(source_ids) - (tokenizer.num_special_tokens_to_add() if loaded.recipe.add_special_tokens else 0)
        generated = generate_batch(loaded, [source], [n_content], options)[0]
        target_ids, translation = generated.ids[1:], generated.hypotheses[0].text
        if generated.truncated:
            notes.append(f"The translation stopped at the {generated.new_tokens}-token cap before the model ended it.")
    else:
        translation = text_arg("target text", target, settings.max_chars_attention)
        target_ids = _target_ids(loaded, translation)
        cap = new_token_limit(net.config, settings.max_new_tokens)
        if len(target_ids) > cap:
            raise InputError(f"The target is {len(target_ids):,} tokens long; the limit is {cap:,}: shorten it.")
    prefix_ids = [net.generation_config.decoder_start_token_id, *target_ids[:-1]]  # the decoder's input per step
    chosen = _contrast(loaded, contrast, len(target_ids))
    positions = [chosen[0]] if chosen else list(range(len(target_ids)))
    device = loaded.device
    ids = torch.tensor([source_ids], device=device), torch.tensor([prefix_ids], device=device)
    report(progress, 0.15, "reading the target")
    with torch.inference_mode():
        output = net(input_ids=ids[0], decoder_input_ids=ids[1], output_attentions=True, use_cache=False)
    # (layers, 1, heads, target, source) -> (target, source): every layer and head, as the attention views' mean
    cross = torch.stack(output.cross_attentions)[:, 0].float().mean(dim=(0, 1)).cpu().numpy()
    attention = cross[positions]
    targets = torch.tensor(target_ids, device=device)
    n_source = len(source_ids)
    deltas = None
    if method == "attention":
        scores = np.zeros((len(positions), n_source + len(prefix_ids)), dtype=np.float32)
        scores[:, :n_source] = attention
    else:
        special = source_tokens.special
        keep = [sid if flag else tokenizer.pad_token_id for sid, flag in zip(source_ids, special, strict=True)]
        baseline_prefix = [prefix_ids[0]] + [tokenizer.pad_token_id] * (len(prefix_ids) - 1)
        objective = Objective(
            forward=_log_probs(net, targets, chosen[1] if chosen else None),
            layers=[net.get_encoder().get_input_embeddings(), net.get_decoder().get_input_embeddings()],
            inputs=ids,
            baselines=(torch.tensor([keep], device=device), torch.tensor([baseline_prefix], device=device)),
            outputs=positions,
        )
        found = attribute_layers(objective, method, steps, progress)
        scores, deltas = np.concatenate(found.per_input, axis=1), found.deltas
    prefix_axis, target_axis = axis_from_ids(tokenizer, prefix_ids), axis_from_ids(tokenizer, target_ids)
    rhos = rank_correlations(attention, scores, source_tokens.special)
    result = Attribution(
        kind="translation",
        method=method,
        steps=steps,
        source_tokens=source_tokens.tokens,
        target_tokens=target_axis.tokens,
        prefix_tokens=prefix_axis.tokens,
        positions=positions,
        scores=scores.astype(np.float32),
        deltas=deltas,
        convergence_delta=None if deltas is None else float(np.abs(deltas).max()),
        attention=attention,
        rank_correlation=rhos,
        mean_rank_correlation=mean_or_nan(rhos),
        contrast=tokenizer.convert_ids_to_tokens(chosen[1]) if chosen else "",
        alternatives=_alternatives(tokenizer, output.logits[0], target_ids),
        translation=translation,
        source_special=source_tokens.special,
        prefix_special=prefix_axis.special,
        target_special=target_axis.special,
        source_words=source_tokens.words,
        prefix_words=prefix_axis.words,
        target_words=target_axis.words,
        source_word_labels=source_tokens.word_labels,
        prefix_word_labels=prefix_axis.word_labels,
        target_word_labels=target_axis.word_labels,
        word_level=False,
        **run_info(loaded, started, notes),
    )
    report(progress, 1.0, "done")
    return attribution_words(result) if word_level else result
