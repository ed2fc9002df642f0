"""The Attention tab: compute attention once, then redraw it as the view controls change, and export it.

The eight view controls reach every handler by name (gradio's ``inputs_kwargs``) and travel on as one
AttentionOptions; the API keeps them as separate parameters, in the order of VIEW_CONTROLS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr
from gradio.context import Context

import translator
from translator import AttentionResult, InputError, TranslationAttention, get_settings
from translator.core.checks import choice_arg
from translator.core.registry import OFFLINE_MINILM
from translator.render.attention_view import attention_view
from translator.render.export import export_view
from translator.render.run import run_line
from translator.tasks.attention.results import PAIR_FILTERS, AttentionOptions
from translator.tasks.attention.select import attention_shape, fitted

from .common import (
    MODEL_WORK,
    clear_after_failure,
    long_textbox,
    model_picker,
    precision_picker,
    progress_callback,
    registry_key,
    user_errors,
)

MODES = [
    ("Encoder: one text or a sentence pair", "encoder"),
    ("Translation: generate, then look at the generated text", "translation"),
]
VIEW_CHOICES = [
    ("Head view", "head"),
    ("Model view", "model"),
    ("Heatmap", "heatmap"),
    ("Rollout", "rollout"),
    ("Alignment (translation)", "alignment"),
]
TRANSLATION_ONLY_VIEWS = ("alignment",)
KIND_CHOICES = [
    ("Encoder self-attention", "encoder"),
    ("Decoder self-attention", "decoder"),
    ("Cross-attention", "cross"),
]
EXAMPLES = [
    ["encoder", "The animal didn't cross the street because it was too tired.", ""],
    ["encoder", "The cat sat on the mat.", "It fell asleep there because the sun was warm."],
    ["translation", "The house by the river was built in the last century.", ""],
]
HINT = "<p>Press <b>Show attention</b> to compute the attention; the view options then redraw it.</p>"
# a 512-token result is 75-400 MB of float32; dropped 30 minutes after it was computed
RESULT_SECONDS = 1800
VIEW_CONTROLS = ("view", "kind", "layer", "heads", "pair", "word_level", "hide_special", "min_weight")


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


def view_options(controls: Mapping[str, Any]) -> AttentionOptions:
    """The view controls' values, by name, as one options object (checked later, where they are used)."""
    heads = controls["heads"] or ()
    return AttentionOptions(
        view=controls["view"],
        kind=controls["kind"],
        layer=controls["layer"],
        heads=tuple(heads) if isinstance(heads, list | tuple) else (heads,),
        pair=controls["pair"],
        word_level=bool(controls["word_level"]),
        hide_special=bool(controls["hide_special"]),
        min_weight=controls["min_weight"],
    )


@user_errors
def compute_attention(
    mode: str,
    encoder_model: str,
    translation_model: str,
    text: str,
    text_pair: str = "",
    num_beams: float = 1,
    precision: str = "auto",
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
    **controls: Any,
) -> tuple[AttentionResult | TranslationAttention, str, str]:
    options = view_options(controls)
    mode = choice_arg("Mode", mode, [value for _, value in MODES])
    if mode == "translation":
        result = translator.attend_translation(
            text,
            model=registry_key(translation_model, "translation"),
            num_beams=num_beams,
            precision=precision,
            progress=progress_callback(progress),
        )
    else:
        result = translator.attend(
            text,
            text_pair=text_pair or None,
            model=registry_key(encoder_model, "encoder"),
            precision=precision,
            progress=progress_callback(progress),
        )
    return result, attention_view(result, fitted(options, result)).html, run_line(result)


@user_errors(gpu=False)
def redraw_attention(result: AttentionResult | TranslationAttention | None, **controls: Any) -> str:
    if result is None:  # nothing computed yet, or the session's result expired
        return HINT
    return attention_view(result, fitted(view_options(controls), result)).html


@user_errors(gpu=False)
def export_attention(result: AttentionResult | TranslationAttention | None, **controls: Any) -> Any:
    if result is None:
        raise InputError("Press “Show attention” first; the export saves the view on screen.")
    return shown_files([str(path) for path in export_view(result, fitted(view_options(controls), result))])


def fit_attention_controls(
    result: AttentionResult | TranslationAttention | None, view: str, kind: str, layer: float, heads: list[int]
) -> tuple[Any, Any]:
    """The layer slider and head boxes bounded by the attention on screen (models differ in size)."""
    if result is None:
        return gr.skip(), gr.skip()
    options = fitted(AttentionOptions(view=view, kind=kind, layer=layer, heads=tuple(heads or ())), result)
    layers, n_heads = attention_shape(result, options)
    return (
        gr.Slider(maximum=layers, value=options.layer),
        gr.CheckboxGroup(choices=list(range(1, n_heads + 1)), value=list(options.heads)),
    )


def show_mode(mode: str, view: str) -> tuple[Any, ...]:
    """Encoder mode shows the encoder models, sentence B and the pair filter; translation mode the rest. The
    view radio offers only the views the mode has (no alignment without a translation)."""
    translating = mode == "translation"
    views = [(label, value) for label, value in VIEW_CHOICES if translating or value not in TRANSLATION_ONLY_VIEWS]
    return (
        gr.Column(visible=not translating),
        gr.Column(visible=translating),
        gr.Column(visible=not translating),
        gr.Radio(visible=translating),
        gr.Radio(visible=not translating),
        gr.Radio(choices=views, value=view if view in [value for _, value in views] else "head"),
    )


def shown_files(paths: list[str]) -> Any:
    """The Downloads box, shown only once it holds an export."""
    return gr.File(value=paths, visible=bool(paths))


def build_attention_tab() -> gr.events.Dependency:
    """The tab's components; returns the Show attention click (app.py refreshes the status line after it)."""
    settings = get_settings()
    with gr.Row():
        with gr.Column(scale=2):
            mode = gr.Radio(MODES, value="encoder", label="Mode", elem_id="attention-mode")
            text = long_textbox(
                "Text (sentence A, or the source to translate)", settings.max_chars_attention, "attention-text", 4
            )
            with gr.Column(elem_id="attention-pair-column") as pair_column:  # box and counter hide together
                text_pair = long_textbox(
                    "Sentence B (optional)", settings.max_chars_attention, "attention-text-pair", lines=2
                )
            with gr.Column(visible=True, elem_id="attention-encoder-model") as encoder_column:
                encoder_model = model_picker("encoder", OFFLINE_MINILM)
            with gr.Column(visible=False, elem_id="attention-translation-model") as translation_column:
                translation_model = model_picker("translation", "opus-mt-en-de")
                beams = gr.Slider(
                    1,
                    settings.max_beams,
                    value=1,
                    step=1,
                    precision=0,
                    label="Beams",
                    info="1 is greedy decoding; the attention is taken on the best beam.",
                )
            precision = precision_picker()
            button = gr.Button("Show attention", variant="primary", elem_id="attention-button")
        with gr.Column(scale=3):
            view = gr.Radio(
                VIEW_CHOICES,  # all for the API; a page gets its mode's views (show_mode, on load and on change)
                value="head",
                label="View",
                elem_id="attention-view-choice",
            )
            kind = gr.Radio(KIND_CHOICES, value="cross", label="Attention", visible=False)
            layer = gr.Slider(1, 12, value=1, step=1, precision=0, label="Layer", elem_id="attention-layer")
            heads = HeadBoxes(
                list(range(1, 13)), value=[], label="Heads (none ticked = all heads)", elem_id="attention-heads"
            )
            pair = gr.Radio(
                list(PAIR_FILTERS),
                value="all",
                label="Sentence pair filter",
                info="A->B: sentence A's tokens attending to sentence B's.",
            )
            with gr.Row():
                word_level = gr.Checkbox(
                    label="Merge sub-word pieces into words (as written: split at spaces, punctuation attached)"
                )
                hide_special = gr.Checkbox(label="Hide special tokens ([CLS], [SEP], </s>…)")
            min_weight = gr.Slider(0.0, 0.5, value=0.02, step=0.01, label="Head view: hide links below this weight")
    ran = gr.Markdown(label="What ran", elem_id="attention-ran")
    shown = gr.HTML(HINT, label="Attention view", elem_id="attention-view", padding=False)
    with gr.Row():
        export = gr.Button("Export this view (PNG, SVG, JSON, raw .npz)", size="sm", elem_id="attention-export")
        files = gr.File(
            label="Downloads", file_count="multiple", interactive=False, visible=False, elem_id="attention-files"
        )
    gr.Examples(EXAMPLES, [mode, text, text_pair])
    result = gr.State(None, time_to_live=RESULT_SECONDS)

    gr.on(
        [mode.change, Context.root_block.load],
        show_mode,
        [mode, view],
        [encoder_column, translation_column, pair_column, kind, pair, view],
        api_visibility="private",
        queue=False,
        show_progress="hidden",
    )
    controls = dict(
        zip(VIEW_CONTROLS, [view, kind, layer, heads, pair, word_level, hide_special, min_weight], strict=True)
    )
    fit = {
        "fn": fit_attention_controls,
        "inputs": [result, view, kind, layer, heads],
        "outputs": [layer, heads],
        "api_visibility": "private",
        "queue": False,
        "show_progress": "hidden",  # instant: a flash of progress over the controls would only distract
    }
    computed = button.click(
        compute_attention,
        [mode, encoder_model, translation_model, text, text_pair, beams, precision],
        [result, shown, ran],
        inputs_kwargs=controls,
        api_name="attention",
        concurrency_id=MODEL_WORK,
        show_progress_on=shown,  # one progress bar, not one over every pane
    )
    clear_after_failure(computed)
    computed.success(**fit)
    # a new computation makes the last export stale: clear and hide the Downloads box
    button.click(lambda: shown_files([]), None, files, api_visibility="private", queue=False)
    gr.on(
        [control.input for control in controls.values()],
        redraw_attention,
        [result],
        shown,
        inputs_kwargs=controls,
        api_name="attention_view",
        api_visibility="private",
    ).success(**fit)
    export.click(
        export_attention,
        [result],
        files,
        inputs_kwargs=controls,
        api_name="attention_export",
        api_visibility="private",
    )
    return computed
