"""attend() and attend_translation(): attention weights as arrays, and the transforms the views need.

Arrays only, no drawing (translator.views draws). Every attention array is float32 shaped
``(layers, heads, queries, keys)`` and each of its rows sums to 1. The weights come from an
eager-attention copy of the model (``load_model(..., attn="eager")``): sdpa kernels never
materialise them, so the other tabs keep their faster sdpa copy.

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

import dataclasses
import inspect
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch

from .checks import int_arg, text_arg
from .errors import InputError, ModelUnavailableError
from .loading import LoadedModel, load_model
from .registry import OFFLINE_MINILM
from .settings import get_settings

KINDS = ("encoder", "decoder", "cross")
PAIR_FILTERS = ("all", "A->A", "B->B", "A->B", "B->A")
Progress = Callable[[float, str], None]


@dataclass(frozen=True, eq=False, kw_only=True)
class RunInfo:
    """What ran, shared by both attention results (keyword-only, so subclasses list their own fields first)."""

    model: str
    device: str
    precision: str
    footprint_bytes: int
    seconds: float
    warnings: tuple[str, ...] = ()


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


@dataclass(frozen=True, eq=False)
class Selection:
    """One attention matrix stack ready to draw: which tokens are rows and columns, and what was done to them."""

    kind: str  # encoder | decoder | cross
    query_tokens: list[str]
    key_tokens: list[str]
    attentions: np.ndarray  # (layers, heads, q, k); with rollout: (layers, 1, q, k), layer l = flow through 1..l
    rollout: bool
    notes: tuple[str, ...]  # what was merged, hidden, filtered or cut, for the user


@dataclass(frozen=True)
class _Axis:
    """The token side of an attention matrix, built once from the tokenizer."""

    tokens: list[str]
    special: list[bool]
    segments: list[int]
    words: list[int]
    word_labels: list[str]


# -------------------------------------------------------------------- checks


def _token_cap(loaded: LoadedModel, max_tokens: int | None) -> int:
    cap = get_settings().max_attention_tokens
    if max_tokens is not None:
        cap = int_arg("max_tokens", max_tokens, 2, cap)
    model_max = getattr(loaded.tokenizer, "model_max_length", None)
    # tokenizers without a limit report a huge sentinel (1e30); only a real limit counts
    if isinstance(model_max, int) and model_max < 100_000:
        cap = min(cap, model_max)
    return cap


# -------------------------------------------------------------------- tokens


def _tokens_and_special(tokenizer: Any, ids: list[int]) -> tuple[list[str], list[bool]]:
    """Each id's token, and whether it is a marker the tokenizer adds ([UNK] and [MASK] stand for content)."""
    markers = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id, getattr(tokenizer, "mask_token_id", None)}
    return tokenizer.convert_ids_to_tokens(ids), [i in markers for i in ids]


def _runs(keys: Sequence[Any]) -> list[int]:
    """Number consecutive runs of equal keys: [a, a, b, a] -> [0, 0, 1, 2]."""
    words: list[int] = []
    for i, key in enumerate(keys):
        words.append(0 if i == 0 else words[-1] + (key != keys[i - 1]))
    return words


def _groups(words: Sequence[int]) -> list[list[int]]:
    """Positions of each word, in order (word ids are consecutive runs)."""
    groups: list[list[int]] = [[] for _ in range(words[-1] + 1 if words else 0)]
    for position, word in enumerate(words):
        groups[word].append(position)
    return groups


def _labels_from_ids(tokenizer: Any, ids: list[int], tokens: list[str], words: list[int],
                     special: list[bool]) -> list[str]:
    """A label per word: its pieces decoded together by the tokenizer (## / ▁ / Ġ markers handled there)."""
    labels = []
    for members in _groups(words):
        decoded = "" if special[members[0]] else tokenizer.decode([ids[i] for i in members]).strip()
        labels.append(decoded or "".join(tokens[i] for i in members))
    return labels


def _piece_words(tokens: list[str], special: list[bool]) -> list[int]:
    """Word runs from the pieces' own markers, for tokenizers without offsets and for generated text."""
    if any(t.startswith("##") for t in tokens):  # WordPiece: "##" continues a word
        starts = [not t.startswith("##") for t in tokens]
    elif any(t.startswith(("▁", "Ġ")) for t in tokens):  # SentencePiece / byte-level BPE: a marker opens a word
        starts = [t.startswith(("▁", "Ġ")) for t in tokens]
    else:
        starts = [True] * len(tokens)
    keys: list[int] = []
    for i, token_starts in enumerate(starts):
        opens = i == 0 or token_starts or special[i] or special[i - 1]
        keys.append(i if opens else keys[-1])
    return _runs(keys)


def _axis_from_ids(tokenizer: Any, ids: list[int], segments: list[int] | None = None) -> _Axis:
    tokens, special = _tokens_and_special(tokenizer, ids)
    words = _piece_words(tokens, special)
    return _Axis(tokens, special, segments or [0] * len(ids), words,
                 _labels_from_ids(tokenizer, ids, tokens, words, special))


def _axis_from_encoding(tokenizer: Any, encoding: Any, texts: Sequence[str]) -> _Axis:
    """Tokens of a fast-tokenizer encoding; words follow the tokenizer's word ids, labels its offsets."""
    ids = encoding["input_ids"]
    tokens, special = _tokens_and_special(tokenizer, ids)
    sequence_ids = encoding.sequence_ids()
    first_b = next((i for i, s in enumerate(sequence_ids) if s == 1), len(ids))
    segments = [int(i >= first_b) for i in range(len(ids))]
    keys = [("special", i) if special[i] or word is None else (sequence_ids[i], word)
            for i, word in enumerate(encoding.word_ids())]
    words = _runs(keys)
    offsets = encoding["offset_mapping"]
    labels = []
    for members in _groups(words):
        first, last = members[0], members[-1]
        text = None if special[first] or sequence_ids[first] is None else texts[sequence_ids[first]]
        labels.append(tokens[first] if text is None else text[offsets[first][0]:offsets[last][1]])
    return _Axis(tokens, special, segments, words, labels)


def _tokenize(tokenizer: Any, texts: Sequence[str], cap: int, add_special_tokens: bool) -> tuple[Any, int]:
    """The encoding cut to ``cap`` tokens (longest text first for pairs), and the length before the cut."""
    kwargs: dict[str, Any] = {"add_special_tokens": add_special_tokens, "verbose": False,
                              "return_offsets_mapping": bool(tokenizer.is_fast)}
    full = tokenizer(*texts, **kwargs)
    n_tokens = len(full["input_ids"])
    if n_tokens <= cap:
        return full, n_tokens
    return tokenizer(*texts, truncation=True, max_length=cap, **kwargs), n_tokens


def _cut_message(encoding: Any, texts: Sequence[str], n_before: int, tokenizer: Any) -> str:
    """One sentence on what the token cap removed; empty when nothing was cut."""
    n_after = len(encoding["input_ids"])
    if n_after == n_before:
        return ""
    head = f"The {n_after}-token cap cut the input from {n_before} tokens"
    if not tokenizer.is_fast:
        return head + "; only the first part was used."
    sequence_ids = encoding.sequence_ids()
    kept = []
    for index, text in enumerate(texts):
        ends = [end for (_, end), s in zip(encoding["offset_mapping"], sequence_ids, strict=True) if s == index]
        end = max(ends, default=0)
        if end < len(text.rstrip()):
            name = ("sentence A", "sentence B")[index] if len(texts) > 1 else "the text"
            tail = " ".join(text[:end].split()[-4:])
            kept.append(f"{name} stops at character {end:,} of {len(text):,} (after “…{tail}”)")
    return head + (": " + "; ".join(kept) if kept else "") + "."


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
    return {name: torch.tensor([encoding[name]], device=device)
            for name in names if name in encoding and name in accepted}


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)


def attend(text: str, *, text_pair: str | None = None, model: str = OFFLINE_MINILM, word_level: bool = False,
           precision: str = "auto", max_tokens: int | None = None,
           progress: Progress | None = None) -> AttentionResult:
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
    _report(progress, 0.05, "loading the model")
    loaded = load_model(model, "encoder", precision=precision, attn="eager")
    cap = _token_cap(loaded, max_tokens)
    encoding, n_before = _tokenize(loaded.tokenizer, texts, cap, loaded.recipe.add_special_tokens)
    if loaded.tokenizer.is_fast:
        axis = _axis_from_encoding(loaded.tokenizer, encoding, texts)
    else:
        types = encoding.get("token_type_ids") if len(texts) > 1 else None
        axis = _axis_from_ids(loaded.tokenizer, encoding["input_ids"], list(types) if types else None)
    _report(progress, 0.4, "computing attention")
    with torch.inference_mode():
        output = loaded.model(**_forward_inputs(loaded.model, encoding, loaded.device), output_attentions=True)
    result = AttentionResult(
        tokens=axis.tokens, attentions=_stack(output.attentions, "encoder", loaded.key), special=axis.special,
        segments=axis.segments, words=axis.words, word_labels=axis.word_labels, word_level=False,
        n_input_tokens=n_before, cut=_cut_message(encoding, texts, n_before, loaded.tokenizer),
        model=loaded.key, device=loaded.device_name, precision=loaded.precision,
        footprint_bytes=loaded.footprint_bytes, seconds=time.perf_counter() - started, warnings=loaded.warnings,
    )
    return to_words(result) if word_level else result


def _generate(loaded: LoadedModel, inputs: dict[str, torch.Tensor], num_beams: int,
              max_new_tokens: int) -> tuple[list[int], list[str]]:
    """The best generated sequence (decoder start token first) and notes on why generation stopped early."""
    settings = get_settings()
    started = time.perf_counter()
    with torch.inference_mode():
        output = loaded.model.generate(**inputs, num_beams=num_beams, num_return_sequences=1, do_sample=False,
                                       max_new_tokens=max_new_tokens, max_time=settings.max_generate_seconds)
    ids = output[0].tolist()
    eos = loaded.model.generation_config.eos_token_id
    eos_ids = set(eos if isinstance(eos, list) else [eos])
    end = next((i for i, t in enumerate(ids) if i > 0 and t in eos_ids), None)
    notes = []
    if end is None:
        if time.perf_counter() - started >= settings.max_generate_seconds:
            notes.append(f"Generation stopped at the {settings.max_generate_seconds:g}-second limit; "
                         "the translation is incomplete.")
        else:
            notes.append(f"Generation stopped at {max_new_tokens} new tokens without an end-of-sentence token.")
    else:
        ids = ids[:end + 1]  # beam search may pad after </s>
    return ids, notes


def _new_token_cap(loaded: LoadedModel, cap: int) -> int:
    """New tokens to generate, so the target (start token included) fits the cap and the decoder's positions."""
    config = loaded.model.config
    positions = getattr(getattr(config, "decoder", config), "max_position_embeddings", None) or cap
    return max(1, min(get_settings().max_new_tokens, cap, positions) - 1)


def attend_translation(source: str, *, model: str = "opus-mt-en-de", num_beams: int = 1, word_level: bool = False,
                       precision: str = "auto", max_tokens: int | None = None,
                       progress: Progress | None = None) -> TranslationAttention:
    """Translate ``source``, then return encoder, decoder and cross-attention on the generated text.

    See the module docstring for how decoder rows line up with ``target_tokens``.
    """
    started = time.perf_counter()
    source = text_arg("source text", source, get_settings().max_chars_attention)
    num_beams = int_arg("num_beams", num_beams, 1, get_settings().max_beams)
    _report(progress, 0.05, "loading the model")
    loaded = load_model(model, "translation", precision=precision, attn="eager")
    tokenizer = loaded.tokenizer
    cap = _token_cap(loaded, max_tokens)
    encoding, n_before = _tokenize(tokenizer, [source], cap, loaded.recipe.add_special_tokens)
    source_axis = (_axis_from_encoding(tokenizer, encoding, [source]) if tokenizer.is_fast
                   else _axis_from_ids(tokenizer, encoding["input_ids"]))
    inputs = {name: torch.tensor([encoding[name]], device=loaded.device) for name in ("input_ids", "attention_mask")}
    _report(progress, 0.2, f"translating ({'greedy' if num_beams == 1 else f'{num_beams} beams'})")
    target_ids, notes = _generate(loaded, inputs, num_beams, _new_token_cap(loaded, cap))
    target_axis = _axis_from_ids(tokenizer, target_ids)
    _report(progress, 0.8, "computing attention on the generated text")
    with torch.inference_mode():
        output = loaded.model(**inputs, decoder_input_ids=torch.tensor([target_ids], device=loaded.device),
                              output_attentions=True)
    result = TranslationAttention(
        source_tokens=source_axis.tokens, target_tokens=target_axis.tokens,
        encoder=_stack(output.encoder_attentions, "encoder", loaded.key),
        decoder=_stack(output.decoder_attentions, "decoder", loaded.key),
        cross=_stack(output.cross_attentions, "cross", loaded.key),
        translation=tokenizer.decode(target_ids, skip_special_tokens=True).strip(),
        source_special=source_axis.special, target_special=target_axis.special,
        source_words=source_axis.words, target_words=target_axis.words,
        source_word_labels=source_axis.word_labels, target_word_labels=target_axis.word_labels,
        word_level=False, num_beams=num_beams, n_input_tokens=n_before,
        cut=_cut_message(encoding, [source], n_before, tokenizer), model=loaded.key, device=loaded.device_name,
        precision=loaded.precision, footprint_bytes=loaded.footprint_bytes, seconds=time.perf_counter() - started,
        warnings=loaded.warnings + tuple(notes),
    )
    return to_words(result) if word_level else result


# -------------------------------------------------------------------- transforms (pure numpy)


def _run_starts(words: Sequence[int]) -> np.ndarray:
    """Start index of each run of a word-id list (word runs are contiguous by construction)."""
    ids = np.asarray(words)
    return np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])


def merge_pieces(attentions: np.ndarray, query_words: Sequence[int], key_words: Sequence[int]) -> np.ndarray:
    """(..., q, k) piece attention -> (..., query words, key words).

    Columns add up a word's key pieces (the attention a query gives to the whole word); rows average
    a word's query pieces. Both keep every row summing to 1.
    """
    q_starts, k_starts = _run_starts(query_words), _run_starts(key_words)
    summed = np.add.reduceat(attentions, k_starts, axis=-1)
    counts = np.diff(np.r_[q_starts, len(query_words)]).astype(attentions.dtype)
    return np.add.reduceat(summed, q_starts, axis=-2) / counts[:, None]


def _first_of_each(values: Sequence[Any], words: Sequence[int]) -> list[Any]:
    return [values[i] for i in _run_starts(words)]


def to_words(result: AttentionResult | TranslationAttention) -> AttentionResult | TranslationAttention:
    """The same result with sub-word pieces merged into words (``merge_pieces``); already merged stays as is."""
    if result.word_level:
        return result
    if isinstance(result, AttentionResult):
        words = result.words
        return dataclasses.replace(
            result, tokens=list(result.word_labels), attentions=merge_pieces(result.attentions, words, words),
            special=_first_of_each(result.special, words), segments=_first_of_each(result.segments, words),
            words=list(range(len(result.word_labels))), word_level=True)
    src, tgt = result.source_words, result.target_words
    return dataclasses.replace(
        result, source_tokens=list(result.source_word_labels), target_tokens=list(result.target_word_labels),
        encoder=merge_pieces(result.encoder, src, src), decoder=merge_pieces(result.decoder, tgt, tgt),
        cross=merge_pieces(result.cross, tgt, src), source_special=_first_of_each(result.source_special, src),
        target_special=_first_of_each(result.target_special, tgt),
        source_words=list(range(len(result.source_word_labels))),
        target_words=list(range(len(result.target_word_labels))), word_level=True)


def renormalized(attentions: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1 again; a row with nothing left becomes uniform."""
    sums = attentions.sum(-1, keepdims=True)
    uniform = np.full_like(attentions, 1.0 / attentions.shape[-1])
    return np.divide(attentions, sums, out=uniform, where=sums > 0)


def rollout(attentions: np.ndarray) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema, 2020): (layers, heads, n, n) -> (layers, 1, n, n).

    Each layer's head mean is mixed half-and-half with the identity (the residual connection) and
    the layers are multiplied up; entry l is the flow from the input through layers 1..l.
    """
    n = attentions.shape[-1]
    mixed = 0.5 * attentions.mean(axis=1) + 0.5 * np.eye(n, dtype=attentions.dtype)  # (layers, n, n)
    flow = np.eye(n, dtype=attentions.dtype)
    out = np.empty_like(mixed)
    for layer, matrix in enumerate(mixed):
        flow = matrix @ flow
        out[layer] = flow
    return renormalized(out)[:, None]


def _sides(result: AttentionResult | TranslationAttention, kind: str):
    """(attentions, query tokens/special/segments, key tokens/special/segments) for one kind of attention."""
    if isinstance(result, AttentionResult):
        if kind != "encoder":
            raise InputError("This result has encoder self-attention only; choose kind 'encoder'.")
        side = (result.tokens, result.special, result.segments)
        return result.attentions, side, side
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}.")
    source = (result.source_tokens, result.source_special, [0] * len(result.source_tokens))
    target = (result.target_tokens, result.target_special, [1] * len(result.target_tokens))
    return {"encoder": (result.encoder, source, source), "decoder": (result.decoder, target, target),
            "cross": (result.cross, target, source)}[kind]


def pair_indices(segments: Sequence[int], pair: str) -> tuple[np.ndarray, np.ndarray]:
    """Query and key positions a pair filter keeps: "A->B" = sentence-A queries attending to sentence-B keys."""
    if pair not in PAIR_FILTERS:
        raise InputError(f"The pair filter must be one of {', '.join(PAIR_FILTERS)}.")
    positions = np.arange(len(segments))
    if pair == "all":
        return positions, positions
    segment = np.asarray(segments)
    names = {"A": 0, "B": 1}
    query, key = pair.split("->")
    return positions[segment == names[query]], positions[segment == names[key]]


def _kept(values: Sequence[Any], keep: np.ndarray) -> list[Any]:
    return [value for value, kept in zip(values, keep, strict=True) if kept]


def select(result: AttentionResult | TranslationAttention, *, kind: str = "encoder", word_level: bool = False,
           hide_special: bool = False, pair: str = "all", rollout_layers: bool = False) -> Selection:
    """The attention to draw: merged into words, specials hidden, rolled out, then cut to a sentence pair block.

    Hiding special tokens renormalizes each row over the tokens left. A pair block is NOT
    renormalized: its rows show the share of each query's attention that goes to the other block.
    """
    notes: list[str] = [result.cut] if result.cut else []
    if word_level and not result.word_level:
        result = to_words(result)
        notes.append("Sub-word pieces merged into words: each row averages its pieces' rows, each column adds up "
                     "its pieces' columns, so rows still sum to 1.")
    attentions, (q_tokens, q_special, q_segments), (k_tokens, k_special, k_segments) = _sides(result, kind)
    if hide_special:
        q_keep, k_keep = ~np.asarray(q_special, bool), ~np.asarray(k_special, bool)
        if not q_keep.any() or not k_keep.any():
            raise InputError("Nothing is left once special tokens are hidden; show them or type more text.")
        hidden = sorted({t for t, s in zip([*q_tokens, *k_tokens], [*q_special, *k_special], strict=True) if s})
        attentions = renormalized(attentions[..., q_keep, :][..., k_keep])
        q_tokens, q_segments = _kept(q_tokens, q_keep), _kept(q_segments, q_keep)
        k_tokens, k_segments = _kept(k_tokens, k_keep), _kept(k_segments, k_keep)
        if hidden:
            notes.append(f"Special tokens hidden ({', '.join(hidden)}); each row renormalized over the tokens left.")
    if rollout_layers:
        if kind == "cross":
            raise InputError("Rollout follows self-attention through the layers; choose encoder or decoder attention.")
        attentions = rollout(attentions)
        notes.append("Attention rollout: head means mixed with the residual connection and multiplied through "
                     "the layers; layer l shows the flow from the input through layers 1..l.")
    if pair != "all":
        if kind != "encoder" or isinstance(result, TranslationAttention) or 1 not in q_segments:
            raise InputError("The pair filter needs encoder attention on two texts; give a second text (sentence B).")
        q_index, k_index = pair_indices(q_segments, pair)
        attentions = attentions[..., q_index, :][..., k_index]
        q_tokens, k_tokens = [q_tokens[i] for i in q_index], [k_tokens[i] for i in k_index]
        notes.append(f"Pair filter {pair}: the block of the full rows, not renormalized; a row's total is the share "
                     "of that token's attention that goes to the other block.")
    return Selection(kind=kind, query_tokens=list(q_tokens), key_tokens=list(k_tokens),
                     attentions=np.ascontiguousarray(attentions, dtype=np.float32), rollout=rollout_layers,
                     notes=tuple(notes))


# -------------------------------------------------------------------- export


def arrays(result: AttentionResult | TranslationAttention) -> dict[str, np.ndarray]:
    """Everything in a result as named arrays (tokens as unicode arrays), ready for ``np.savez``."""
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    out: dict[str, np.ndarray] = {}
    for name, value in fields.items():
        if isinstance(value, np.ndarray):
            out[name] = value
        elif isinstance(value, list | tuple):
            out[name] = np.asarray(value, dtype=str if value and isinstance(value[0], str) else None)
        else:
            out[name] = np.asarray(value)
    return out


def write_npz(result: AttentionResult | TranslationAttention, file: str | Path | IO[bytes]) -> None:
    """The raw result as an uncompressed .npz (attention weights barely compress; writing stays fast)."""
    np.savez(file, **arrays(result))


def npz_bytes(result: AttentionResult | TranslationAttention) -> bytes:
    """``write_npz`` into memory."""
    buffer = io.BytesIO()
    write_npz(result, buffer)
    return buffer.getvalue()
