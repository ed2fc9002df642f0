"""Pieces every tab shares: the handler wrapper that turns errors into one sentence, model pickers, the status."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import gradio as gr
import torch
from gradio.context import Context
from gradio.exceptions import ComponentProcessingError

from translator import InputError, TranslatorError, get_cache, get_registry, get_settings, is_available
from translator.core.cache import free_memory
from translator.core.loading import device_and_name, hub_reachable
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


def clear_after_failure(run: gr.events.Dependency) -> gr.events.Dependency:
    """After a failed run the toast says what went wrong and the run's outputs are emptied: no result of an
    earlier run stays on screen looking current, and no output keeps gradio's red "Error" badge (an output
    that a later event updates loses it). Call inside the Blocks that defines ``run``; returns it for chaining."""
    outputs = Context.root_block.fns[run["id"]].outputs
    cleared = [None] * len(outputs)
    run.failure(
        lambda: cleared if len(cleared) > 1 else None,
        None,
        outputs,
        api_visibility="private",
        queue=False,
        show_progress="hidden",
    )
    return run


def error_text(exc: Exception) -> str:
    """A backend message as plain text for gradio's toast, which renders it as HTML: messages can quote what a
    caller sent (``not '<img ...>'``), so ``&`` and ``<`` are escaped and no markup survives; Markdown code
    quotes are dropped, since the toast shows them raw."""
    return str(exc).replace("&", "&amp;").replace("<", "&lt;").replace("`", "")


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


def runnable_default(task: str, default: str | None) -> str | None:
    """The model a picker starts on: ``default`` if it can run now, else the first listed one that can (a
    fine-tuned model from --registry wins over a hub model that is not cached offline), else ``default``."""
    keys = get_registry().keys(task)
    candidates = ([default] if default in keys else []) + [key for key in keys if key != default]
    ready = next((key for key in candidates if is_available(key, task)[0]), None)
    return ready or (default if default in keys else (keys[0] if keys else None))


def model_dropdown(task: str | None, default: str | None, label: str = "Model") -> gr.Dropdown:
    """A dropdown of the registry's models for ``task`` (all of them when None), on one that can run now."""
    specs = get_registry().for_task(task) if task else list(get_registry())
    keys = [spec.key for spec in specs]
    value = runnable_default(task, default) if task else (default if default in keys else (keys[0] if keys else None))
    return gr.Dropdown(choices=[(spec.label, spec.key) for spec in specs], value=value, label=label, interactive=True)


def model_picker(task: str, default: str | None) -> gr.Dropdown:
    """A registry-fed dropdown with a line under it that says whether the model can be used now."""
    dropdown = model_dropdown(task, default)
    key = dropdown.value
    note = gr.Markdown(availability(key, task) if key else "No model in the registry serves this tab.")
    dropdown.change(lambda key: availability(key, task), dropdown, note, api_name=False, queue=False)
    return dropdown


def can_run(task: str) -> bool:
    """Whether any listed model for ``task`` can run now."""
    return any(is_available(key, task)[0] for key in get_registry().keys(task))


def no_model_panel(task: str, what: str) -> gr.Markdown:
    """The one short panel a tab shows at its top when none of its models can run here, with the ways out."""
    return gr.Markdown(
        f"**No {what} model can run on this machine yet** (the hub is not reachable and none is cached). "
        "Three ways out:\n"
        "1. On a machine with the hub: `.venv/bin/python -m translator download opus-mt-en-de` "
        "(then copy the Hugging Face cache here).\n"
        "2. Fine-tune your own, offline: "
        "`.venv/bin/python -m translator finetune pairs.tsv --output models/my-en-xx`.\n"
        "3. Start the app with a model you have: "
        "`.venv/bin/python app.py --registry models/my-en-xx/registry-entry.toml`.",
        elem_classes=["no-model-panel"],
        elem_id=f"{task}-no-model",
    )


def long_textbox(label: str, limit: int, elem_id: str, lines: int = 10, info: str | None = None) -> gr.Textbox:
    """A text box with a live character counter against ``limit`` under it. The box itself cuts nothing (a
    browser cut is silent): the server refuses over-limit text with the limit in its message."""
    box = gr.Textbox("", label=label, lines=lines, info=info, elem_id=elem_id)
    counter = gr.HTML(counter_html(0, limit), elem_id=f"{elem_id}-count", elem_classes=["char-count"], padding=False)
    # counted in the browser (fn=None, js only): no request per keystroke
    box.change(None, box, counter, js=COUNTER_JS.replace("LIMIT", str(limit)), api_visibility="private", queue=False)
    return box


def counter_html(length: int, limit: int) -> str:
    return f"<span>{length:,} / {limit:,} characters</span>"


COUNTER_JS = """(text) => {
  const n = (text || "").length, limit = LIMIT, f = (x) => x.toLocaleString("en-US");
  return n > limit
    ? `<span class="over">${f(n)} / ${f(limit)} characters: ${f(n - limit)} over the limit; shorten the text`
      + ` or the server will refuse it</span>`
    : `<span>${f(n)} / ${f(limit)} characters</span>`;
}"""


def precision_picker() -> gr.Radio:
    return gr.Radio(list(PRECISIONS), value=get_settings().precision, label="Precision")


def status_line() -> str:
    """Hub reachability, device, default precision and each loaded model once, with what its copies differ in."""
    _, device_name = device_and_name()
    hub = "reachable" if hub_reachable() else ("not used (offline mode)" if get_settings().offline else "not reachable")
    return (
        f"**Hub:** {hub} · **device:** {device_name} · **default precision:** {get_settings().precision} · "
        f"**loaded models:** {loaded_models(get_cache().loaded())}"
    )


def loaded_models(loaded: list[Any]) -> str:
    """``key (precision, attention)`` once per model; a model loaded twice (e.g. sdpa for translating, eager for
    attention maps) lists both variants."""
    variants: dict[str, list[str]] = {}
    for model in loaded:
        how = ", ".join(filter(None, [getattr(model, "precision", ""), getattr(model, "attn", "")]))
        engine = getattr(model, "engine", "transformers")
        how = f"{how}, {engine}" if engine not in ("transformers", "") else how
        key = getattr(model, "key", "?")
        if how not in variants.setdefault(key, []):
            variants[key].append(how)
    return "; ".join(f"{key} ({' | '.join(hows)})" for key, hows in variants.items()) or "none yet"


# Each table's column widths in px, None for its one text column (which takes the rest of the panel).
TABLE_COLUMNS: dict[str, tuple[int | None, ...]] = {
    "qa-answers": (40, None, 76, 64, 64, 80),
    "summarize-table": (60, 72, None, 76, 80, 52),
    "translate-nbest": (72, 48, None, 72),
}


def readable_table(elem_id: str, headers: Sequence[str], label: str) -> gr.Dataframe:
    """A read-only table whose headers stay on one line and whose text column wraps (see CSS)."""
    return gr.Dataframe(
        headers=list(headers),
        label=label,
        interactive=False,
        wrap=True,
        column_widths=[f"{width}px" if width else "auto" for width in TABLE_COLUMNS[elem_id]],
        elem_classes=["readable-table"],
        elem_id=elem_id,
    )


# Readable tables: headers on one line; cells in the page's proportional font (gradio's table draws every cell in
# --font-mono) with digits of equal width so numbers line up; the text column wraps within what the fixed columns
# leave of the panel, never under 140 px: at 400 px the text stays on screen and the numbers after it scroll.
CSS = """
.readable-table { container-type: inline-size; --font-mono: var(--font); font-variant-numeric: tabular-nums; }
.readable-table .table-wrap {
  --df-max-col-width: max(140px, calc(100cqw - var(--fixed-columns, 0px) - 40px)) !important; }
.readable-table th, .readable-table th * { white-space: nowrap !important; word-break: keep-all !important; }
.char-count { font-size: 85%; color: var(--body-text-color-subdued); margin-top: -6px; }
.char-count .over { color: #b91c1c; font-weight: bold; }
.no-model-panel { border: 1px solid #f59e0b; background: #fffbeb; border-radius: 6px; padding: 4px 12px; }
""" + "".join(
    f"#{elem_id} {{ --fixed-columns: {sum(width or 0 for width in widths)}px; }}\n"
    for elem_id, widths in TABLE_COLUMNS.items()
)


def n_best_slider(beams: gr.Slider, n_best: gr.Slider) -> None:
    """Keep the n-best slider's maximum at the number of beams (generate can return at most that many)."""

    def bound(num_beams: float, wanted: float) -> gr.Slider:
        return gr.Slider(maximum=int(num_beams), value=min(int(wanted), int(num_beams)))

    beams.change(bound, [beams, n_best], n_best, api_visibility="private", queue=False, show_progress="hidden")


# How often gradio's queue looks for work while it has none. Its 1 ms on Linux (queue) and 10 ms (progress) keep
# an idle app at 8% of a core; with the 50 ms and 100 ms it uses on Windows an idle app takes 1.3%, and a run
# starts at most 50 ms later.
QUEUE_POLL_SECONDS = 0.05
PROGRESS_POLL_SECONDS = 0.1


class Studio(gr.Blocks):
    """gr.Blocks whose own input validation (a value outside a component's choices, a bad type) logs one line
    per rejected request instead of a traceback; the caller still gets gradio's message. Its queue polls
    calmly while idle."""

    def queue(self, *args: Any, **kwargs: Any) -> Studio:
        super().queue(*args, **kwargs)
        # private attributes: tests/app/test_app.py checks that gradio still has them
        self._queue.sleep_when_free = QUEUE_POLL_SECONDS
        self._queue.progress_update_sleep_when_free = PROGRESS_POLL_SECONDS
        return self

    async def preprocess_data(self, block_fn: Any, inputs: list[Any], state: Any, explicit_call: bool = False) -> Any:
        try:
            return await super().preprocess_data(block_fn, inputs, state, explicit_call)
        except gr.Error as exc:
            if exc.print_exception:
                log.warning("rejected a request to %s: %s", block_fn.api_name or block_fn.name, exc.message)
                exc.print_exception = False
            raise
        except ComponentProcessingError as exc:  # a value of the wrong type (a word for a number)
            parts = error_text(exc).split("\n\n")  # which input failed; what it expected and got; the cause
            sentence = parts[1] if len(parts) > 1 else parts[0]
            log.warning("rejected a request to %s: %s", block_fn.api_name or block_fn.name, sentence)
            raise gr.Error(sentence, print_exception=False) from None
