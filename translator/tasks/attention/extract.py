"""attend() and attend_translation(): attention weights as arrays.

Arrays only, no drawing (translator.render draws; select.py picks what a view shows).
Every attention array is float32 shaped ``(layers, heads, queries, keys)`` and each of its rows
sums to 1. The weights come from an eager-attention copy of the model (``load_model(..., attn="eager")``):
sdpa kernels never materialise them, so the other tabs keep their faster sdpa copy.

Translation attention is taken on the text the model actually generated, not on a reference:
``generate`` runs first (greedy or beam search), then ONE teacher-forced forward pass with the
generated ids as the decoder input returns encoder self-, decoder self- and cross-attention.

Decoder positions: ``target_tokens`` are the tokens of the generated ids exactly as ``generate``
returned them, so ``target_tokens[0]`` is the decoder start token (``<pad>`` for Marian, ``<s>``
for BERT2BERT) and the last one is usually ``</s>``. Row ``i`` of ``decoder`` and ``cross`` is the
attention computed while the decoder reads ``target_tokens[i]`` (the step that predicts
``target_tokens[i + 1]``). Labelling rows by the decoder input keeps decoder self-attention square
with the same tokens on both axes, and it is the "shift" convention that gives the better word
alignment from cross-attention (Chen et al., 2020). The start and end tokens count as special
tokens, so "hide special tokens" removes them.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ...core.checks import int_arg, text_arg
from ...core.errors import InputError, ModelUnavailableError
from ...core.limits import model_input_limit
from ...core.loading import LoadedModel, load_model
from ...core.registry import OFFLINE_MINILM
from ...core.results import Progress, report, run_info
from ...core.settings import get_settings
from ..translation.generation import generate_batch, generation_options
from .results import AttentionResult, TranslationAttention
from .tokens import axis_from_encoding, axis_from_ids, cut_message, tokenize_capped
from .words import to_words

# -------------------------------------------------------------------- checks


def _token_cap(loaded: LoadedModel, max_tokens: int | None) -> int:
    cap = get_settings().max_attention_tokens
    if max_tokens is not None:
        cap = int_arg("max_tokens", max_tokens, 2, cap)
    return min(cap, model_input_limit(loaded.tokenizer, loaded.model.config))


# -------------------------------------------------------------------- forward passes


def _stack(attentions: Sequence[torch.Tensor] | None, what: str, key: str) -> np.ndarray:
    """Per-layer (1, heads, q, k) tensors -> (layers, heads, q, k) float32 with rows renormalized."""
    if not attentions or any(a is None for a in attentions):
        raise ModelUnavailableError(f"Model {key!r} returned no {what} attention weights.")
    stacked = np.stack([layer[0].float().cpu().numpy() for layer in attentions])  # (layers, heads, q, k)
    # softmax already sums to 1; dividing again removes bf16/fp16 rounding drift
    return stacked / stacked.sum(-1, keepdims=True)


def _forward_inputs(model: Any, encoding: Any, device: torch.device) -> dict[str, torch.Tensor]:
    accepted = set(inspect.signature(model.forward).parameters)
    names = ("input_ids", "attention_mask", "token_type_ids")
    return {
        name: torch.tensor([encoding[name]], device=device) for name in names if name in encoding and name in accepted
    }


def _in_words(result: Any, word_level: bool) -> Any:
    return to_words(result) if word_level else result


def attend(
    text: str,
    *,
    text_pair: str | None = None,
    model: str = OFFLINE_MINILM,
    word_level: bool = False,
    precision: str = "auto",
    max_tokens: int | None = None,
    progress: Progress | None = None,
) -> AttentionResult:
    """Self-attention of every layer and head of an encoder for ``text`` (and ``text_pair``).

    ``max_tokens`` lowers the token cap (default: ``Settings.max_attention_tokens``); what the cap
    cuts is described in ``result.cut``. ``word_level`` merges sub-word pieces (see ``to_words``).
    """
    started = time.perf_counter()
    limit = get_settings().max_chars_attention
    texts = [text_arg("text", text, limit)]
    if text_pair is not None and not isinstance(text_pair, str):
        raise InputError("text_pair must be a string or None.")
    if text_pair and text_pair.strip():
        texts.append(text_arg("second text", text_pair, limit))
    report(progress, 0.05, "loading the model")
    loaded = load_model(model, "encoder", precision=precision, attn="eager")
    cap = _token_cap(loaded, max_tokens)
    encoding, n_before = tokenize_capped(loaded.tokenizer, texts, cap, loaded.recipe.add_special_tokens)
    if loaded.tokenizer.is_fast:
        axis = axis_from_encoding(loaded.tokenizer, encoding, texts)
    else:
        types = encoding.get("token_type_ids") if len(texts) > 1 else None
        axis = axis_from_ids(loaded.tokenizer, encoding["input_ids"], list(types) if types else None)
    report(progress, 0.4, "computing attention")
    with torch.inference_mode():
        output = loaded.model(**_forward_inputs(loaded.model, encoding, loaded.device), output_attentions=True)
    result = AttentionResult(
        tokens=axis.tokens,
        attentions=_stack(output.attentions, "encoder", loaded.key),
        special=axis.special,
        segments=axis.segments,
        words=axis.words,
        word_labels=axis.word_labels,
        word_level=False,
        n_input_tokens=n_before,
        cut=cut_message(encoding, texts, n_before, loaded.tokenizer),
        **run_info(loaded, started),
    )
    return _in_words(result, word_level)


def attend_translation(
    source: str,
    *,
    model: str = "opus-mt-en-de",
    num_beams: int = 1,
    word_level: bool = False,
    precision: str = "auto",
    max_tokens: int | None = None,
    progress: Progress | None = None,
) -> TranslationAttention:
    """Translate ``source`` the way translate() does, then return encoder, decoder and cross-attention on the
    generated text.

    The translation runs through the same generate path as translate() (same caps, same truncation
    detection), so the attention shown is that of the translation a user sees in the Translate tab.
    See the module docstring for how decoder rows line up with ``target_tokens``.
    """
    started = time.perf_counter()
    source = text_arg("source text", source, get_settings().max_chars_attention)
    options = generation_options(num_beams, confidences=False)  # the ids are what is drawn
    report(progress, 0.05, "loading the model")
    loaded = load_model(model, "translation", precision=precision, attn="eager")
    tokenizer = loaded.tokenizer
    cap = _token_cap(loaded, max_tokens)
    encoding, n_before = tokenize_capped(tokenizer, [source], cap, loaded.recipe.add_special_tokens)
    source_axis = (
        axis_from_encoding(tokenizer, encoding, [source])
        if tokenizer.is_fast
        else axis_from_ids(tokenizer, encoding["input_ids"])
    )
    inputs = {name: torch.tensor([encoding[name]], device=loaded.device) for name in ("input_ids", "attention_mask")}
    report(progress, 0.2, f"translating ({'greedy' if options.num_beams == 1 else f'{options.num_beams} beams'})")
    n_content = len(encoding["input_ids"]) - (
        tokenizer.num_special_tokens_to_add() if loaded.recipe.add_special_tokens else 0
    )
    # the text the model reads: all of it, or what the token cap kept
    kept = tokenizer.decode(encoding["input_ids"], skip_special_tokens=True) if n_before > cap else source
    generated = generate_batch(loaded, [kept], [n_content], options)[0]
    notes = []
    if generated.truncated:
        notes.append(
            f"The translation stopped after {generated.new_tokens} new tokens, before the model ended "
            "it (the new-token or time limit); the attention is that of the cut translation."
        )
    report(progress, 0.8, "computing attention on the generated text")
    target_axis = axis_from_ids(tokenizer, generated.ids)
    with torch.inference_mode():
        output = loaded.model(
            **inputs, decoder_input_ids=torch.tensor([generated.ids], device=loaded.device), output_attentions=True
        )
    result = TranslationAttention(
        source_tokens=source_axis.tokens,
        target_tokens=target_axis.tokens,
        encoder=_stack(output.encoder_attentions, "encoder", loaded.key),
        decoder=_stack(output.decoder_attentions, "decoder", loaded.key),
        cross=_stack(output.cross_attentions, "cross", loaded.key),
        translation=generated.hypotheses[0].text,
        source_special=source_axis.special,
        target_special=target_axis.special,
        source_words=source_axis.words,
        target_words=target_axis.words,
        source_word_labels=source_axis.word_labels,
        target_word_labels=target_axis.word_labels,
        word_level=False,
        num_beams=options.num_beams,
        n_input_tokens=n_before,
        cut=cut_message(encoding, [source], n_before, tokenizer),
        **run_info(loaded, started, notes),
    )
    return _in_words(result, word_level)
