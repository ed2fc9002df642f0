"""Checks on a translation in the Translate tab: re-translate flagged packed chunks, and a coverage check.

Both take the tab's last TranslationResult; the retry runs the tab's inputs again with ``retry_flagged``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import gradio as gr

from translator import InputError, TranslationResult, chunk_coverage
from translator.core.settings import PRECISIONS
from translator.render.coverage import coverage_html

from .common import MODEL_WORK, clear_after_failure, user_errors
from .translate_options import has_flagged_packs

if TYPE_CHECKING:
    from .translate import TranslateTab


def build_checks(tab: TranslateTab) -> None:
    retry = gr.Button(
        "Re-translate flagged chunks sentence by sentence", visible=False, elem_id="translate-retry", size="sm"
    )
    with gr.Accordion("Coverage check: which source tokens the model barely attended to", open=False):
        with gr.Row():
            number = gr.Number(value=1, minimum=1, precision=0, label="Chunk number", elem_id="coverage-chunk")
            check = gr.Button("Check coverage", elem_id="coverage-button")
        drawing = gr.HTML(label="Coverage", elem_id="coverage-view")
    checked = check.click(check_coverage, [tab.result, number], drawing, api_name="coverage", concurrency_id=MODEL_WORK)
    clear_after_failure(checked)
    # after each translation (and retry) the button shows only where a retry may help
    tab.translated.then(retry_button, tab.result, retry, api_name=False, queue=False)
    retried = retry.click(
        retry_flagged,
        list(tab.inputs),
        list(tab.outputs),
        api_name="retry_flagged",
        concurrency_id=MODEL_WORK,
        show_progress_on=tab.outputs[0],  # the translation box, as for the Translate button
    )
    clear_after_failure(retried).then(retry_button, tab.result, retry, api_name=False, queue=False)


def retry_button(result: TranslationResult | None) -> gr.Button:
    return gr.Button(visible=has_flagged_packs(result))


def retry_flagged(
    text: str,
    model: str,
    precision: str,
    num_beams: float,
    n_best: float,
    length_penalty: float,
    no_repeat_ngram_size: float,
    max_chunk_tokens: float,
    engine: str,
    pack_sentences: bool,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
) -> tuple[Any, ...]:
    """The tab's translation again, with flagged packed chunks re-translated sentence by sentence."""
    from .translate import translate_text  # the tab's handler; here, as translate.py builds this view

    settings = (num_beams, n_best, length_penalty, no_repeat_ngram_size, max_chunk_tokens, engine, pack_sentences)
    return translate_text(text, model, precision, *settings, progress=progress, retry_flagged=True)


@user_errors
def check_coverage(result: TranslationResult | None, chunk_number: float | None) -> str:
    if result is None:
        raise InputError("Translate a text first; then pick one of its chunks to check.")
    if chunk_number is None or not 1 <= chunk_number <= len(result.chunks):
        raise InputError(f"Pick a chunk number from 1 to {len(result.chunks)}.")
    if result.precision not in PRECISIONS:
        # coverage needs attention weights, so it runs on transformers, which has no CTranslate2 type such as int8;
        # a differing translation is noted in the result
        result = dataclasses.replace(result, precision="auto")
    return coverage_html(chunk_coverage(result, int(chunk_number) - 1))
