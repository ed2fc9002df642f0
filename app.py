"""BERT seq2seq studio: the Gradio UI. Tabs, wiring and launch flags only; the work is in `translator`."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import torch
from fastapi.responses import JSONResponse
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware

import translator
from translator import InputError, TranslatorError, get_registry, get_settings
from translator.loading import device_and_name, free_memory, get_cache, is_available
from translator.ratelimit import RateLimiter
from translator.settings import PRECISIONS

try:  # on Hugging Face Spaces with ZeroGPU, GPU work must run inside @spaces.GPU
    import spaces

    on_gpu = spaces.GPU(duration=120)
except ImportError:
    def on_gpu(handler):
        return handler

log = logging.getLogger("app")

TITLE = "BERT seq2seq studio"
GENERIC_ERROR = "Something went wrong on the server while handling this request; it has been logged. Please try again."
OUT_OF_MEMORY = "The model ran out of memory on this request; shorten the input or lower the number of beams."


# -------------------------------------------------------------------- shared UI pieces


def user_errors(handler: Callable[..., Any] | None = None, *, gpu: bool = True) -> Any:
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
            raise gr.Error(str(exc), print_exception=False) from None
        except torch.OutOfMemoryError:
            log.warning("out of memory in %s", handler.__name__)
            free_memory()
            raise gr.Error(OUT_OF_MEMORY, print_exception=False) from None
        except Exception:
            log.exception("unexpected error in %s", handler.__name__)
            raise gr.Error(GENERIC_ERROR, print_exception=False) from None

    return on_gpu(wrapped) if gpu else wrapped


def progress_callback(progress: gr.Progress) -> Callable[[float, str], None]:
    """Adapt gr.Progress to the backend's ``(fraction, message)`` callback."""
    return lambda fraction, message: progress(fraction, desc=message)


def model_choices(task: str) -> list[tuple[str, str]]:
    return [(spec.label, spec.key) for spec in get_registry().for_task(task)]


def registry_key(value: Any, task: str) -> str:
    """Server-side check that a UI request names a registry model (API callers can send anything)."""
    if not isinstance(value, str) or value not in get_registry().keys(task):
        raise InputError(f"Choose one of the listed models for this tab: {', '.join(get_registry().keys(task))}.")
    return value


def availability(key: str, task: str) -> str:
    ok, reason = is_available(key, task) if key else (False, "no model chosen")
    return f"{'✅' if ok else '⚠️'} `{key}`: {reason}"


def model_picker(task: str, default: str | None) -> gr.Dropdown:
    """A registry-fed dropdown with a line under it that says whether the model can be used now."""
    choices = model_choices(task)
    keys = [key for _, key in choices]
    value = default if default in keys else (keys[0] if keys else None)
    dropdown = gr.Dropdown(choices=choices, value=value, label="Model", interactive=True)
    note = gr.Markdown(availability(value, task) if value else "No model in the registry serves this tab.")
    dropdown.change(lambda key: availability(key, task), dropdown, note, api_name=False, queue=False)
    return dropdown


def precision_picker() -> gr.Radio:
    return gr.Radio(list(PRECISIONS), value=get_settings().precision, label="Precision")


def status_line() -> str:
    _, device_name = device_and_name()
    loaded = get_cache().loaded()
    models = ", ".join(f"{m.key} ({m.precision})" for m in loaded) or "none yet"
    return (f"**Device:** {device_name} · **default precision:** {get_settings().precision} · "
            f"**offline:** {'yes' if get_settings().offline else 'no'} · **loaded models:** {models}")


# -------------------------------------------------------------------- tabs


def build_translate_tab() -> None:
    model_picker("translation", "opus-mt-en-de")
    precision_picker()


def build_qa_tab() -> None:
    model_picker("qa", "distilbert-squad")
    precision_picker()


def build_summarize_tab() -> None:
    model_picker("embeddings", translator.registry.OFFLINE_MINILM)


def build_attention_tab() -> None:
    model_picker("encoder", translator.registry.OFFLINE_MINILM)


def build_chunks_tab() -> None:
    model_picker("encoder", translator.registry.OFFLINE_MINILM)


# -------------------------------------------------------------------- the app


def build_demo() -> gr.Blocks:
    with gr.Blocks(title=TITLE) as blocks:
        gr.Markdown(f"# {TITLE}\nTranslate, answer, summarize and look inside BERT-family models.")
        status = gr.Markdown(status_line())
        with gr.Tabs():
            with gr.Tab("Translate", id="translate"):
                build_translate_tab()
            with gr.Tab("Question answering", id="qa"):
                build_qa_tab()
            with gr.Tab("Summarize", id="summarize"):
                build_summarize_tab()
            with gr.Tab("Attention", id="attention"):
                build_attention_tab()
            with gr.Tab("Chunks", id="chunks"):
                build_chunks_tab()
        refresh = gr.Button("Refresh status", size="sm")
        refresh.click(status_line, None, status, api_name="status", queue=False)
    settings = get_settings()
    blocks.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.queue_size)
    return blocks


demo = build_demo()


class RateLimitMiddleware(BaseHTTPMiddleware):
    """Counts every request that starts work (queue joins and direct API calls) per client address."""

    def __init__(self, app: Any, per_minute: int) -> None:
        super().__init__(app)
        self.limiter = RateLimiter(per_minute)

    async def dispatch(self, request, call_next):
        starts_work = request.method == "POST" and ("/queue/join" in request.url.path or "/call/" in request.url.path)
        if starts_work:
            forwarded = request.headers.get("x-forwarded-for", "")
            client = forwarded.split(",")[0].strip() or (request.client.host if request.client else "unknown")
            if not self.limiter.allow(client):
                return JSONResponse({"detail": "Too many requests from your address; wait a minute and try again."},
                                    status_code=429)
        return await call_next(request)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=TITLE)
    # unset: GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (Spaces sets them), else 127.0.0.1:7860
    parser.add_argument("--host", help="address to listen on (0.0.0.0 for a LAN)")
    parser.add_argument("--port", type=int)
    parser.add_argument("--share", action="store_true", help="open a public Gradio share link (needs auth)")
    parser.add_argument("--auth", help="user:password required to use the app (or TRANSLATOR_AUTH)")
    parser.add_argument("--auth-file", help="a file of user:password lines")
    parser.add_argument("--public-without-auth", action="store_true",
                        help="accept that --share makes an app anyone on the internet can use")
    parser.add_argument("--precision", choices=PRECISIONS, help="default precision for models")
    parser.add_argument("--offline", action="store_true", default=None, help="never contact the Hugging Face Hub")
    parser.add_argument("--registry", help="a TOML or JSON file with extra models")
    parser.add_argument("--rate-limit", type=int, help="requests per minute per client (0: off)")
    return parser.parse_args(argv)


def read_auth(args: argparse.Namespace, env: dict[str, str]) -> list[tuple[str, str]]:
    """user:password pairs from --auth, --auth-file and TRANSLATOR_AUTH; a malformed pair stops the app."""
    entries = [args.auth, env.get("TRANSLATOR_AUTH")]
    if args.auth_file:
        entries += Path(args.auth_file).read_text(encoding="utf-8").splitlines()
    pairs = []
    for entry in filter(None, (e.strip() if e else e for e in entries)):
        user, sep, password = entry.partition(":")
        if not (sep and user and password):
            sys.exit("Auth entries must look like user:password.")
        pairs.append((user, password))
    return pairs


def main(argv: list[str] | None = None) -> None:
    global demo
    args = parse_args(argv)
    auth = read_auth(args, dict(os.environ))
    if args.share and not auth and not args.public_without_auth:
        sys.exit("--share puts the app on the internet: add --auth user:password (or --auth-file, TRANSLATOR_AUTH),"
                 " or --public-without-auth to accept a public app anyone can use.")
    rate_limit = args.rate_limit
    if rate_limit is None and (args.share or os.environ.get("SPACE_ID")):
        rate_limit = 30  # public by default there; locally the limit stays off
    settings = translator.configure(get_settings().replace(
        precision=args.precision, offline=args.offline, registry_file=args.registry, rate_limit_per_minute=rate_limit))
    logging.basicConfig(level=logging.INFO)
    demo = build_demo()  # again: the flags may have changed the registry and the limits
    demo.launch(
        server_name=args.host, server_port=args.port, share=args.share, auth=auth or None,
        show_error=False, enable_monitoring=False, max_file_size="1mb", footer_links=["api"],
        app_kwargs={"middleware": [Middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute)]},
    )


if __name__ == "__main__":
    main()
