"""Checkpoints converted for CTranslate2 on first use and kept on disk beside the hub cache.

Marian goes through CTranslate2's own converter; a BERT2BERT EncoderDecoderModel through ours
(bert2bert_spec.py). A converted model lives in ``<cache>/<name>-<hash>``: the hash covers the checkpoint's
folder (a hub snapshot's folder names its commit), the registry revision, the checkpoint's file sizes and
times (an overwritten local checkpoint converts again), the quantization and the converters' versions.
Conversion writes into a temporary folder that is renamed into place, under a lock file: two requests at
once, in threads or processes, convert once, and a crash never leaves half a model where one is expected.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock

from ....core.errors import ModelUnavailableError
from ....core.loading import SAFE_MODEL_LOAD, checkpoint, load_tokenizer, resolve_spec
from ....core.registry import ModelSpec
from ....core.settings import get_settings
from . import bert2bert_spec

# what CTranslate2 stores weights as; the CLI offers these
QUANTIZATIONS = ("int8", "int8_float16", "int8_bfloat16", "float16", "bfloat16", "float32")
# bump when the conversion changes, so models converted before are converted again
CONVERTER_VERSION = 1
# the files whose size and time say the checkpoint changed
STAMPED = ("config.json", "generation_config.json", "*.safetensors", "*.json", "*.model", "*.spm", "*.txt")


def available() -> bool:
    """Whether the ctranslate2 package is installed."""
    return importlib.util.find_spec("ctranslate2") is not None


def cache_root() -> Path:
    """Where converted models are kept: the settings' folder, else ``$HF_HOME/ctranslate2``."""
    configured = get_settings().ctranslate2_dir
    if configured:
        return Path(configured).expanduser()
    from huggingface_hub import constants

    return Path(constants.HF_HOME) / "ctranslate2"


def unsupported(config: dict, tokenizer: Any) -> str | None:
    """Why this checkpoint can't run on CTranslate2 (a phrase to follow "because"), or None when it can."""
    kind = config.get("model_type")
    if kind == "encoder-decoder":
        return bert2bert_spec.unsupported(config)
    if kind != "marian":
        return f"it is a {kind} model, and only Marian and BERT2BERT convert"
    if getattr(tokenizer, "separate_vocabs", False):
        return "its source and target vocabularies differ, which CTranslate2's Marian converter can't map"
    size, pad = config.get("vocab_size"), config.get("pad_token_id")
    # CTranslate2 drops the last row, taking it to be <pad>, the decoder's start (zero) embedding
    if pad != size - 1 or len(tokenizer) != size or tokenizer.convert_ids_to_tokens(size - 1) != "<pad>":
        return "its vocabulary does not end with <pad>, as CTranslate2's Marian converter requires"
    return None


def converted(spec: ModelSpec, quantization: str) -> Path:
    """The folder of ``spec`` converted at ``quantization``, converting it on first use."""
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, not {quantization!r}")
    folder, config = checkpoint(spec)
    tokenizer = load_tokenizer(folder, spec)
    reason = unsupported(config, tokenizer)
    if reason:
        raise ModelUnavailableError(f"Model {spec.key!r} can't run on CTranslate2 because {reason}.")
    root = cache_root()
    target = root / f"{_slug(spec.key)}-{_fingerprint(spec, folder, quantization)}"
    if (target / "model.bin").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    # an OS lock on a file beside the model: threads and processes wait for one conversion, on every OS
    with FileLock(root / f"{target.name}.lock"):
        if (target / "model.bin").is_file():  # another request converted it while this one waited
            return target
        scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
        try:
            _converter(config, folder, tokenizer).convert(str(scratch / "model"), quantization=quantization)
            os.replace(scratch / "model", target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def _converter(config: dict, folder: Path, tokenizer: Any) -> Any:
    from ctranslate2.converters import Converter, TransformersConverter

    if config.get("model_type") == "encoder-decoder":

        class Bert2BertConverter(Converter):
            def _load(self) -> Any:
                from transformers import EncoderDecoderModel

                model = EncoderDecoderModel.from_pretrained(folder, **_safe_float32())
                return bert2bert_spec.model_spec(model, tokenizer)

        return Bert2BertConverter()

    class SafeTransformersConverter(TransformersConverter):
        """CTranslate2's own converter, reading safetensors only and our (recipe-configured) tokenizer."""

        def load_model(self, model_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            kwargs.pop("dtype", None)
            return model_class.from_pretrained(model_name_or_path, **kwargs, **_safe_float32())

        def load_tokenizer(self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            return tokenizer

    return SafeTransformersConverter(str(folder))


def _safe_float32() -> dict[str, Any]:
    import torch

    return {**SAFE_MODEL_LOAD, "dtype": torch.float32}


def _fingerprint(spec: ModelSpec, folder: Path, quantization: str) -> str:
    import ctranslate2

    stamps = sorted(
        (path.name, path.stat().st_size, path.stat().st_mtime_ns)
        for pattern in STAMPED
        for path in folder.glob(pattern)
        if path.is_file()
    )
    key = {
        "folder": str(folder.resolve()),
        "revision": spec.revision,
        "recipe": repr(spec.recipe),
        "files": sorted(set(stamps)),
        "quantization": quantization,
        "converter": CONVERTER_VERSION,
        "ctranslate2": ctranslate2.__version__,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _slug(name: str) -> str:
    """A readable folder name from a registry key, hub id or path."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name or name).strip("._")[:60] or "model"


def convert_model(model: str, quantization: str = "int8") -> Path:
    """``model`` (registry key, hub id or directory) converted ahead of its first use; the converted folder.

    What ``python -m translator convert`` runs; translate(engine="ctranslate2") then finds it in the cache
    when it runs at the same quantization (on a CPU: precision "auto"/"8bit" is int8, "fp32" is float32).
    """
    if not available():
        raise ModelUnavailableError("CTranslate2 is not installed: install it with `pip install ctranslate2`.")
    return converted(resolve_spec(model, "translation"), quantization)
