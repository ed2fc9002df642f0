"""Fixtures for the engine tests: converted models in a temporary folder, tiny models whose outputs end."""

from __future__ import annotations

from pathlib import Path

import builders
import pytest
import torch

# Random models at their init scale ignore their input (every sentence gives the same output), which would
# hide a broken encoder or cross-attention: the weight matrices are scaled up until outputs differ per
# sentence, and the end-of-sequence logit is raised until some outputs end before their cap and some don't.
# (weight scale, end-of-sequence logit bias) per model, found by trying a few
SHAPES = {"marian": (5.0, 2.0), "bert2bert": (8.0, 0.0), "bert-halves": (5.0, 0.0)}


@pytest.fixture(scope="session")
def ct2_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ctranslate2")


@pytest.fixture
def fast_settings(settings_with, ct2_dir):
    """The tiny registry, with converted models kept in a temporary folder for the session; call it to change
    other settings too (each call starts again from the test's original settings)."""

    def change(**changes: object) -> None:
        settings_with(**{"ctranslate2_dir": str(ct2_dir), **changes})

    change()
    return change


@pytest.fixture(scope="session")
def ending_models(tmp_path_factory) -> dict[str, Path]:
    """Tiny models whose outputs end: Marian, BERT2BERT of BertGeneration halves, BERT2BERT of BERT halves."""
    root = tmp_path_factory.mktemp("ending")
    return {
        "marian": _marian(root / "marian"),
        "bert2bert": _bert_generation(root / "bert2bert"),
        "bert-halves": _bert_halves(root / "bert-halves"),
    }


def _marian(folder: Path) -> Path:
    from transformers import MarianMTModel

    builders.build_marian(folder)
    model = MarianMTModel.from_pretrained(folder)
    scale, eos_bias = SHAPES["marian"]
    _scale(model, scale)
    config = model.generation_config
    with torch.no_grad():
        model.final_logits_bias[0, config.eos_token_id] = eos_bias
    model.save_pretrained(folder)
    return folder


def _bert_generation(folder: Path) -> Path:
    from transformers import EncoderDecoderModel

    builders.build_bert2bert(folder)
    model = EncoderDecoderModel.from_pretrained(folder)
    _shape(model, "bert2bert", model.generation_config.eos_token_id)
    model.save_pretrained(folder)
    return folder


def _bert_halves(folder: Path) -> Path:
    """BertModel encoder + BertLMHeadModel decoder (its LM head has the dense/GELU/LayerNorm transform), the
    way warm-starting from BERT makes them: [CLS] starts the decoder, [SEP] ends it."""
    from transformers import BertConfig, BertLMHeadModel, BertModel, EncoderDecoderModel

    tokenizer = builders.build_bert_tokenizer(folder)
    common = dict(vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2, num_attention_heads=4)
    common.update(intermediate_size=128, max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(1)
    encoder = BertModel(BertConfig(**common), add_pooling_layer=False)
    decoder = BertLMHeadModel(BertConfig(**common, is_decoder=True, add_cross_attention=True))
    with torch.no_grad():  # a visible transform: its LayerNorm gain and bias away from 1 and 0
        decoder.cls.predictions.transform.LayerNorm.weight.uniform_(0.5, 1.5)
        decoder.cls.predictions.transform.LayerNorm.bias.uniform_(-0.5, 0.5)
    model = EncoderDecoderModel(encoder=encoder, decoder=decoder)
    for config in (model.config, model.generation_config):
        config.decoder_start_token_id = tokenizer.cls_token_id
        config.eos_token_id = tokenizer.sep_token_id
        config.pad_token_id = tokenizer.pad_token_id
    _shape(model, "bert-halves", tokenizer.sep_token_id)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _shape(model, name: str, eos: int) -> None:
    scale, eos_bias = SHAPES[name]
    _scale(model, scale)
    with torch.no_grad():
        model.decoder.get_output_embeddings().bias[eos] += eos_bias


def _scale(model, scale: float) -> None:
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() == 2:  # weight matrices and embeddings; LayerNorms and biases stay
                parameter.mul_(scale)
