"""load_model(): resolve a registry key, hub id or local directory; load it safely; cache it.

Safety: safetensors weights only, never remote code. Precision: auto | fp32 | fp16 |
bf16 | 8bit | 4bit, falling back to the nearest precision this machine can run and
saying so. Models live in a thread-safe LRU cache with a memory budget.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlparse

import torch
from safetensors import SafetensorError

from .cache import get_cache
from .errors import InputError, ModelUnavailableError
from .registry import TASKS, ModelSpec, Recipe, get_registry
from .settings import PRECISIONS, get_settings

if TYPE_CHECKING:
    from transformers import PreTrainedModel

ATTN_IMPLEMENTATIONS = ("sdpa", "eager")
# no code from a model's repository, and no hub kernels (transformers 5 swaps layers for compiled code fetched from
# the hub by default: code we did not vet, which can't be fetched offline, fails where the `kernels` package is
# missing, and changes the model's numbers)
NO_REMOTE_CODE: dict[str, Any] = {"trust_remote_code": False, "use_kernels": False}
# every model load: that, and weights from safetensors only
SAFE_MODEL_LOAD: dict[str, Any] = {**NO_REMOTE_CODE, "use_safetensors": True}
# the files a checkpoint needs; never *.bin / *.pt / *.h5 / *.py
ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.spm", "*.tiktoken", "*.vocab"]

# what ``LoadedModel.model`` holds: a transformers model (load_model), a SentenceTransformer
# (tasks/embeddings.py) or a CTranslate2 model (tasks/translation/engines/ctranslate2.py)
ModelT = TypeVar("ModelT")


@dataclass(frozen=True, eq=False)
class LoadedModel(Generic[ModelT]):
    model: ModelT
    tokenizer: Any
    key: str  # the name the caller used (registry key, hub id or directory)
    spec: ModelSpec
    device: torch.device
    device_name: str
    precision: str  # what was actually loaded
    attn: str
    footprint_bytes: int
    warnings: tuple[str, ...] = ()
    engine: str = "transformers"  # what runs it: transformers, sentence-transformers, ctranslate2

    @property
    def recipe(self) -> Recipe:
        return self.spec.recipe


# -------------------------------------------------------------------- resolution


def resolve_spec(model: str, task: str) -> ModelSpec:
    """A registry key, an existing local directory, or an ``org/name`` hub id -> ModelSpec."""
    if not isinstance(model, str) or not model.strip():
        raise InputError("Name a model: a registry key, a hub id or a local directory.")
    if task not in TASKS:
        raise InputError(f"Unknown task {task!r}; use one of {', '.join(TASKS)}.")
    registry = get_registry()
    if model in registry:
        spec = registry.get(model)
        if task not in spec.tasks:
            raise InputError(f"Model {model!r} is not made for {task}; it serves {', '.join(spec.tasks)}.")
        return spec
    if _is_dir(model):
        return ModelSpec(key=model, tasks=(task,), path=str(Path(model).resolve()))
    parts = model.split("/")
    if len(parts) == 2 and all(p and not p.startswith(".") for p in parts) and not model.startswith("/"):
        return ModelSpec(key=model, tasks=(task,), hub_id=model)
    raise ModelUnavailableError(
        f"Unknown model {model!r}: it is not a registry key ({', '.join(registry.keys())}), "
        "an existing directory, or a hub id like 'org/name'."
    )


def _is_dir(name: str) -> bool:
    """Whether ``name`` is an existing directory; a name the OS refuses (too long, say) is not one."""
    try:
        return Path(name).is_dir()
    except OSError:  # Path.is_dir() lets ENAMETOOLONG through
        return False


_hub_state: dict[str, float | bool] = {"checked_at": 0.0, "reachable": False}


def hub_reachable(timeout: float = 1.5) -> bool:
    """A quick TCP check of the hub endpoint, remembered for a minute (never a long HTTP timeout)."""
    if get_settings().offline:
        return False
    now = time.monotonic()
    if now - float(_hub_state["checked_at"]) < 60:
        return bool(_hub_state["reachable"])
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    try:
        with socket.create_connection((url.hostname, url.port or 443), timeout=timeout):
            reachable = True
    except OSError:
        reachable = False
    _hub_state.update(checked_at=now, reachable=reachable)
    return reachable


def download_command(spec: ModelSpec) -> str:
    return f".venv/bin/python -m translator download {spec.key}"


def fetch(spec: ModelSpec, *, local_files_only: bool | None = None) -> Path:
    """The checkpoint's local directory: the spec's path, or a hub snapshot (safetensors and configs only)."""
    if spec.path:
        path = Path(spec.path)
        if not path.is_dir():
            raise ModelUnavailableError(f"Model {spec.key!r} points to {path}, which is not a directory.")
        return path
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    offline = (not hub_reachable()) if local_files_only is None else local_files_only
    try:
        folder = snapshot_download(
            spec.hub_id, revision=spec.revision, allow_patterns=ALLOW_PATTERNS, local_files_only=offline
        )
    except LocalEntryNotFoundError:
        if local_files_only is False:  # a download was asked for (the download command) and failed
            raise ModelUnavailableError(
                f"Model {spec.key!r} can't be downloaded: the hub can't be reached from this machine."
            ) from None
        raise ModelUnavailableError(
            f"Model {spec.key!r} is not in the local cache and the hub can't be reached; "
            f"fetch it while online with the command {download_command(spec)}"
        ) from None
    except (HfHubHTTPError, OSError, ValueError) as exc:
        raise ModelUnavailableError(
            f"Model {spec.key!r} could not be fetched from the hub ({type(exc).__name__})."
        ) from None
    return Path(folder)


def _check_safe(folder: Path, spec: ModelSpec) -> dict:
    """The checkpoint's config.json, after refusing repository code and weights that are not safetensors."""
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise ModelUnavailableError(f"Model {spec.key!r} has no config.json in {folder}.")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except ValueError:  # broken JSON or not UTF-8
        config = None
    if not isinstance(config, dict):
        raise ModelUnavailableError(f"Model {spec.key!r} has a config.json in {folder} that is not a JSON object.")
    if "auto_map" in config or config.get("trust_remote_code"):
        raise ModelUnavailableError(
            f"Model {spec.key!r} needs custom code from its repository, which this app never runs."
        )
    if not any(folder.glob("*.safetensors")):
        raise ModelUnavailableError(
            f"Model {spec.key!r} has no safetensors weights; this app loads safetensors only "
            "(convert the checkpoint with save_pretrained, which writes safetensors)."
        )
    return config


# -------------------------------------------------------------------- precision


def device_and_name() -> tuple[torch.device, str]:
    if torch.cuda.is_available():
        return torch.device("cuda", 0), torch.cuda.get_device_name(0)
    return torch.device("cpu"), "CPU"


def bitsandbytes_available() -> bool:
    return importlib.util.find_spec("bitsandbytes") is not None


def resolve_precision(requested: str, device: torch.device) -> tuple[str, list[str]]:
    """The precision to load with on ``device`` and the notes on why it differs from the request."""
    if requested not in PRECISIONS:
        raise InputError(f"Precision must be one of {', '.join(PRECISIONS)}, not {requested!r}.")
    cuda = device.type == "cuda"
    if requested == "auto":
        if not cuda:
            return "fp32", []
        return ("bf16" if torch.cuda.is_bf16_supported() else "fp16"), []
    notes: list[str] = []
    precision = requested
    if precision in ("8bit", "4bit") and not bitsandbytes_available():
        fallback = "fp16" if cuda else "fp32"
        notes.append(f"{precision} needs bitsandbytes, which is not installed; loaded {fallback} instead.")
        return fallback, notes
    if precision == "8bit" and not cuda:
        # bitsandbytes' int8 matmul runs on CUDA only; NF4 is its quantization that runs on a CPU
        notes.append("8bit needs a CUDA GPU; loaded 4bit (NF4) instead, which bitsandbytes runs on a CPU.")
        precision = "4bit"
    if precision == "fp16" and not cuda:
        notes.append("fp16 is not supported well on a CPU; loaded bf16 instead.")
        precision = "bf16"
    return precision, notes


def _cpu_4bit_skip_modules(model_class, folder: Path) -> list[str]:
    """Layers bitsandbytes' CPU kernel can't pack (it needs out % 32 == 0 and in % 64 == 0, so a QA head
    of 2 outputs fails), plus what transformers leaves unquantized by default (output embeddings)."""
    from transformers import AutoConfig, EncoderDecoderModel
    from transformers.quantizers.base import get_keys_to_not_convert

    config = AutoConfig.from_pretrained(folder, trust_remote_code=False)
    with torch.device("meta"):
        skeleton = (
            EncoderDecoderModel(config=config)
            if model_class is EncoderDecoderModel
            else model_class.from_config(config)
        )
    odd = [
        name
        for name, module in skeleton.named_modules()
        if isinstance(module, torch.nn.Linear) and (module.out_features % 32 or module.in_features % 64)
    ]
    return sorted(set(get_keys_to_not_convert(skeleton)) | set(odd))


def _precision_kwargs(precision: str, device: torch.device, model_class, folder: Path) -> dict[str, Any]:
    if precision in ("fp32", "fp16", "bf16"):
        dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]
        return {"dtype": dtype}
    from transformers import BitsAndBytesConfig

    compute = torch.bfloat16 if device.type == "cpu" or torch.cuda.is_bf16_supported() else torch.float16
    if precision == "8bit":
        config = BitsAndBytesConfig(load_in_8bit=True)
    else:
        skip = _cpu_4bit_skip_modules(model_class, folder) if device.type == "cpu" else None
        config = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute,
            llm_int8_skip_modules=skip,
        )
    device_map = {"": device.index or 0} if device.type == "cuda" else {"": "cpu"}
    return {"quantization_config": config, "device_map": device_map, "dtype": compute}


# -------------------------------------------------------------------- loading


def _model_class(task: str, config: dict):
    import transformers

    if task == "translation":
        if config.get("model_type") == "encoder-decoder":
            return transformers.EncoderDecoderModel
        return transformers.AutoModelForSeq2SeqLM
    if task == "qa":
        return transformers.AutoModelForQuestionAnswering
    return transformers.AutoModel


def checkpoint(spec: ModelSpec) -> tuple[Path, dict]:
    """The checkpoint's local folder (fetched when allowed) and its config.json, after the safety checks."""
    folder = fetch(spec)
    return folder, _check_safe(folder, spec)


def load_tokenizer(folder: Path, spec: ModelSpec) -> Any:
    """The tokenizer in ``folder`` (``spec``'s checkpoint) with the special tokens its recipe sets; no remote code."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(folder, trust_remote_code=False, **dict(spec.recipe.special_tokens))
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"The tokenizer of {spec.key!r} could not be loaded: {first_line(exc)}") from None


def _load_uncached(spec: ModelSpec, task: str, precision: str, attn: str) -> LoadedModel[PreTrainedModel]:
    folder, config = checkpoint(spec)
    device, device_name = device_and_name()
    precision, notes = resolve_precision(precision, device)
    model_class = _model_class(task, config)
    tokenizer = load_tokenizer(folder, spec)
    try:
        kwargs = _precision_kwargs(precision, device, model_class, folder)
        model = model_class.from_pretrained(folder, attn_implementation=attn, **SAFE_MODEL_LOAD, **kwargs)
    except SafetensorError:  # a cut download or copy: the header or the tensors end early
        raise ModelUnavailableError(damaged_weights(spec)) from None
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"Model {spec.key!r} could not be loaded: {first_line(exc)}") from None
    if "device_map" not in kwargs:
        model.to(device)
    if task == "translation":
        # generate() always gets max_new_tokens (tasks/translation/generation.py); a checkpoint's max_length
        # beside it changes nothing and makes transformers warn on every call
        model.generation_config.max_length = None
    model.eval()
    model.requires_grad_(False)
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        key=spec.key,
        spec=spec,
        device=device,
        device_name=device_name,
        precision=precision,
        attn=attn,
        footprint_bytes=int(model.get_memory_footprint()),
        warnings=tuple(notes),
    )


def damaged_weights(spec: ModelSpec) -> str:
    """The sentence for weights that can't be read: what to run (or do) to get them again."""
    local = spec.path or not spec.hub_id
    again = "copy or save them again" if local else f"download again with {download_command(spec)}"
    return f"Model {spec.key!r}: its weights are damaged or incomplete: {again}."


def first_line(exc: BaseException) -> str:
    """An exception's first line as a sentence, to follow a colon in a message for the user."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if text.endswith(".") else text + "."


def load_model(model: str, task: str, precision: str = "auto", attn: str = "sdpa") -> LoadedModel[PreTrainedModel]:
    """Load (or take from the cache) ``model`` for ``task`` at ``precision`` with ``attn`` attention."""
    if attn not in ATTN_IMPLEMENTATIONS:
        raise InputError(f"attn must be 'sdpa' or 'eager', not {attn!r}.")
    spec = resolve_spec(model, task)
    if precision == "auto":
        precision = get_settings().precision
    if precision not in PRECISIONS:
        raise InputError(f"Precision must be one of {', '.join(PRECISIONS)}, not {precision!r}.")
    model_class = "encoder" if task == "embeddings" else task  # one AutoModel serves both
    key = (spec.source, spec.revision, model_class, precision, attn, spec.recipe)
    return cached(key, lambda: _load_uncached(spec, model_class, precision, attn))


def cached(key: tuple, load: Callable[[], LoadedModel[ModelT]]) -> LoadedModel[ModelT]:
    """``load()`` once per ``key`` (concurrent callers share it), kept in the LRU cache under the memory budget.

    Loaded CTranslate2 translators live here too, beside the transformers models, under the same budget.
    """
    cache = get_cache()
    cache.budget_bytes = get_settings().cache_budget_mb * 2**20
    return cache.get(key, load)


def is_available(model: str, task: str) -> tuple[bool, str]:
    """Whether ``model`` can be used now, and a short reason to show beside it."""
    try:
        spec = resolve_spec(model, task)
    except (InputError, ModelUnavailableError) as exc:
        return False, str(exc)
    try:
        fetch(spec, local_files_only=True)
    except ModelUnavailableError as exc:
        if not spec.path and hub_reachable():
            return True, "downloads from the hub on first use"
        return False, str(exc)
    return True, "local files" if spec.path else "in the local cache"
