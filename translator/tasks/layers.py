"""embed_layers() and word_across_layers(): every layer's hidden states for a few texts, and one word followed
through them.

Each text runs through the encoder on its own (no padding), so its hidden states are exactly what
``model(**tokenizer(text), output_hidden_states=True)`` returns. Any model in the registry has an encoder: an
encoder (BERT, MiniLM), the body under a QA head, or the encoder half of a translation model.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

import numpy as np
import torch

from ..core.checks import choice_arg, text_arg
from ..core.errors import InputError
from ..core.limits import model_input_limit
from ..core.loading import LoadedModel, load_model
from ..core.registry import OFFLINE_MINILM, get_registry
from ..core.results import Progress, RunInfo, report, run_info
from ..core.settings import get_settings
from ..text.chunking import token_offsets
from .attention.tokens import tokens_and_special

MAX_TEXTS = 16
POOLINGS = ("mean", "first")  # a word's sub-word pieces: their mean, or the first piece alone
# a registry model's task to load it for, in order of preference: every one of them has an encoder
ENCODER_TASKS = (("encoder", "encoder"), ("embeddings", "encoder"), ("qa", "qa"), ("translation", "translation"))


@dataclass(frozen=True)
class LayerToken:
    text: str  # as the tokenizer writes it: "[CLS]", "##ing", "▁Haus"
    start: int  # character offsets in its own text; (0, 0) for special tokens
    end: int
    special: bool  # a marker the tokenizer adds ([CLS], [SEP], </s>), not text


@dataclass(frozen=True, eq=False, kw_only=True)
class LayerEmbeddings(RunInfo):
    texts: tuple[str, ...]
    tokens: tuple[tuple[LayerToken, ...], ...]  # per text
    hidden_states: tuple[np.ndarray, ...]  # per text, float32 (layers + 1, tokens, dim); [0] = embedding output
    layers: int
    has_cls: bool  # every text starts with the tokenizer's [CLS] token
    # cosine similarity of every two texts at each layer, (layers + 1, texts, texts): of the mean of all their
    # tokens (special ones too, as sentence-transformers pools), and of their [CLS] vectors (None without one)
    mean_similarity: np.ndarray
    cls_similarity: np.ndarray | None


@dataclass(frozen=True)
class WordOccurrence:
    text_index: int
    start: int  # character offsets of the word in its text
    end: int
    token_indices: tuple[int, ...]  # the word's pieces among its text's tokens: what is pooled


@dataclass(frozen=True, eq=False, kw_only=True)
class WordAcrossLayers(RunInfo):
    word: str
    pooling: str
    occurrences: tuple[WordOccurrence, ...]
    pairs: tuple[tuple[int, int], ...]  # indices into occurrences, every two once
    similarity: np.ndarray  # (pairs, layers + 1): cosine similarity of each pair at each layer
    vectors: np.ndarray  # (occurrences, layers + 1, dim): each occurrence's pooled pieces
    missing: tuple[int, ...]  # indices of the texts without the word


@dataclass(frozen=True)
class LayerTokens:
    """The tokens one view draws at one layer, across all texts."""

    labels: list[str]
    text_index: list[int]
    token_index: list[int]  # position within its text
    vectors: np.ndarray  # (tokens, dim) float32


# -------------------------------------------------------------------- checks


def _texts_arg(texts: object) -> tuple[str, ...]:
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise InputError(f"texts must be a list of 1 to {MAX_TEXTS} strings, not {type(texts).__name__}.")
    if not 1 <= len(texts) <= MAX_TEXTS:
        raise InputError(f"Give 1 to {MAX_TEXTS} texts, not {len(texts)}.")
    # each text as long as the Attention tab takes: these are sentences to look inside, not documents
    limit = get_settings().max_chars_attention
    return tuple(text_arg(f"text {i + 1}", text, limit) for i, text in enumerate(texts))


def _encoder_task(model: str) -> str:
    """What to load a registry model as (an encoder, a QA model, a translation model); other names as encoders."""
    registry = get_registry()
    if model not in registry:
        return "encoder"
    tasks = registry.get(model).tasks
    return next(load_as for task, load_as in ENCODER_TASKS if task in tasks)


def _encoder(loaded: LoadedModel) -> Any:
    """The module whose hidden states are wanted: the encoder half of an encoder-decoder, else the model."""
    return loaded.model.get_encoder() if loaded.model.config.is_encoder_decoder else loaded.model


def _n_layers(config: Any) -> int:
    encoder = getattr(config, "encoder", config)  # an EncoderDecoderModel's config holds its halves
    for name in ("num_hidden_layers", "encoder_layers", "n_layers", "num_layers"):
        if isinstance(getattr(encoder, name, None), int):
            return getattr(encoder, name)
    raise InputError("This model does not say how many layers its encoder has.")


# -------------------------------------------------------------------- hidden states


def _tokenize(loaded: LoadedModel, text: str) -> tuple[list[int], tuple[LayerToken, ...]]:
    tokenizer = loaded.tokenizer
    ids = tokenizer(text, add_special_tokens=loaded.recipe.add_special_tokens, verbose=False)["input_ids"]
    pieces, special = tokens_and_special(tokenizer, ids)
    # the same offsets the Chunks tab shows (fast tokenizers report them; slow ones are matched onto the text)
    content = iter(token_offsets(text, tokenizer))
    spans = [(0, 0) if marker else next(content) for marker in special]
    tokens = tuple(LayerToken(p, a, b, s) for p, (a, b), s in zip(pieces, spans, special, strict=True))
    return ids, tokens


def _check_lengths(loaded: LoadedModel, encoded: list[list[int]]) -> None:
    limit = model_input_limit(loaded.tokenizer, loaded.model.config)
    for index, ids in enumerate(encoded):
        if len(ids) > limit:
            raise InputError(
                f"Text {index + 1} has {len(ids):,} tokens and {loaded.key} reads at most {limit:,}: shorten it."
            )
    total, cap = sum(map(len, encoded)), get_settings().max_layer_tokens
    if total > cap:
        raise InputError(f"The texts have {total:,} tokens together and the limit is {cap:,}: remove or shorten some.")


def _similarity_by_layer(vectors: np.ndarray) -> np.ndarray:
    """(items, layers, dim) -> (layers, items, items) cosine similarities."""
    from sklearn.metrics.pairwise import cosine_similarity  # here: scikit-learn takes a second to import

    return np.stack([cosine_similarity(vectors[:, layer].astype(np.float64)) for layer in range(vectors.shape[1])])


def embed_layers(
    texts: Sequence[str],
    *,
    model: str = OFFLINE_MINILM,
    precision: str = "auto",
    progress: Progress | None = None,
) -> LayerEmbeddings:
    """The hidden states of every layer of ``model``'s encoder for each of 1 to 16 ``texts``.

    ``hidden_states[i]`` is (layers + 1, tokens of text i, dim): index 0 is the embedding output, index k the
    output of layer k. The texts' tokens together are capped by ``Settings.max_layer_tokens``.
    """
    started = time.perf_counter()
    texts = _texts_arg(texts)
    report(progress, 0.05, "loading the model")
    loaded = load_model(model, _encoder_task(model), precision=precision)
    encoded = [_tokenize(loaded, text) for text in texts]
    _check_lengths(loaded, [ids for ids, _ in encoded])
    encoder = _encoder(loaded)
    states = []
    for index, (ids, _) in enumerate(encoded):
        report(progress, 0.1 + 0.8 * index / len(texts), f"text {index + 1} of {len(texts)}")
        inputs = torch.tensor([ids], device=loaded.device)
        with torch.inference_mode():
            output = encoder(input_ids=inputs, attention_mask=torch.ones_like(inputs), output_hidden_states=True)
        states.append(np.stack([layer[0].float().cpu().numpy() for layer in output.hidden_states]))  # (L+1, t, d)
    cls_id = getattr(loaded.tokenizer, "cls_token_id", None)
    has_cls = cls_id is not None and all(ids[0] == cls_id for ids, _ in encoded)
    mean_similarity = _similarity_by_layer(np.stack([s.mean(axis=1) for s in states]))
    cls_similarity = _similarity_by_layer(np.stack([s[:, 0] for s in states])) if has_cls else None
    return LayerEmbeddings(
        texts=texts,
        tokens=tuple(tokens for _, tokens in encoded),
        hidden_states=tuple(states),
        layers=_n_layers(loaded.model.config),
        has_cls=has_cls,
        mean_similarity=mean_similarity,
        cls_similarity=cls_similarity,
        **run_info(loaded, started),
    )


# -------------------------------------------------------------------- one word across layers


def _occurrences(result: LayerEmbeddings, word: str) -> list[WordOccurrence]:
    """Every whole-word, case-insensitive match of ``word``, with the tokens its characters fall in."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    found = []
    for index, (text, tokens) in enumerate(zip(result.texts, result.tokens, strict=True)):
        for match in pattern.finditer(text):
            start, end = match.span()
            pieces = tuple(i for i, t in enumerate(tokens) if not t.special and t.start < end and t.end > start)
            if pieces:
                found.append(WordOccurrence(index, start, end, pieces))
    return found


def _pool(states: np.ndarray, pieces: tuple[int, ...], pooling: str) -> np.ndarray:
    """(layers + 1, tokens, dim) -> (layers + 1, dim): the word's pieces averaged, or its first piece."""
    return states[:, list(pieces)].mean(axis=1) if pooling == "mean" else states[:, pieces[0]]


def _texts_list(indices: Sequence[int]) -> str:
    numbers = [str(i + 1) for i in indices]
    joined = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
    return ("text " if len(numbers) == 1 else "texts ") + joined


def follow_word(result: LayerEmbeddings, word: str, *, pooling: str = "mean") -> WordAcrossLayers:
    """``word`` in each text that has it, its pieces pooled, compared pair by pair at every layer of ``result``.

    A word found in fewer than two texts is refused with a sentence that names the texts without it.
    """
    started = time.perf_counter()
    word = text_arg("word", word, 100).strip()
    pooling = choice_arg("pooling", pooling, POOLINGS)
    occurrences = _occurrences(result, word)
    present = {o.text_index for o in occurrences}
    missing = tuple(i for i in range(len(result.texts)) if i not in present)
    if len(present) < 2:
        lacking = f"{_texts_list(missing)} {'lacks' if len(missing) == 1 else 'lack'} it" if missing else ""
        raise InputError(
            f"“{word}” must be in at least two texts to compare, and {lacking or 'there is only one text'}."
        )
    vectors = np.stack([_pool(result.hidden_states[o.text_index], o.token_indices, pooling) for o in occurrences])
    pairs = tuple(combinations(range(len(occurrences)), 2))
    matrices = _similarity_by_layer(vectors)  # (layers + 1, occurrences, occurrences)
    similarity = np.stack([matrices[:, a, b] for a, b in pairs])  # (pairs, layers + 1)
    notes = [f"“{word}” is not in {_texts_list(missing)}."] if missing else []
    info = {name: getattr(result, name) for name in ("model", "engine", "device", "precision", "footprint_bytes")}
    return WordAcrossLayers(
        word=word,
        pooling=pooling,
        occurrences=tuple(occurrences),
        pairs=pairs,
        similarity=similarity,
        vectors=vectors,
        missing=missing,
        seconds=time.perf_counter() - started,
        warnings=(*result.warnings, *notes),
        **info,
    )


def word_across_layers(
    texts: Sequence[str],
    word: str,
    *,
    model: str = OFFLINE_MINILM,
    pooling: str = "mean",
    precision: str = "auto",
    progress: Progress | None = None,
) -> WordAcrossLayers:
    """``embed_layers(texts)``, then ``follow_word``: the cosine similarity of every two occurrences of ``word``
    at every layer (``similarity[p, k]`` for pair ``pairs[p]`` at layer k, 0 = embeddings)."""
    started = time.perf_counter()
    text_arg("word", word, 100)  # before the model runs
    embedded = embed_layers(texts, model=model, precision=precision, progress=progress)
    return replace(follow_word(embedded, word, pooling=pooling), seconds=time.perf_counter() - started)


# -------------------------------------------------------------------- what the views draw at one layer


def layer_tokens(result: LayerEmbeddings, layer: int, *, special: bool = False) -> LayerTokens:
    """Every text's tokens at ``layer`` (0 = embeddings), special tokens only when ``special``."""
    picked = [
        (t.text, i, j, result.hidden_states[i][layer, j])
        for i, tokens in enumerate(result.tokens)
        for j, t in enumerate(tokens)
        if special or not t.special
    ]
    if not picked:
        raise InputError("The texts have no tokens to show but special ones; tick “special tokens”.")
    labels, texts, positions, vectors = zip(*picked, strict=True)
    return LayerTokens(list(labels), list(texts), list(positions), np.stack(vectors))


def token_similarity(tokens: LayerTokens) -> np.ndarray:
    """(tokens, tokens) cosine similarity, symmetric with ones on the diagonal."""
    from sklearn.metrics.pairwise import cosine_similarity

    return cosine_similarity(tokens.vectors.astype(np.float64))


def token_map(tokens: LayerTokens) -> np.ndarray:
    """(tokens, 2): the tokens' first two principal components (scikit-learn's PCA; zeros where there are
    fewer than two tokens to spread)."""
    from sklearn.decomposition import PCA

    if len(tokens.labels) < 2:
        return np.zeros((len(tokens.labels), 2))
    return PCA(n_components=2, svd_solver="full").fit_transform(tokens.vectors.astype(np.float64))
