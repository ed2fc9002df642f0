"""The Compare view of the Translate tab: the tab's text through two configurations, side by side.

Both sides start on the same model, A in fp32 and B in 4-bit, so a user sees what 4-bit quantization changes;
any side can take another model, beam width or engine. A reference translation adds BLEU and chrF per side.
"""

from __future__ import annotations

import gradio as gr

import translator
from translator import ENGINES, REFERENCE_CHARS_PER_SOURCE_CHAR, get_settings
from translator.render.compare import compare_html
from translator.render.run import run_line

from .common import (
    beams_slider,
    long_textbox,
    model_dropdown,
    model_run,
    precision_picker,
    progress_callback,
    registry_key,
    user_errors,
)
from .translate import TranslateTab

DEFAULT_PRECISIONS = {"A": "fp32", "B": "4bit"}
# both sides on transformers by default, so precision is the only difference (4-bit runs on transformers only)
DEFAULT_ENGINE = "transformers"
HINT = "<p>Press <b>Compare</b> to translate the text above with both configurations.</p>"


def side(model: str, precision: str, num_beams: float, engine: str) -> dict[str, object]:
    """One side's translate() arguments."""
    return {
        "model": registry_key(model, "translation"),
        "precision": precision,
        "num_beams": int(num_beams),
        "engine": engine,
    }


@user_errors
def compare_text(
    text: str,
    a_model: str,
    a_precision: str,
    a_beams: float,
    a_engine: str,
    b_model: str,
    b_precision: str,
    b_beams: float,
    b_engine: str,
    reference: str,
    only_differences: bool,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
) -> tuple[str, str]:
    comparison = translator.compare(
        text,
        a=side(a_model, a_precision, a_beams, a_engine),
        b=side(b_model, b_precision, b_beams, b_engine),
        reference=reference or None,
        progress=progress_callback(progress),
    )
    return compare_html(comparison, only_differences=bool(only_differences)), run_line(comparison)


def side_controls(name: str, default_model: str | None) -> list[gr.components.Component]:
    """Model, precision, beams and engine of one side."""
    with gr.Column(min_width=240):
        gr.Markdown(f"**{name}**")
        model = model_dropdown("translation", default_model, label=f"{name}: model")
        precision = precision_picker(DEFAULT_PRECISIONS[name], label=f"{name}: precision")
        beams = beams_slider(label=f"{name}: beams")
        engine = gr.Radio(list(ENGINES), value=DEFAULT_ENGINE, label=f"{name}: engine")
    return [model, precision, beams, engine]


def build_compare_view(tab: TranslateTab) -> None:
    """The view, in an accordion under the Translate tab; it compares the tab's text."""
    with gr.Accordion("Compare: the text above through two configurations", open=False, elem_id="compare-view"):
        with gr.Row():
            a = side_controls("A", tab.model.value)
            b = side_controls("B", tab.model.value)
        reference = long_textbox(
            "Reference translation (optional)",
            REFERENCE_CHARS_PER_SOURCE_CHAR * get_settings().max_chars_translate,
            "compare-reference",
            lines=3,
            info="Adds BLEU and chrF of each side (sacreBLEU); per sentence when it has as many sentences.",
        )
        with gr.Row():
            only_differences = gr.Checkbox(label="Only segments that differ")
            button = gr.Button("Compare", variant="primary", elem_id="compare-button")
        ran = gr.Markdown(label="What ran")
        shown = gr.HTML(HINT, label="Comparison", elem_id="compare-output")
    model_run(button, compare_text, [tab.text, *a, *b, reference, only_differences], [shown, ran], api_name="compare")
