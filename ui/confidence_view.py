"""The Confidence view of the Translate tab: the last translation's words shaded by the model's probability."""

from __future__ import annotations

import gradio as gr

from translator import TranslationResult
from translator.render.confidence import confidence_html
from translator.render.run import info_html

from .common import user_errors
from .translate import TranslateTab

HINT = "<p>Translate a text to see how sure the model was of each word.</p>"
NO_SCORES = "Choose the transformers engine (Advanced › Engine) to see each word's probability and its alternatives."


@user_errors(gpu=False)
def show_confidence(result: TranslationResult | None) -> str:
    if result is None:
        return HINT
    scored = any(chunk.tokens for chunk in result.chunks)
    return confidence_html(result) + ("" if scored else info_html([NO_SCORES]))


def build_confidence_view(tab: TranslateTab) -> None:
    """Redrawn whenever the tab's translation changes."""
    with gr.Accordion("Confidence: how sure the model was of each word", open=True, elem_id="confidence-view"):
        shown = gr.HTML(HINT, label="Confidence", elem_id="translate-confidence")
    tab.result.change(show_confidence, tab.result, shown, api_name="confidence", api_visibility="private")
