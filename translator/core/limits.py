"""The one place that knows how many tokens a model takes at once: encoder input, decoder output, content."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loading import LoadedModel

# what BERT-family models were trained with when nothing else says
DEFAULT_INPUT_TOKENS = 512
# tokenizers without a limit report a huge sentinel (int(1e30)); anything above this is not a real limit
SENTINEL_ABOVE = 100_000
SIDES = ("encoder", "decoder")


def position_count(config: Any, side: str = "encoder") -> int | None:
    """The position table size of ``config``'s ``side`` (an encoder-decoder's half, else the config itself)."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)}, not {side!r}")
    positions = getattr(getattr(config, side, config), "max_position_embeddings", None)
    return positions if isinstance(positions, int) and positions > 0 else None


def model_input_limit(tokenizer: Any, config: Any = None, *, side: str = "encoder") -> int:
    """Tokens (special tokens included) the model reads at once.

    The tokenizer's ``model_max_length`` is often a placeholder: then the config's position count
    decides (the ``side`` half of an encoder-decoder), else 512. When both are real, the smaller wins.
    """
    limits = []
    declared = getattr(tokenizer, "model_max_length", None)
    if isinstance(declared, int) and 0 < declared <= SENTINEL_ABOVE:
        limits.append(declared)
    positions = position_count(config, side) if config is not None else None
    if positions is not None:
        limits.append(positions)
    return min(limits) if limits else DEFAULT_INPUT_TOKENS


def content_limit(loaded: LoadedModel) -> int:
    """Content tokens a text may have: the model's input limit less the special tokens its recipe adds."""
    specials = loaded.tokenizer.num_special_tokens_to_add() if loaded.recipe.add_special_tokens else 0
    return model_input_limit(loaded.tokenizer, loaded.model.config) - specials


def new_token_limit(config: Any, ceiling: int) -> int:
    """New tokens the decoder may write, at most ``ceiling``: start token + new tokens fit its position table."""
    positions = position_count(config, "decoder")
    return min(ceiling, positions - 1) if positions is not None else ceiling
