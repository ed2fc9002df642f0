"""Every place the UI relies on, or overrides, a gradio internal. Each is guarded by tests/ui/test_gradio_patches.py,
which fails when gradio changes the thing it relies on, rather than the app quietly misbehaving.

- ``Studio.queue`` sets two private attributes of gradio's queue (``_queue``): how often it polls while idle.
- ``Studio.preprocess_data`` wraps gradio's input validation, so a rejected request logs one line; it checks the raw
  values first (``check_raw_inputs``) and names gradio's own refusals (``input_failure``).
- ``api_error_handlers`` and ``bound_session_memory``: see the public-deployment section at the end.
- ``HeadBoxes.get_block_name`` draws a CheckboxGroup subclass with gradio's own front-end component.
- ``page_load`` reaches the Blocks being built (``Context.root_block``) for its page-load event.
- ``GRADIO_CSS`` restyles gradio's own elements by their class names; ``THEME`` avoids its broken semibold font.
"""

from __future__ import annotations

import asyncio
import html
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pydantic
from fastapi.exception_handlers import http_exception_handler
from gradio.context import Context
from gradio.exceptions import ComponentProcessingError, InvalidPathError
from gradio.route_utils import FnIndexInferError
from gradio.utils import get_upload_folder
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from translator import API_SESSION_SECONDS, SessionBudget, approximate_bytes

from .common import error_text, log

# How often gradio's queue looks for work while it has none. Its 1 ms on Linux (queue) and 10 ms (progress) keep
# an idle app at 8% of a core; with the 50 ms and 100 ms it uses on Windows an idle app takes 1.3%, and a run
# starts at most 50 ms later.
QUEUE_POLL_SECONDS = 0.05
PROGRESS_POLL_SECONDS = 0.1

# gradio's Source Sans Pro SemiBold file holds 55 glyphs (no "C" to "Z", no lower case), so every semibold text
# (titles, <b>, table headers) mixed two fonts letter by letter. The theme's bold is gradio's complete Bold file
# instead (600 falls to 700); both are served by the app itself, never fetched from the internet (it runs offline).
THEME = gr.themes.Default(
    font=[gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"]
)
# gradio's own elements, restyled by their class names (app.py adds this to the page's CSS):
# - accordion titles are buttons, whose text is centred when it wraps onto two lines: they read from the left;
# - a file list cuts a name to its extension on a phone (".s" for "attention-head.svg"): the size column keeps
#   only what it needs and the name wraps.
GRADIO_CSS = """
.label-wrap { text-align: left; }
.file-preview td.download { width: 6.5rem; min-width: 0; }
.file-preview .filename .stem { white-space: normal; overflow-wrap: anywhere; text-overflow: clip; }
"""


class Studio(gr.Blocks):
    """gr.Blocks whose own input validation (a value outside a component's choices, a bad type) logs one line
    per rejected request instead of a traceback; the caller still gets gradio's message. Its queue polls
    calmly while idle."""

    def queue(self, *args: Any, **kwargs: Any) -> Studio:
        super().queue(*args, **kwargs)
        self._queue.sleep_when_free = QUEUE_POLL_SECONDS
        self._queue.progress_update_sleep_when_free = PROGRESS_POLL_SECONDS
        return self

    async def preprocess_data(self, block_fn: Any, inputs: list[Any], state: Any, explicit_call: bool = False) -> Any:
        try:
            check_raw_inputs(block_fn, inputs)
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
        except ValueError as exc:  # too few inputs, a file reference to a file not uploaded here
            raise input_failure(block_fn, inputs, exc) from None


class HeadBoxes(gr.CheckboxGroup):
    """Head numbers as check boxes, typed as integers in the API (gradio types every CheckboxGroup as strings)."""

    def api_info(self) -> dict[str, Any]:
        info = super().api_info()
        info["items"] = {"type": "integer", "minimum": 1}  # an enum would show as quoted literals
        return info

    def get_block_name(self) -> str:
        # drawn by gradio's own check boxes: under its class name the page would fetch a custom component that
        # does not exist, and show no head boxes at all
        return "checkboxgroup"


def page_load() -> Any:
    """The page-load event of the Blocks being built, for a tab that has no handle on it (call inside it)."""
    return Context.root_block.load


# ------------------------------------------------------------------------------------------------------------------
# Public deployment (issue 24): strict raw inputs, one sentence for every refused request, sessions' memory bounded.
# - ``check_raw_inputs`` reads values before gradio's preprocess (``Textbox.preprocess`` is ``str(payload)``, so a
#   number or a list arrives as its printed form; ``Checkbox.preprocess`` passes "false" on, which is true).
# - ``input_failure`` names what ``Blocks.preprocess_data`` refuses with an exception of its own.
# - ``api_error_handlers`` answer gradio's route errors (``FnIndexInferError``, the /run/ refusal of ``api_open``).
# - ``bound_session_memory`` wraps ``Blocks.process_api`` to size each session's ``SessionState`` after each event.

DIRECT_CALL_REFUSED = (
    "This endpoint runs a model, so it takes requests through the queue only: POST to /gradio_api/call/{name} "
    "(then GET the result), or use gradio_client."
)
FILE_NOT_UPLOADED = (
    "A file in the request was not uploaded to this app; upload it first (gradio_client: handle_file(path))."
)
NOT_A_FILE = "A file input must be a reference to an uploaded file; upload it first (gradio_client: handle_file(path))."
BAD_INPUTS = "The request's inputs could not be read; the app's API page shows what each endpoint takes."
UNKNOWN_FAILURE = "The server could not handle this request; it has been logged."
_DIRECT_ROUTE = re.compile(r"/(run|api)/([^/]+)/?$")
# a session made by one API request; /run/predict is the page's own route for its unqueued events (status, examples)
_API_SESSION_ROUTE = re.compile(r"/(call|api)/|/run/(?!predict/?$)")


def _shown(value: object) -> str:
    # the toast renders messages as HTML: what a caller sent is quoted as text
    text = repr(value)
    return html.escape(text if len(text) <= 40 else text[:37] + "...", quote=False)


def _input_name(block: Any) -> str:
    return f"“{block.label}”" if getattr(block, "label", None) else "A text input"


def check_raw_inputs(block_fn: Any, inputs: list[Any]) -> None:
    """Refuse a non-boolean for a check box and a non-string for a text box, before gradio converts them."""
    for block, value in zip(block_fn.inputs, inputs, strict=False):
        if value is None:
            continue  # gradio passes None on; the handler's own check refuses it where a value is needed
        if isinstance(block, gr.Checkbox) and not isinstance(value, bool):
            raise gr.Error(f"{_input_name(block)} must be true or false, not {_shown(value)}.")
        if isinstance(block, gr.Textbox) and not isinstance(value, str):
            raise gr.Error(f"{_input_name(block)} must be text, not {_shown(value)}.")


def input_failure(block_fn: Any, inputs: list[Any], exc: Exception) -> gr.Error:
    """One sentence for a request ``Blocks.preprocess_data`` refused with an exception of its own; logs one line."""
    if len(inputs) < len(block_fn.inputs):
        sentence = f"This endpoint takes {len(block_fn.inputs)} inputs; the request sent {len(inputs)}."
    elif isinstance(exc, InvalidPathError):
        sentence = FILE_NOT_UPLOADED
    elif isinstance(exc, pydantic.ValidationError):
        sentence = NOT_A_FILE
    else:
        sentence = BAD_INPUTS
    log.warning("rejected a request to %s: %s (%s)", block_fn.api_name or block_fn.name, sentence, type(exc).__name__)
    return gr.Error(sentence, print_exception=False)


def api_error_handlers() -> dict[Any, Callable[..., Any]]:
    """Exception handlers for the server app (``launch(app_kwargs={"exception_handlers": ...})``): each refusal of
    a gradio route reaches the client as one sentence, and the log gets one line, not a traceback."""

    async def unknown_name(request: Request, exc: Exception) -> JSONResponse:
        name = request.path_params.get("api_name", "")
        log.warning("refused %s %s: no such API endpoint", request.method, request.url.path)
        return JSONResponse({"detail": f"There is no API endpoint named {_shown(name)}."}, status_code=404)

    async def http_error(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, HTTPException)
        direct = _DIRECT_ROUTE.search(request.url.path)
        if direct and exc.status_code == 404:  # gradio's refusal of a queued event (queue(api_open=False))
            log.warning("refused %s %s: queued events take no direct calls", request.method, request.url.path)
            return JSONResponse({"detail": DIRECT_CALL_REFUSED.format(name=direct.group(2))}, status_code=405)
        return await http_exception_handler(request, exc)

    async def lookup_failed(request: Request, exc: Exception) -> JSONResponse:
        # /call/v2/<unknown name> looks the name up in a dict; anything else reaching here is a fault of ours
        if "/call/" in request.url.path:
            return await unknown_name(request, exc)
        log.warning("failed %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        return JSONResponse({"detail": UNKNOWN_FAILURE}, status_code=500)

    return {FnIndexInferError: unknown_name, HTTPException: http_error, KeyError: lookup_failed}


def session_bytes(state: Any) -> int:
    """What a session keeps: its gr.State values and the last value of each component it used."""
    values = [config.get("props", {}).get("value") for config in state.config_values.values() if config]
    return approximate_bytes(state.state_data) + approximate_bytes(values)


def bound_session_memory(blocks: gr.Blocks, budget_bytes: int) -> SessionBudget:
    """After each event, count what its session keeps against ``budget_bytes`` (the oldest sessions are dropped
    past it), and drop a session made by one API call (/call/, /run/) API_SESSION_SECONDS after its answer."""

    def drop(session: str) -> None:
        holder = blocks.state_holder
        holder.delete_state(session)  # gr.State's delete callbacks
        with holder.lock:
            holder.session_data.pop(session, None)
            holder.time_last_used.pop(session, None)

    budget = SessionBudget(budget_bytes, drop)
    process_api = blocks.process_api
    signature = inspect.signature(process_api)

    async def process_and_count(*args: Any, **kwargs: Any) -> Any:
        call = signature.bind_partial(*args, **kwargs).arguments
        try:
            return await process_api(*args, **kwargs)
        finally:
            session, state = call.get("session_hash"), call.get("state")
            if session and state is not None:
                budget.update(session, session_bytes(state))
                inner = getattr(call.get("request"), "request", None)
                if _API_SESSION_ROUTE.search(str(getattr(getattr(inner, "url", None), "path", ""))):
                    asyncio.get_running_loop().call_later(API_SESSION_SECONDS, forget, session)

    def forget(session: str) -> None:
        budget.forget(session)
        drop(session)

    blocks.process_api = process_and_count  # type: ignore[method-assign]
    return budget


def gradio_cache() -> Path:
    """Where gradio keeps uploads (refused ones too) and copies of the files events return."""
    return Path(get_upload_folder())
