"""Pieces every tab shares: the handler wrapper that turns errors into one sentence, the model-run wiring, model
pickers, sliders and the status line."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import gradio as gr
import torch

from translator import (
    MODEL_LOCKS,
    PRECISIONS,
    InputError,
    Progress,
    TranslatorError,
    device_and_name,
    free_memory,
    get_cache,
    get_registry,
    get_settings,
    hub_reachable,
    is_available,
)

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
        # the models this run names: with settings.concurrency_limit above 1, runs on one model take turns
        models = [value for value in (*args, *kwargs.values()) if isinstance(value, str) and value in get_registry()]
        try:
            with MODEL_LOCKS.hold(models):
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


Components = Sequence[gr.components.Component]


def model_run(
    trigger: gr.Button,
    fn: Callable[..., Any],
    inputs: Components,
    outputs: Components,
    *,
    api_name: str,
    progress_on: gr.components.Component | None = None,
    inputs_kwargs: dict[str, gr.components.Component] | None = None,
) -> gr.events.Dependency:
    """``trigger``'s click running ``fn``, which runs a model or a tokenizer: in the one MODEL_WORK group, with
    one progress bar (on ``progress_on``, else the first output; not one over every pane). After a failure the
    toast says what went wrong and the outputs are emptied: no result of an earlier run stays on screen looking
    current, and no output keeps gradio's red "Error" badge. Returns the click, for events that follow it."""
    run = trigger.click(
        fn,
        list(inputs),
        list(outputs),
        inputs_kwargs=inputs_kwargs,
        api_name=api_name,
        concurrency_id=MODEL_WORK,
        show_progress_on=progress_on or outputs[0],
    )
    cleared = [None] * len(outputs)
    run.failure(
        lambda: cleared if len(cleared) > 1 else None,
        None,
        list(outputs),
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
    # ✔ rather than the green check emoji, which a machine with only the DejaVu fonts draws as an empty box; a
    # reason why not is a sentence, and ends as one
    return f"{'✔' if ok else '⚠️'} `{key}`: {reason if ok else reason.rstrip('.') + '.'}"


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


def model_picker(task: str | None, default: str | None, label: str = "Model") -> gr.Dropdown:
    """A registry-fed dropdown (``task``'s models, or every model when None, as the Chunks tab lists them for their
    tokenizers) with a line under it that says whether the model can be used now."""

    def note_for(key: str | None) -> str:
        if not key:
            return "No model in the registry serves this tab."
        spec = next((spec for spec in get_registry() if spec.key == key), None)
        return availability(key, task or (spec.tasks[0] if spec else ""))

    dropdown = model_dropdown(task, default, label)
    note = gr.Markdown(note_for(dropdown.value))
    dropdown.change(note_for, dropdown, note, api_name=False, queue=False)
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


def precision_picker(value: str | None = None, label: str = "Precision", info: str | None = None) -> gr.Radio:
    """The precisions; on the settings' default unless ``value`` says otherwise."""
    return gr.Radio(list(PRECISIONS), value=value or get_settings().precision, label=label, info=info)


def beams_slider(value: int = 4, *, label: str = "Beams", info: str | None = None, **kwargs: Any) -> gr.Slider:
    """Beam width, from 1 (greedy) up to the settings' limit."""
    most = get_settings().max_beams
    return gr.Slider(1, most, value=min(value, most), step=1, precision=0, label=label, info=info, **kwargs)


def length_penalty_slider(info: str, **kwargs: Any) -> gr.Slider:
    return gr.Slider(-2.0, 3.0, value=1.0, step=0.1, label="Length penalty", info=info, **kwargs)


def no_repeat_slider(info: str | None = None) -> gr.Slider:
    return gr.Slider(0, 10, value=0, step=1, precision=0, label="No-repeat n-gram size", info=info)


def status_line() -> str:
    """Hub reachability, device, default precision and each loaded model once, with what its copies differ in."""
    _, device_name = device_and_name()
    hub = "reachable" if hub_reachable() else ("not used (offline mode)" if get_settings().offline else "not reachable")
    return (
        f"**Hub:** {hub} · **device:** {device_name} · **default precision:** {get_settings().precision} · "
        f"**loaded models:** {loaded_models(get_cache().loaded())}"
    )


def loaded_models(loaded: list[Any]) -> str:
    """``key (precision, attention, memory)`` once per model; a model loaded twice (e.g. sdpa for translating, eager for
    attention maps) lists both variants."""
    variants: dict[str, list[str]] = {}
    for model in loaded:
        how = ", ".join(filter(None, [getattr(model, "precision", ""), getattr(model, "attn", "")]))
        engine = getattr(model, "engine", "transformers")
        how = f"{how}, {engine}" if engine not in ("transformers", "") else how
        footprint = getattr(model, "footprint_bytes", 0)
        how = f"{how}, {footprint / 2**20:,.0f} MB" if footprint else how
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


def table_css(elem_id: str, widths: tuple[int | None, ...]) -> str:
    """One readable table's rules: the sum of its fixed columns, and its text column's width, which takes what the
    fixed ones leave, in the panel and in full screen (gradio sets the width it measured once, in the panel, on each
    cell: in full screen that was 75% of the screen)."""
    text = f"#{elem_id} :is(th, td):nth-child({widths.index(None) + 1})"
    full = f"#{elem_id} .table-container.fullscreen :is(th, td):nth-child({widths.index(None) + 1})"
    return (
        f"#{elem_id} {{ --fixed-columns: {sum(width or 0 for width in widths)}px; }}\n"
        f"{text} {{ {column_width('--df-max-col-width')} }}\n"
        f"{full} {{ --full: max(140px, calc(100vw - var(--fixed-columns) - 60px)); {column_width('--full')} }}\n"
        f"#{elem_id} .table-container.fullscreen table {{ width: 100% !important; }}\n"
    )


def column_width(variable: str) -> str:
    return " ".join(f"{side}: var({variable}) !important;" for side in ("width", "min-width", "max-width"))


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
""" + "".join(table_css(elem_id, widths) for elem_id, widths in TABLE_COLUMNS.items())


def n_best_slider(beams: gr.Slider, n_best: gr.Slider, decoding: gr.Radio) -> None:
    """Keep the n-best slider's maximum at what translate() allows: the beams, or under sampling the most samples."""
    for control in (beams, decoding):  # either may change the bound; each change reads both
        control.change(
            n_best_bound,
            [beams, n_best, decoding],
            n_best,
            api_visibility="private",
            queue=False,
            show_progress="hidden",
        )


def n_best_bound(num_beams: float, wanted: float, decoding: str = "beam") -> gr.Slider:
    """The n-best slider for ``num_beams`` and ``decoding``, as generation_options() bounds n-best: at most the beams,
    or under sampling (which uses no beams) the settings' most distinct samples, the value clamped to it. With one
    allowed, the slider holds 1 and is disabled: gradio refuses a slider whose maximum is not above its minimum (1)."""
    limit = get_settings().max_top_k
    sampling = decoding == "sampling"
    most = limit if sampling else min(int(num_beams), limit)
    info = f"Distinct samples, at most {most}." if sampling else "At most the number of beams."
    return gr.Slider(maximum=max(most, 2), value=min(int(wanted), most), interactive=most > 1, info=info)
