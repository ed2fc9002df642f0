"""BERT seq2seq studio, the Gradio app: flags, the tabs put together (each lives in ui/<tab>.py), launch.

``python app.py --help`` lists the flags. ``import app`` gives the module-level ``demo`` (Spaces, tests),
configured from the environment alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import translator
from translator import PRECISIONS, InputError, get_settings
from translator.serving.auth import read_auth
from translator.serving.deployment import public_defaults

TITLE = "BERT seq2seq studio"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=TITLE)
    # unset: GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (Spaces sets them), else 127.0.0.1:7860
    parser.add_argument("--host", help="address to listen on (0.0.0.0 for a LAN)")
    parser.add_argument("--port", type=int)
    parser.add_argument("--share", action="store_true", help="open a public Gradio share link (needs auth)")
    parser.add_argument("--auth", help="user:password required to use the app (or TRANSLATOR_AUTH)")
    parser.add_argument("--auth-file", help="a file of user:password lines")
    parser.add_argument(
        "--public-without-auth",
        action="store_true",
        help="accept that --share makes an app anyone on the internet can use",
    )
    parser.add_argument("--precision", choices=PRECISIONS, help="default precision for models")
    parser.add_argument("--offline", action="store_true", default=None, help="never contact the Hugging Face Hub")
    parser.add_argument("--registry", help="a TOML or JSON file with extra models")
    parser.add_argument("--rate-limit", type=int, help="requests per minute per client (0: off; 30 when public)")
    parser.add_argument(
        "--trusted-proxy-hops",
        type=int,
        choices=range(0, 10),
        metavar="N",
        help="reverse proxies in front of the app that append to X-Forwarded-For (0: none, the default; 1 on Spaces)",
    )
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Launch:
    """What launching needs beyond the settings."""

    host: str | None
    port: int | None
    share: bool
    auth: list[tuple[str, str]]


def configure(argv: list[str], env: Mapping[str, str]) -> Launch:
    """Read and check the flags and make the settings current; a bad flag exits with one sentence."""
    args = parse_args(argv)
    try:
        auth = read_auth(args.auth, args.auth_file, env)
    except InputError as exc:
        sys.exit(str(exc))
    if args.share and not auth and not args.public_without_auth:
        sys.exit(
            "--share puts the app on the internet: add --auth user:password (or --auth-file, TRANSLATOR_AUTH),"
            " or --public-without-auth to accept a public app anyone can use."
        )
    settings = get_settings().replace(**public_defaults(env, share=args.share))
    translator.configure(
        settings.replace(
            precision=args.precision,
            offline=args.offline,
            registry_file=args.registry,
            rate_limit_per_minute=args.rate_limit,
            trusted_proxy_hops=args.trusted_proxy_hops,
        )
    )
    return Launch(host=args.host, port=args.port, share=args.share, auth=auth)


# Run as a script, the flags are read and the settings configured before gradio loads and the UI is built
# (the tabs read the settings: registry, limits), so a bad flag stops the app at once.
LAUNCH = configure(sys.argv[1:], os.environ) if __name__ == "__main__" else None

import gradio as gr  # noqa: E402 (after the flags, see above)
from starlette.middleware import Middleware  # noqa: E402

from translator.serving.middleware import UVICORN_TRUST_NO_PROXY, RateLimitMiddleware  # noqa: E402
from translator.serving.tempfiles import sweeper, temp_policy, translated_folders  # noqa: E402
from ui.attention import build_attention_tab  # noqa: E402
from ui.beam_view import build_beam_view  # noqa: E402
from ui.chunks import build_chunks_tab  # noqa: E402
from ui.common import CSS, status_line  # noqa: E402
from ui.compare_view import build_compare_view  # noqa: E402
from ui.confidence_view import build_confidence_view  # noqa: E402
from ui.embeddings import build_embeddings_tab  # noqa: E402
from ui.explain_view import build_explain_view  # noqa: E402
from ui.gradio_patches import (  # noqa: E402
    GRADIO_CSS,
    THEME,
    Studio,
    api_error_handlers,
    bound_session_memory,
    gradio_cache,
)
from ui.qa import build_qa_tab  # noqa: E402
from ui.steer_view import build_steer_view  # noqa: E402
from ui.summarize import build_summarize_tab  # noqa: E402
from ui.translate import build_translate_tab  # noqa: E402
from ui.translate_checks import build_checks_view  # noqa: E402
from ui.translate_files import build_files_view  # noqa: E402

# the views of a translation, in page order under the Translate tab: each takes the tab and never reaches back
TRANSLATE_VIEWS = (
    build_checks_view,
    build_files_view,
    build_confidence_view,
    build_steer_view,
    build_beam_view,
    build_compare_view,
)


def build_demo() -> Studio:
    with Studio(title=TITLE) as blocks:
        gr.Markdown(f"# {TITLE}\nTranslate, answer, summarize and look inside BERT-family models.")
        status = gr.Markdown(status_line(), label="Status", elem_id="status-line")
        with gr.Tabs():
            with gr.Tab("Translate", id="translate"):
                translate_tab = build_translate_tab()
                for build_view in TRANSLATE_VIEWS:
                    build_view(translate_tab)
            with gr.Tab("Question answering", id="qa"):
                answered = build_qa_tab()
            with gr.Tab("Summarize", id="summarize"):
                summarized = build_summarize_tab()
            with gr.Tab("Attention", id="attention"):
                attended = build_attention_tab()
                explained = build_explain_view()
            with gr.Tab("Embeddings", id="embeddings"):
                embedded = build_embeddings_tab()
            with gr.Tab("Chunks", id="chunks"):
                chunked = build_chunks_tab()
        # a run may load a model: the status line says so at once, whether the run worked or not
        for run in (translate_tab.translated, answered, summarized, attended, explained, embedded, chunked):
            run.then(status_line, None, status, api_visibility="private", queue=False, show_progress="hidden")
        refresh = gr.Button("Refresh status", size="sm")
        refresh.click(status_line, None, status, api_name="status", queue=False)
        blocks.load(status_line, None, status, api_name=False, queue=False)  # fresh on every page load
    settings = get_settings()
    # api_open=False: gradio refuses /run/ and /api/ for queued events, which would skip the queue and its limits
    blocks.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.queue_size, api_open=False)
    bound_session_memory(blocks, settings.session_budget_mb * 2**20)
    return blocks


demo = build_demo()


def temp_folders() -> list[Path]:
    """The app's temporary files: gradio's cache and the folders translated files are written to."""
    return [gradio_cache(), *translated_folders(Path(tempfile.gettempdir()))]


def launch(blocks: gr.Blocks, how: Launch) -> None:
    settings = get_settings()
    logging.basicConfig(level=logging.INFO)
    os.environ.update(UVICORN_TRUST_NO_PROXY)  # the rate limit decides which proxies to trust
    rate_limit = Middleware(
        RateLimitMiddleware,
        per_minute=settings.rate_limit_per_minute,
        trusted_proxy_hops=settings.trusted_proxy_hops,
    )
    blocks.launch(
        server_name=how.host,
        server_port=how.port,
        share=how.share,
        auth=how.auth or None,
        show_error=False,
        enable_monitoring=False,
        max_file_size=settings.max_upload_bytes,  # the Translate tab's file upload; translate_document checks it too
        footer_links=["api"],
        css=CSS + GRADIO_CSS,
        theme=THEME,
        app_kwargs={
            "middleware": [rate_limit],
            "exception_handlers": api_error_handlers(),
            "lifespan": sweeper(temp_folders, temp_policy(settings), keep=[gradio_cache()]),  # swept every minute
        },
    )


if __name__ == "__main__":
    assert LAUNCH is not None
    launch(demo, LAUNCH)
