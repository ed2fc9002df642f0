"""The translator backend: translation, QA, summaries, attention and chunk plans for BERT-family models.

Never imports gradio; app.py is the only UI.
"""

from __future__ import annotations

from .errors import InputError, ModelUnavailableError, TranslatorError
from .loading import LoadedModel, get_cache, is_available, load_model
from .registry import ModelSpec, Recipe, get_registry
from .settings import Settings, configure, get_settings

__all__ = [
    "InputError", "LoadedModel", "ModelSpec", "ModelUnavailableError", "Recipe", "Settings", "TranslatorError",
    "configure", "get_cache", "get_registry", "get_settings", "is_available", "load_model",
]
