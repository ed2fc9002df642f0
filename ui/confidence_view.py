"""The Confidence view of the Translate tab: the last translation's words shaded by the model's probability."""

from __future__ import annotations

import gradio as gr

from translator import TranslationResult
from translator.render.confidence import confidence_html
from translator.render.run import info_html

from .common import user_errors
from .translate import TranslateTab

HINT = "<p>Translate a text to see how sure the model was of each word.</p>"
# both engines report token probabilities; a chunk stopped by the time limit is the one left without them
NO_SCORES = (
    "The time limit stopped this translation before the model reported its word probabilities: translate a "
    "shorter text, or with fewer beams, to see them."
)


@user_errors(gpu=False)
def show_confidence(result: TranslationResult | None, ends: bool = False) -> str:
    if result is None:
        return HINT
    scored = any(chunk.tokens for chunk in result.chunks)
    return confidence_html(result, ends=bool(ends)) + ("" if scored else info_html([NO_SCORES]))


def build_confidence_view(tab: TranslateTab) -> None:
    """Redrawn whenever the tab's translation changes, or the sentence-end marks are switched."""
    with gr.Accordion("Confidence: how sure the model was of each word", open=True, elem_id="confidence-view"):
        ends = gr.Checkbox(
            False,
            label="Show sentence ends (⏎)",
            info="Marks where the model ended each sentence, with how sure it was.",
            elem_id="confidence-ends",
        )
        shown = gr.HTML(HINT, label="Confidence", elem_id="translate-confidence")
    tab.result.change(show_confidence, [tab.result, ends], shown, api_name="confidence", api_visibility="private")
    ends.change(show_confidence, [tab.result, ends], shown, api_visibility="private")
