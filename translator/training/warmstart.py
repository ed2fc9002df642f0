"""Warm-start a BERT2BERT encoder-decoder from BERT checkpoints.

The seed method of the project (Rothe, Narayan & Severyn, "Leveraging Pre-trained
Checkpoints for Sequence Generation Tasks", 2020): the encoder is a BERT checkpoint as it
is; the decoder is a BERT checkpoint turned into a decoder (causal self-attention plus new,
randomly initialized cross-attention layers) whose output projection is tied to its input
embeddings. With ``share=True`` the decoder reuses the encoder's tensors wherever names and
shapes match (the paper's BERT2BERT-share), so only the cross-attention and the LM head are
the decoder's own. BERT's ``[CLS]`` starts every decoded sequence and ``[SEP]`` ends it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..core.errors import InputError
from ..core.loading import SAFE_MODEL_LOAD, checkpoint, first_line, load_tokenizer, resolve_spec


@dataclass(frozen=True, eq=False)
class WarmStart:
    model: Any  # transformers.EncoderDecoderModel, in training mode
    tokenizer: Any  # the one tokenizer of both halves, with bos = [CLS] and eos = [SEP]
    encoder: str  # the names the caller gave
    decoder: str
    shared_tensors: int  # decoder tensors that are the encoder's own (0 without share)
    new_parameters: int  # decoder parameters its checkpoint lacks: cross-attention, LM-head transform

    def describe(self) -> str:
        share = f", {self.shared_tensors} tensors shared with the encoder" if self.shared_tensors else ""
        return (
            f"BERT2BERT from {self.encoder} (encoder) and {self.decoder} (decoder): "
            f"{_count(self.model):,} parameters, {self.new_parameters:,} of them new{share}"
        )


def warm_start(encoder: str, decoder: str | None = None, *, share: bool = False) -> WarmStart:
    """An EncoderDecoderModel whose halves start from ``encoder`` and ``decoder`` (default: the encoder's checkpoint).

    Each is a registry key, a hub id or a local directory of a BERT-style checkpoint
    (safetensors). Both must use the same vocabulary, because one tokenizer reads the
    source and writes the target.
    """
    from transformers import EncoderDecoderModel

    decoder = decoder or encoder
    encoder_folder, tokenizer = _checkpoint(encoder)
    decoder_folder, decoder_tokenizer = _checkpoint(decoder) if decoder != encoder else (encoder_folder, tokenizer)
    if decoder_folder != encoder_folder and tokenizer.get_vocab() != decoder_tokenizer.get_vocab():
        raise InputError(
            f"{encoder} and {decoder} have different vocabularies; choose encoder and decoder "
            "checkpoints that share one, since one tokenizer serves both sides."
        )
    with _quiet_transformers():
        encoder_model = _load_encoder(encoder_folder, encoder)
        decoder_model, new_parameters = _load_decoder(decoder_folder, decoder)
        model = EncoderDecoderModel(encoder=encoder_model, decoder=decoder_model)
    shared = share_encoder_weights(model) if share else 0
    if share and not shared:
        raise InputError(
            f"Nothing can be shared between {encoder} and {decoder}: no tensors of the same name "
            "and shape; leave sharing off for checkpoints of different sizes."
        )
    _use_bert_special_tokens(model, tokenizer)
    model.train()
    return WarmStart(model, tokenizer, encoder, decoder, shared, new_parameters)


def _checkpoint(name: str) -> tuple[Path, Any]:
    """The checkpoint's folder (after the safety checks) and its tokenizer, which must be BERT-style."""
    spec = resolve_spec(name, "encoder")
    folder, _ = checkpoint(spec)
    tokenizer = load_tokenizer(folder, spec)
    if None in (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id):
        raise InputError(
            f"{name} has no [CLS], [SEP] and [PAD] tokens; warm starting needs a BERT-style "
            "vocabulary, whose [CLS] and [SEP] become the decoder's start and end."
        )
    return folder.resolve(), tokenizer


def _load_encoder(folder: Path, name: str):
    from transformers import AutoModel

    try:
        model = AutoModel.from_pretrained(folder, **SAFE_MODEL_LOAD)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{name} can't be loaded as an encoder: {first_line(exc)}") from None
    if getattr(model, "pooler", None) is not None:
        # a seq2seq encoder hands on token states; the pooler stays (so the saved model loads without gaps)
        # but is frozen, since an unused trainable parameter breaks distributed training
        model.pooler.requires_grad_(False)
    return model


def _load_decoder(folder: Path, name: str):
    """BERT with causal self-attention, new cross-attention and its LM head; and how many parameters are new."""
    from transformers import AutoConfig, AutoModelForCausalLM

    try:
        config = AutoConfig.from_pretrained(folder, is_decoder=True, add_cross_attention=True)
        model, info = AutoModelForCausalLM.from_pretrained(
            folder, config=config, output_loading_info=True, **SAFE_MODEL_LOAD
        )
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(
            f"{name} can't serve as a decoder: its architecture has no causal-LM form with "
            f"cross-attention: {first_line(exc)}"
        ) from None
    parameters = dict(model.named_parameters())
    new = sum(parameters[key].numel() for key in set(info["missing_keys"]) if key in parameters)
    return model, new


def share_encoder_weights(model) -> int:
    """Make the decoder use the encoder's tensor wherever a name and shape match; the count of tensors shared."""
    encoder_params = dict(model.encoder.named_parameters())
    body = model.decoder.base_model  # the decoder without its LM head: names line up with the encoder's
    shared = 0
    for name, param in list(body.named_parameters()):
        twin = encoder_params.get(name)
        if twin is None or twin.shape != param.shape:
            continue
        owner, _, leaf = name.rpartition(".")
        setattr(body.get_submodule(owner), leaf, twin)
        shared += 1
    model.decoder.tie_weights()  # the LM head follows the (now shared) word embeddings
    return shared


def _use_bert_special_tokens(model, tokenizer) -> None:
    tokenizer.bos_token = tokenizer.cls_token
    tokenizer.eos_token = tokenizer.sep_token
    # BERT's positions count from the first token, and the model's label shift expects padding after the labels
    tokenizer.padding_side = "right"
    ids = {
        "decoder_start_token_id": tokenizer.cls_token_id,
        "bos_token_id": tokenizer.cls_token_id,
        "eos_token_id": tokenizer.sep_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    for name, value in ids.items():
        setattr(model.generation_config, name, value)
        if name != "bos_token_id":
            setattr(model.config, name, value)  # forward() reads these to shift labels and mask padding
    for config in (model.config.decoder, model.decoder.config):
        config.bos_token_id, config.eos_token_id = ids["bos_token_id"], ids["eos_token_id"]


def save_translator(model, tokenizer, folder: str | Path) -> Path:
    """Write model (safetensors) and tokenizer so load_model(folder, "translation") and translate() accept it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with _quiet_transformers():
        model.save_pretrained(folder, state_dict=_untied_state_dict(model))
        tokenizer.save_pretrained(folder)
    # safetensors writes its file 0600 (a private temp file renamed); give it the mode the other files got
    mode = (folder / "config.json").stat().st_mode & 0o777
    for weights in folder.glob("*.safetensors"):
        weights.chmod(mode)
    return folder


def _untied_state_dict(model) -> dict[str, torch.Tensor]:
    """The state dict with shared encoder tensors copied on the decoder side.

    transformers saves only the ties it can restore on load (the LM head); tensors shared
    with the encoder are written for both halves, which load back as equal, separate tensors.
    """
    state = model.state_dict()
    encoder_storage = {t.untyped_storage().data_ptr() for k, t in state.items() if k.startswith("encoder.")}
    copies: dict[int, torch.Tensor] = {}  # one copy per storage keeps the decoder's own LM-head tie intact
    untied = {}
    for key, tensor in state.items():
        pointer = tensor.untyped_storage().data_ptr()
        if key.startswith("decoder.") and pointer in encoder_storage:
            if pointer not in copies:
                copies[pointer] = tensor.detach().clone()
            tensor = copies[pointer]
        untied[key] = tensor
    return untied


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' load reports and bars: the missing cross-attention weights are expected here."""
    from transformers.utils import logging

    verbosity = logging.get_verbosity()
    bars = logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())
