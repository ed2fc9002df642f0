"""A BERT2BERT ``EncoderDecoderModel`` as a CTranslate2 ``TransformerSpec`` (CTranslate2 ships no converter for it).

Both halves are post-norm BERT stacks (BertModel / BertGenerationEncoder encoder; BertLMHeadModel /
BertGenerationDecoder decoder), which map onto CTranslate2's Transformer with ``pre_norm=False``:

* embeddings: ``LayerNorm(word + position + token_type[0])``. The model always reads token type 0, so that
  row is folded into the position table; no sqrt(d) scaling; the LayerNorm is ``layernorm_embedding``.
* each layer: self-attention (q, k, v fused), the decoder's cross-attention (q; k, v fused), the FFN, each
  followed by ``LayerNorm(x + sublayer(x))``.
* the output: the LM head's Linear and bias (tied to the word embeddings; CTranslate2 aliases the copy).
* BertLMHeadModel decoders (warm-started from BERT) put a transform before the LM head:
  ``LayerNorm(act(dense(h)))``. TransformerSpec has no block for it (``project_out`` is linear; a post-norm
  decoder has no final norm), so it becomes one more decoder layer computing exactly that, see
  ``_head_transform_layer``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

# transformers' hidden_act -> CTranslate2 activation name (common_spec.Activation)
ACTIVATIONS = {"gelu": "GELU", "gelu_python": "GELU", "gelu_new": "GELUTanh", "gelu_pytorch_tanh": "GELUTanh"}
ENCODERS = ("bert", "bert-generation")
DECODERS = ("bert", "bert-generation")


def unsupported(config: dict) -> str | None:
    """Why an encoder-decoder config.json can't become a TransformerSpec, or None when it can."""
    halves = config.get("encoder") or {}, config.get("decoder") or {}
    kinds = tuple(half.get("model_type") for half in halves)
    if kinds[0] not in ENCODERS or kinds[1] not in DECODERS:
        return f"its halves are {kinds[0]} and {kinds[1]}; the converter takes BERT or BertGeneration halves"
    for half in halves:
        if half.get("position_embedding_type", "absolute") != "absolute":
            return "it uses relative position embeddings, which CTranslate2's Transformer lacks"
        if half.get("hidden_act", "gelu") not in ACTIVATIONS:
            return f"its activation {half.get('hidden_act')!r} has no CTranslate2 equivalent here"
    if halves[0].get("hidden_size") != halves[1].get("hidden_size"):
        return "its encoder and decoder widths differ"
    if halves[0].get("layer_norm_eps", 1e-12) != halves[1].get("layer_norm_eps", 1e-12):
        return "its halves use different LayerNorm epsilons, and CTranslate2 takes one"
    if halves[0].get("hidden_act", "gelu") != halves[1].get("hidden_act", "gelu"):
        return "its halves use different activations, and CTranslate2 takes one"
    return None


def model_spec(model: Any, tokenizer: Any) -> Any:
    """The TransformerSpec of ``model`` (an EncoderDecoderModel in float32), vocabularies and tokens set."""
    from ctranslate2.specs import common_spec, transformer_spec

    encoder_config, decoder_config = model.config.encoder, model.config.decoder
    activation = common_spec.Activation[ACTIVATIONS[decoder_config.hidden_act]]
    encoder_core = model.encoder  # BertModel or BertGenerationEncoder
    decoder_core = model.decoder.bert  # both decoder classes keep their stack in .bert
    transform = _head_transform(model.decoder)
    encoder = transformer_spec.TransformerEncoderSpec(
        encoder_config.num_hidden_layers,
        encoder_config.num_attention_heads,
        pre_norm=False,
        activation=activation,
        layernorm_embedding=True,
    )
    decoder = transformer_spec.TransformerDecoderSpec(
        decoder_config.num_hidden_layers + (transform is not None),
        decoder_config.num_attention_heads,
        pre_norm=False,
        activation=activation,
        layernorm_embedding=True,
    )
    _set_embeddings(encoder, encoder_core.embeddings, in_list=True)
    _set_embeddings(decoder, decoder_core.embeddings, in_list=False)
    for layer_spec, layer in zip(encoder.layer, encoder_core.encoder.layer, strict=True):
        _set_attention(layer_spec.self_attention, layer.attention, fused=[0, 1, 2])
        _set_ffn(layer_spec.ffn, layer)
    for layer_spec, layer in zip(decoder.layer, decoder_core.encoder.layer, strict=False):
        _set_attention(layer_spec.self_attention, layer.attention, fused=[0, 1, 2])
        _set_attention(layer_spec.attention, layer.crossattention, fused=[0], then=[1, 2])
        _set_ffn(layer_spec.ffn, layer)
    if transform is not None:
        _head_transform_layer(decoder.layer[-2], decoder.layer[-1], transform)
    head = model.decoder.get_output_embeddings()
    _set_linear(decoder.projection, head.weight, head.bias)
    spec = transformer_spec.TransformerSpec(encoder, decoder)
    _set_tokens(spec, model, tokenizer)
    return spec


def _head_transform(decoder: Any) -> Any:
    """BertLMHeadModel's ``cls.predictions.transform`` (dense, act, LayerNorm); None for BertGenerationDecoder."""
    predictions = getattr(getattr(decoder, "cls", None), "predictions", None)
    return getattr(predictions, "transform", None)


def _head_transform_layer(last: Any, extra: Any, transform: Any) -> None:
    """Make ``extra`` (one more post-norm decoder layer after ``last``) compute ``LayerNorm(act(dense(h)))``.

    ``last`` ends in ``LayerNorm(y) = g * n(y) + b``: it is set to output ``x = n(y)`` (unit gain, no bias),
    and ``h = g * x + b`` is folded into the FFN. In ``extra``, both attention sublayers have zero weights,
    so each computes ``LayerNorm(x + 0)`` with unit gain: ``n(x)``, which is ``x`` again (x is already
    normalized; the epsilon moves it by ~1e-12). The FFN then cancels its own residual with
    ``act(z) - act(-z) = z``, true of GELU (``z * Phi(z)``) and its tanh form:

        W0 = [D diag(g); I; -I], b0 = [D b + d; 0; 0], W1 = [I, -I, I]
        x + W1 act(W0 x + b0) = x + act(D h + d) - act(x) + act(-x) = act(D h + d)

    and its LayerNorm is the transform's. In float32 this equals the transformers head up to rounding
    (the parity tests check the token ids); int8 quantizes the identity path's activations too.
    """
    gain, shift = last.ffn.layer_norm.gamma, last.ffn.layer_norm.beta
    width = gain.shape[0]
    last.ffn.layer_norm.gamma, last.ffn.layer_norm.beta = np.ones_like(gain), np.zeros_like(shift)
    # output rows per linear, in widths: self-attention (qkv, out), cross-attention (q, kv, out)
    for attention, rows in ((extra.self_attention, (3, 1)), (extra.attention, (1, 2, 1))):
        for linear, n in zip(attention.linear, rows, strict=True):
            linear.weight = np.zeros((n * width, width), dtype=np.float32)
            linear.bias = np.zeros(n * width, dtype=np.float32)
        attention.layer_norm.gamma, attention.layer_norm.beta = np.ones(width, np.float32), np.zeros(width, np.float32)
    dense_w, dense_b = _numpy(transform.dense.weight), _numpy(transform.dense.bias)
    eye = np.eye(width, dtype=np.float32)
    zeros = np.zeros(width, dtype=np.float32)
    extra.ffn.linear_0.weight = np.concatenate([dense_w * gain[None, :], eye, -eye])
    extra.ffn.linear_0.bias = np.concatenate([dense_w @ shift + dense_b, zeros, zeros])
    extra.ffn.linear_1.weight = np.concatenate([eye, -eye, eye], axis=1)
    extra.ffn.linear_1.bias = zeros
    extra.ffn.layer_norm.gamma = _numpy(transform.LayerNorm.weight)
    extra.ffn.layer_norm.beta = _numpy(transform.LayerNorm.bias)


def _set_embeddings(spec: Any, embeddings: Any, *, in_list: bool) -> None:
    word = spec.embeddings[0] if in_list else spec.embeddings
    word.weight = _numpy(embeddings.word_embeddings.weight)
    spec.scale_embeddings = False
    positions = _numpy(embeddings.position_embeddings.weight)
    token_types = getattr(embeddings, "token_type_embeddings", None)
    if token_types is not None:  # BertModel: every input is token type 0
        positions = positions + _numpy(token_types.weight)[0][None, :]
    spec.position_encodings.encodings = positions
    _set_norm(spec.layernorm_embedding, embeddings.LayerNorm)


def _set_attention(spec: Any, attention: Any, *, fused: list[int], then: list[int] | None = None) -> None:
    """Query/key/value (index 0/1/2 of ``attention.self``): ``fused`` into linear[0], ``then`` into linear[1]."""
    qkv = [attention.self.query, attention.self.key, attention.self.value]
    groups = [fused] if then is None else [fused, then]
    for linear, group in zip(spec.linear, groups, strict=False):
        _set_linear(linear, torch.cat([qkv[i].weight for i in group]), torch.cat([qkv[i].bias for i in group]))
    _set_linear(spec.linear[-1], attention.output.dense.weight, attention.output.dense.bias)
    _set_norm(spec.layer_norm, attention.output.LayerNorm)


def _set_ffn(spec: Any, layer: Any) -> None:
    _set_linear(spec.linear_0, layer.intermediate.dense.weight, layer.intermediate.dense.bias)
    _set_linear(spec.linear_1, layer.output.dense.weight, layer.output.dense.bias)
    _set_norm(spec.layer_norm, layer.output.LayerNorm)


def _set_linear(spec: Any, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    spec.weight = _numpy(weight)
    if bias is not None:
        spec.bias = _numpy(bias)


def _set_norm(spec: Any, norm: Any) -> None:
    spec.gamma, spec.beta = _numpy(norm.weight), _numpy(norm.bias)


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().float().cpu().numpy()


def _set_tokens(spec: Any, model: Any, tokenizer: Any) -> None:
    """Vocabularies (index = token id) and the special tokens generate() uses, from the checkpoint's config."""
    generation = model.generation_config
    tokens = vocabulary(tokenizer, model.config.decoder.vocab_size)
    spec.register_source_vocabulary(vocabulary(tokenizer, model.config.encoder.vocab_size))
    spec.register_target_vocabulary(tokens)
    start = next(
        i
        for i in (generation.decoder_start_token_id, model.config.decoder_start_token_id, generation.bos_token_id)
        if i is not None
    )
    eos = generation.eos_token_id
    eos = eos[0] if isinstance(eos, list) else eos
    bos = generation.bos_token_id if generation.bos_token_id is not None else start
    spec.config.decoder_start_token = tokens[start]
    spec.config.eos_token = tokens[eos]
    spec.config.bos_token = tokens[bos]
    spec.config.unk_token = tokenizer.unk_token if tokenizer.unk_token in tokens else tokens[0]
    spec.config.layer_norm_epsilon = float(model.config.decoder.layer_norm_eps)


def vocabulary(tokenizer: Any, size: int) -> list[str]:
    """``size`` token strings, index = id; ids the tokenizer lacks get unique placeholders (never fed, never read)."""
    by_id = {i: token for token, i in tokenizer.get_vocab().items()}
    return [by_id.get(i, f"<unused_{i}>") for i in range(size)]
