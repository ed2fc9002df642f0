"""BERT seq2seq studio: the Gradio UI. Tabs, wiring and launch flags only; the work is in `translator`."""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from collections.abc import Callable
from typing import Any

import gradio as gr

import translator
from translator import InputError, TranslatorError, get_registry, get_settings
from translator.loading import device_and_name, get_cache, is_available
from translator.settings import PRECISIONS

log = logging.getLogger("app")

TITLE = "BERT seq2seq studio"
GENERIC_ERROR = "Something went wrong on the server while handling this request; it has been logged. Please try again."


# -------------------------------------------------------------------- shared UI pieces


def user_errors(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Turn backend errors into one plain sentence for the user; log anything unexpected with its traceback."""

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except TranslatorError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        except Exception:
            log.exception("unexpected error in %s", handler.__name__)
            raise gr.Error(GENERIC_ERROR, print_exception=False) from None

    return wrapped


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
    return blocks


demo = build_demo()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for a LAN or a Space)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--share", action="store_true", help="open a public Gradio share link (needs --auth)")
    parser.add_argument("--auth", help="user:password required to use the app")
    parser.add_argument("--precision", choices=PRECISIONS, help="default precision for models")
    parser.add_argument("--offline", action="store_true", default=None, help="never contact the Hugging Face Hub")
    parser.add_argument("--registry", help="a TOML or JSON file with extra models")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    global demo
    args = parse_args(argv)
    translator.configure(get_settings().replace(
        precision=args.precision, offline=args.offline, registry_file=args.registry))
    logging.basicConfig(level=logging.INFO)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    if args.share and not auth:
        sys.exit("--share opens the app to the internet; add --auth user:password.")
    demo = build_demo()  # again: the flags may have changed the registry
    demo.queue(default_concurrency_limit=1, max_size=64)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, auth=auth,
                show_error=False, enable_monitoring=False, max_file_size="10mb")


if __name__ == "__main__":
    main()
