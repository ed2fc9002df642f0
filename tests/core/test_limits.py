"""core/limits.py: the one place that knows a model's encoder, decoder and content limits."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from transformers import BertConfig, EncoderDecoderConfig, MarianConfig

from translator.core.limits import (
    DEFAULT_INPUT_TOKENS,
    content_limit,
    model_input_limit,
    new_token_limit,
    position_count,
)
from translator.core.registry import BERT2BERT_RECIPE, ModelSpec, Recipe


def _pair(encoder_positions: int, decoder_positions: int) -> EncoderDecoderConfig:
    return EncoderDecoderConfig.from_encoder_decoder_configs(
        BertConfig(max_position_embeddings=encoder_positions),
        BertConfig(max_position_embeddings=decoder_positions, is_decoder=True, add_cross_attention=True),
    )


def test_each_side_of_an_encoder_decoder_has_its_own_positions():
    config = _pair(256, 128)
    assert position_count(config, "encoder") == 256 and position_count(config, "decoder") == 128
    assert model_input_limit(None, config, side="encoder") == 256
    assert model_input_limit(None, config, side="decoder") == 128
    # a Marian config is both sides at once
    marian = MarianConfig(max_position_embeddings=300)
    assert position_count(marian, "encoder") == position_count(marian, "decoder") == 300
    with pytest.raises(ValueError, match="side must be one of"):
        position_count(marian, "middle")


@pytest.mark.parametrize(
    ("declared", "positions", "expected"),
    [
        (int(1e30), 512, 512),  # a placeholder: the positions decide
        (128, 512, 128),  # both real: the smaller wins
        (1024, 512, 512),
        (int(1e30), None, DEFAULT_INPUT_TOKENS),  # nothing says: what BERT-family models were trained with
        (None, 64, 64),
    ],
)
def test_the_encoder_limit_takes_the_smaller_real_limit(declared, positions, expected):
    tokenizer = SimpleNamespace(model_max_length=declared)
    config = SimpleNamespace(max_position_embeddings=positions)
    assert model_input_limit(tokenizer, config) == expected


def test_the_content_limit_leaves_room_for_the_special_tokens_the_recipe_adds():
    tokenizer = SimpleNamespace(model_max_length=128, num_special_tokens_to_add=lambda: 2)

    def loaded(recipe: Recipe) -> SimpleNamespace:
        spec = ModelSpec(key="m", tasks=("translation",), path="/m", recipe=recipe)
        return SimpleNamespace(tokenizer=tokenizer, model=SimpleNamespace(config=_pair(512, 512)), recipe=spec.recipe)

    assert content_limit(loaded(Recipe())) == 126
    assert content_limit(loaded(BERT2BERT_RECIPE)) == 128  # trained without [CLS]/[SEP]


def test_new_tokens_fit_the_decoders_positions_after_its_start_token():
    assert new_token_limit(_pair(512, 64), 512) == 63
    assert new_token_limit(_pair(512, 64), 20) == 20
    assert new_token_limit(SimpleNamespace(), 100) == 100  # no position table: only the ceiling
