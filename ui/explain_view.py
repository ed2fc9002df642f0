"""The Explain view of the Attention tab: gradient attribution (Captum) beside the cross-attention of the same steps.

Attention shows what a model looked at; attribution shows what moved its output. One run computes the
attribution of every target token (or of a QA answer), then picking a token only redraws. Contrastive mode asks
"why this token rather than one of its runners-up" (the same runners-up the Confidence view lists).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

import translator
from translator import ATTRIBUTION_METHODS, Attribution, InputError, get_settings
from translator.render.attribution import attribution_view, export_attribution
from translator.render.run import run_line

from .common import can_run, model_picker, model_run, precision_picker, progress_callback, registry_key, user_errors

MODES = [("Translation: explain each target word", "translation"), ("Question answering: explain the answer", "qa")]
METHOD_CHOICES = [
    ("Integrated gradients", "integrated_gradients"),
    ("Input × gradient (one backward pass)", "input_x_gradient"),
    ("Attention only (cross-attention; translation)", "attention"),
]
QA_CONTEXT = "The Eiffel Tower is in Paris. It was built from 1887 to 1889. The river Thames flows through London."
EXAMPLES = [
    ["qa", "", "Where is the Eiffel Tower?", QA_CONTEXT],
    ["translation", "The house by the river was built in the last century.", "", ""],
]
HINT = (
    "<p>Press <b>Explain</b>. Translation needs a translation model (e.g. opus-mt-en-de, downloaded or "
    "fine-tuned); offline, question answering still runs: without a QA checkpoint it explains MiniLM's sentence "
    "retrieval (which words of the question and sentence made them similar).</p>"
)
RESULT_SECONDS = 1800  # as the attention result: dropped 30 minutes after it was computed


@user_errors
def explain(
    mode: str,
    translation_model: str,
    qa_model: str,
    source: str,
    target: str = "",
    question: str = "",
    context: str = "",
    method: str = "integrated_gradients",
    steps: int = 32,
    word_level: bool = False,
    hide_special: bool = False,
    precision: str = "auto",
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
) -> tuple[Attribution, str, str, dict[str, Any]]:
    report = progress_callback(progress)
    if mode == "qa":  # else "translation": gradio refuses a value outside the Mode radio's choices
        result = translator.attribute_answer(
            question,
            context,
            model=registry_key(qa_model, "qa"),
            method=method,
            steps=steps,
            word_level=word_level,
            precision=precision,
            progress=report,
        )
    else:
        result = translator.attribute(
            source,
            model=registry_key(translation_model, "translation"),
            target=target.strip() or None,
            method=method,
            steps=steps,
            word_level=word_level,
            precision=precision,
            progress=report,
        )
    rendered = attribution_view(result, 0, hide_special)
    return result, rendered.html, run_line(result), rendered.data


@user_errors
def explain_contrast(
    result: Attribution | None,
    row: str | None,
    alternative: str,
    translation_model: str,
    source: str,
    target: str,
    steps: int,
    hide_special: bool,
    precision: str,
    progress: gr.Progress = gr.Progress(),  # noqa: B008
) -> tuple[Attribution, str, str, dict[str, Any]]:
    if result is None or result.kind != "translation" or result.contrast:
        raise InputError("Explain a translation first (token level); then pick a word and one of its alternatives.")
    if result.word_level:
        raise InputError("Contrast works on single tokens: untick “merge pieces into words” and explain again.")
    if not alternative:
        raise InputError("Pick an alternative token to contrast with.")
    contrasted = translator.attribute(
        source,
        model=registry_key(translation_model, "translation"),
        target=target.strip() or None,
        contrast=(result.positions[int(row or 0)], alternative),
        steps=steps,
        precision=precision,
        progress=progress_callback(progress),
    )
    rendered = attribution_view(contrasted, 0, hide_special)
    return contrasted, rendered.html, run_line(contrasted), rendered.data


@user_errors(gpu=False)
def redraw(result: Attribution | None, row: str | None, hide_special: bool) -> str:
    if result is None:
        return HINT
    return attribution_view(result, int(row or 0), hide_special).html


@user_errors(gpu=False)
def export(result: Attribution | None, row: str | None, hide_special: bool) -> Any:
    if result is None:
        raise InputError("Press “Explain” first; the export saves the view on screen.")
    paths = export_attribution(result, int(row or 0), hide_special)
    return gr.File(value=[str(path) for path in paths], visible=True)


def token_choices(result: Attribution | None) -> tuple[Any, Any]:
    """The target-token picker (one entry per row) and the first row's alternatives."""
    if result is None:
        return gr.skip(), gr.skip()
    # string values: a value of 0 would read as "nothing picked"
    rows = [(f"{i + 1}: {result.target_tokens[p]}", str(i)) for i, p in enumerate(result.positions)]
    return gr.Dropdown(choices=rows, value="0"), alternatives(result, "0")


def alternatives(result: Attribution | None, row: str | None, current: str | None = None) -> Any:
    """The picked token's runners-up; ``current`` stays picked if it is one (a dropdown can fire twice)."""
    if result is None or result.kind != "translation" or result.contrast:
        return gr.Dropdown(choices=[], value=None)
    options = result.alternatives[result.positions[int(row or 0)]]
    tokens = [token for token, _ in options]
    return gr.Dropdown(
        choices=[(f"{token} (p={p:.3f})", token) for token, p in options], value=current if current in tokens else None
    )


def show_mode(mode: str) -> tuple[Any, Any]:
    translating = mode == "translation"
    return gr.Column(visible=translating), gr.Column(visible=not translating)


def build_explain_view() -> gr.events.Dependency:
    """The view's components, under the attention views; returns the Explain click."""
    settings = get_settings()
    start = "translation" if can_run("translation") else "qa"
    with gr.Accordion("Explain: which input words drove each output word (gradients beside attention)", open=True):
        gr.Markdown(HINT.replace("<p>", "").replace("</p>", ""), elem_id="explain-hint")
        with gr.Row():
            with gr.Column(scale=2):
                mode = gr.Radio(MODES, value=start, label="Explain", elem_id="explain-mode")
                with gr.Column(visible=start == "translation") as translation_column:
                    source = gr.Textbox("", label="Source text", lines=3, elem_id="explain-source-text")
                    target = gr.Textbox(
                        "", label="Target (optional)", lines=2, info="Empty: the model's own translation (4 beams)."
                    )
                    translation_model = model_picker("translation", "opus-mt-en-de")
                with gr.Column(visible=start == "qa") as qa_column:
                    question = gr.Textbox("", label="Question", lines=1, elem_id="explain-question")
                    context = gr.Textbox("", label="Context", lines=4, elem_id="explain-context")
                    qa_model = model_picker("qa", "distilbert-squad")
            with gr.Column(scale=2):
                method = gr.Radio(METHOD_CHOICES, value=ATTRIBUTION_METHODS[0], label="Method")
                steps = gr.Slider(
                    1,
                    settings.max_attribution_steps,
                    value=32,
                    step=1,
                    precision=0,
                    label="Integrated-gradients steps",
                    # measured (benchmarks/attribution.py): an opus-mt-sized translation takes ~4 minutes at 32 steps
                    info="More steps: a smaller completeness gap, and a longer run (each step is one backward pass per"
                    " target token: on a CPU, minutes for a full-size translation model; 8 is a quick look).",
                )
                with gr.Row():
                    word_level = gr.Checkbox(label="Merge pieces into words (scores summed)")
                    hide_special = gr.Checkbox(label="Hide special tokens")
                precision = precision_picker()
                button = gr.Button("Explain", variant="primary", elem_id="explain-button")
        ran = gr.Markdown(label="What ran", elem_id="explain-ran")
        shown = gr.HTML(HINT, label="Explain view", elem_id="explain-view", padding=False)
        numbers = gr.JSON(label="Attribution numbers", visible=False)
        with gr.Row():
            row = gr.Dropdown(choices=[], label="Target token to shade the source for", elem_id="explain-row")
            alternative = gr.Dropdown(choices=[], label="…rather than (contrast)", elem_id="explain-alternative")
            contrast = gr.Button("Why this rather than that?", size="sm", elem_id="explain-contrast")
        with gr.Row():
            export_button = gr.Button("Export this view (PNG, SVG, JSON)", size="sm", elem_id="explain-export")
            files = gr.File(label="Downloads", file_count="multiple", interactive=False, visible=False)
        gr.Examples(EXAMPLES, [mode, source, question, context])
    result = gr.State(None, time_to_live=RESULT_SECONDS)

    mode.change(
        show_mode, mode, [translation_column, qa_column], api_visibility="private", queue=False, show_progress="hidden"
    )
    pickers = {
        "fn": token_choices,
        "inputs": result,
        "outputs": [row, alternative],
        "api_visibility": "private",
        "show_progress": "hidden",
    }
    inputs = [mode, translation_model, qa_model, source, target, question, context, method, steps, word_level]
    computed = model_run(
        button,
        explain,
        [*inputs, hide_special, precision],
        [result, shown, ran, numbers],
        api_name="attribute",
        progress_on=shown,
    )
    computed.success(**pickers)
    model_run(
        contrast,
        explain_contrast,
        [result, row, alternative, translation_model, source, target, steps, hide_special, precision],
        [result, shown, ran, numbers],
        api_name="attribute_contrast",
        progress_on=shown,
    ).success(**pickers)
    gr.on([row.input, hide_special.input], redraw, [result, row, hide_special], shown, api_visibility="private")
    row.input(alternatives, [result, row, alternative], alternative, api_visibility="private", queue=False)
    export_button.click(export, [result, row, hide_special], files, api_visibility="private")
    return computed
