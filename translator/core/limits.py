"""The one place that knows how many tokens a model takes at once."""

from __future__ import annotations

from typing import Any

# what BERT-family models were trained with when nothing else says
DEFAULT_INPUT_TOKENS = 512
# tokenizers without a limit report a huge sentinel (int(1e30)); anything above this is not a real limit
SENTINEL_ABOVE = 100_000


def model_input_limit(tokenizer: Any, config: Any = None, *, side: str = "encoder") -> int:
    """Tokens (special tokens included) the model reads at once.

    The tokenizer's ``model_max_length`` is often a placeholder: then the config's position count
    decides (the ``side`` half of an encoder-decoder), else 512. When both are real, the smaller wins.
    """
    limits = []
    declared = getattr(tokenizer, "model_max_length", None)
    if isinstance(declared, int) and 0 < declared <= SENTINEL_ABOVE:
        limits.append(declared)
    if config is not None:
        half = getattr(config, side, config)
        positions = getattr(half, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            limits.append(positions)
    return min(limits) if limits else DEFAULT_INPUT_TOKENS
