"""Pieces every tab shares: the handler wrapper that turns errors into one sentence, model pickers, the status."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr
import torch

from translator import InputError, TranslatorError, get_cache, get_registry, get_settings, is_available
from translator.core.cache import free_memory
from translator.core.loading import device_and_name
from translator.core.results import Progress
from translator.core.settings import PRECISIONS

try:  # on Hugging Face Spaces with ZeroGPU, GPU work must run inside @spaces.GPU
    import spaces

    on_gpu = spaces.GPU(duration=120)
except ImportError:

    def on_gpu(handler: Callable[..., Any]) -> Callable[..., Any]:
        return handler


log = logging.getLogger("app")

GENERIC_ERROR = "Something went wrong on the server while handling this request; it has been logged. Please try again."
OUT_OF_MEMORY = "The model ran out of memory on this request; shorten the input or lower the number of beams."
# every event that runs a model or a tokenizer shares one concurrency group: the device is one resource, and
# fast tokenizers refuse to be used from two threads at once ("Already borrowed")
MODEL_WORK = "model"

Handler = TypeVar("Handler", bound=Callable[..., Any])


def user_errors(handler: Handler | None = None, *, gpu: bool = True) -> Any:
    """Wrap an event handler: backend errors become one plain sentence for the user; out-of-memory frees
    what it can; anything unexpected is logged with its traceback. ``gpu`` handlers run under @spaces.GPU
    on Spaces (use ``@user_errors(gpu=False)`` for handlers that run no model)."""
    if handler is None:
        return lambda function: user_errors(function, gpu=gpu)

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except TranslatorError as exc:
            raise gr.Error(error_text(exc), print_exception=False) from None
        except torch.OutOfMemoryError:
            log.warning("out of memory in %s", handler.__name__)
            free_memory()
            raise gr.Error(OUT_OF_MEMORY, print_exception=False) from None
        except Exception:
            log.exception("unexpected error in %s", handler.__name__)
            raise gr.Error(GENERIC_ERROR, print_exception=False) from None

    return on_gpu(wrapped) if gpu else wrapped


def error_text(exc: Exception) -> str:
    """A backend message made safe for gradio's toast, which renders it as HTML: messages can quote what a
    caller sent (``not '<img ...>'``), so ``&`` and ``<`` are escaped and no markup survives."""
    return str(exc).replace("&", "&amp;").replace("<", "&lt;")


def progress_callback(progress: gr.Progress) -> Progress:
    """Adapt gr.Progress to the backend's ``(fraction, message)`` callback."""
    return lambda fraction, message: progress(fraction, desc=message)


def registry_key(value: object, task: str | None = None) -> str:
    """Server-side check that a request names a listed model: one for ``task``, or any model when ``task`` is
    None (the Chunks tab takes any tokenizer). API callers can send anything."""
    keys = get_registry().keys(task)
    if not isinstance(value, str) or value not in keys:
        where = " for this tab" if task else ""
        raise InputError(f"Choose one of the listed models{where}: {', '.join(keys)}.")
    return value


def availability(key: str, task: str) -> str:
    ok, reason = is_available(key, task) if key else (False, "no model chosen")
    return f"{'✅' if ok else '⚠️'} `{key}`: {reason}"


def model_dropdown(task: str | None, default: str | None, label: str = "Model") -> gr.Dropdown:
    """A dropdown of the registry's models for ``task`` (all of them when None), on ``default`` if listed."""
    specs = get_registry().for_task(task) if task else list(get_registry())
    keys = [spec.key for spec in specs]
    value = default if default in keys else (keys[0] if keys else None)
    return gr.Dropdown(choices=[(spec.label, spec.key) for spec in specs], value=value, label=label, interactive=True)


def model_picker(task: str, default: str | None) -> gr.Dropdown:
    """A registry-fed dropdown with a line under it that says whether the model can be used now."""
    dropdown = model_dropdown(task, default)
    key = dropdown.value
    note = gr.Markdown(availability(key, task) if key else "No model in the registry serves this tab.")
    dropdown.change(lambda key: availability(key, task), dropdown, note, api_name=False, queue=False)
    return dropdown


def precision_picker() -> gr.Radio:
    return gr.Radio(list(PRECISIONS), value=get_settings().precision, label="Precision")


def status_line() -> str:
    _, device_name = device_and_name()
    loaded = get_cache().loaded()
    models = ", ".join(f"{m.key} ({m.precision})" for m in loaded) or "none yet"
    return (
        f"**Device:** {device_name} · **default precision:** {get_settings().precision} · "
        f"**offline:** {'yes' if get_settings().offline else 'no'} · **loaded models:** {models}"
    )
