"""Checks on a translation in the Translate tab: re-translate flagged packed chunks, and a coverage check.

Both take the tab's last TranslationResult; the retry runs the tab's text and controls again with ``retry_flagged``.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from translator import InputError, TranslationResult, chunk_coverage
from translator.render.coverage import coverage_html

from .common import model_run, user_errors
from .translate import Outputs, TranslateTab, translated


def build_checks_view(tab: TranslateTab) -> None:
    retry = tab.retry  # placed under the notes, next to the warning it answers
    with gr.Accordion("Coverage check: which source tokens the model barely attended to", open=False):
        with gr.Row():
            number = gr.Number(value=1, minimum=1, precision=0, label="Chunk number", elem_id="coverage-chunk")
            check = gr.Button("Check coverage", elem_id="coverage-button")
        drawing = gr.HTML(label="Coverage", elem_id="coverage-view")
    model_run(check, check_coverage, [tab.result, number], [drawing], api_name="coverage")
    # after each translation (and retry) the button shows only where a retry may help
    tab.translated.then(retry_button, tab.result, retry, api_name=False, queue=False)
    retried = model_run(
        retry, retry_flagged, [tab.text], tab.outputs, api_name="retry_flagged", inputs_kwargs=dict(tab.controls)
    )
    retried.then(retry_button, tab.result, retry, api_name=False, queue=False)


def retry_button(result: TranslationResult | None) -> gr.Button:
    return gr.Button(visible=result is not None and result.retryable)


@user_errors
def retry_flagged(
    text: str,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
    **controls: Any,
) -> Outputs:
    """The tab's translation again, with flagged packed chunks re-translated sentence by sentence."""
    return translated(text, controls, progress, retry=True)


@user_errors
def check_coverage(result: TranslationResult | None, chunk_number: float | None) -> str:
    if result is None:
        raise InputError("Translate a text first; then pick one of its chunks to check.")
    if chunk_number is None or not 1 <= chunk_number <= len(result.chunks):
        raise InputError(f"Pick a chunk number from 1 to {len(result.chunks)}.")
    # chunk_coverage runs at the precision that explains the translation, and says so where it can't be the same
    return coverage_html(chunk_coverage(result, int(chunk_number) - 1))
