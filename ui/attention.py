"""The Attention tab: compute attention once, then redraw it as the view controls change, and export it.

The eight view controls reach every handler by name (gradio's ``inputs_kwargs``) and travel on as one
AttentionOptions; the API keeps them as separate parameters, in the order of VIEW_CONTROLS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

import translator
from translator import (
    OFFLINE_MINILM,
    PAIR_FILTERS,
    AttentionOptions,
    AttentionResult,
    InputError,
    TranslationAttention,
    attention_shape,
    fitted,
    get_settings,
)
from translator.render.attention_view import attention_view
from translator.render.export import export_view
from translator.render.run import run_line

from .common import (
    beams_slider,
    can_run,
    long_textbox,
    model_picker,
    model_run,
    precision_picker,
    progress_callback,
    registry_key,
    user_errors,
)
from .gradio_patches import HeadBoxes, page_load

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
NOT_DRAWN = "<p>This view could not be drawn with these options (the message above says why); change one.</p>"
NO_TRANSLATOR = "Translation mode needs a translation model, and none can run here (the Translate tab says why)."
# a 512-token result is 75-400 MB of float32; dropped 30 minutes after it was computed
RESULT_SECONDS = 1800
# wide enough for "attention-arrays.npz" and its size: on a phone the list takes a row of its own
FILES_PX = 280
VIEW_CONTROLS = ("view", "kind", "layer", "heads", "pair", "word_level", "hide_special", "min_weight")


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
    if mode == "translation":  # else "encoder": gradio refuses a value outside the Mode radio's choices
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
    view radio offers only the views the mode has (no alignment without a translation). With no translation model
    that can run, the button is disabled in translation mode (an example can still pick it)."""
    translating = mode == "translation"
    views = [(label, value) for label, value in VIEW_CHOICES if translating or value not in TRANSLATION_ONLY_VIEWS]
    return (
        gr.Column(visible=not translating),
        gr.Column(visible=translating),
        gr.Column(visible=not translating),
        gr.Radio(visible=translating),
        gr.Radio(visible=not translating),
        gr.Radio(choices=views, value=view if view in [value for _, value in views] else "head"),
        gr.Button(interactive=not translating or can_run("translation")),
    )


def kind_for_view(view: str, kind: str) -> gr.Radio:
    """Rollout follows self-attention through the layers, so it offers no cross-attention: picking it while
    cross-attention is chosen moves to the encoder's (rather than failing to draw)."""
    if view != "rollout":
        return gr.Radio(choices=KIND_CHOICES)
    choices = [(label, value) for label, value in KIND_CHOICES if value != "cross"]
    return gr.Radio(choices=choices, value="encoder" if kind == "cross" else kind)


def pair_for_text(text_pair: str, pair: str) -> Any:
    """Without sentence B the pair filter has nothing to filter: clearing B sets it back to all."""
    return "all" if not (text_pair or "").strip() and pair != "all" else gr.skip()


def shown_files(paths: list[str]) -> Any:
    """The Downloads box, shown only once it holds an export."""
    return gr.File(value=paths, visible=bool(paths))


def build_attention_tab() -> gr.events.Dependency:
    """The tab's components; returns the Show attention click (app.py refreshes the status line after it)."""
    settings = get_settings()
    translating = can_run("translation")  # else translation mode is off up front, as Translate's button is
    with gr.Row():
        with gr.Column(scale=2):
            mode = gr.Radio(
                MODES,
                value="encoder",
                label="Mode",
                info=None if translating else NO_TRANSLATOR,
                interactive=translating,
                elem_id="attention-mode",
            )
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
                beams = beams_slider(1, info="1 is greedy decoding; the attention is taken on the best beam.")
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
            label="Downloads",
            file_count="multiple",
            interactive=False,
            visible=False,
            min_width=FILES_PX,
            elem_id="attention-files",
        )
    gr.Examples(
        EXAMPLES if translating else [row for row in EXAMPLES if row[0] != "translation"], [mode, text, text_pair]
    )
    result = gr.State(None, time_to_live=RESULT_SECONDS)

    gr.on(
        [mode.change, page_load()],
        show_mode,
        [mode, view],
        [encoder_column, translation_column, pair_column, kind, pair, view, button],
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
    computed = model_run(
        button,
        compute_attention,
        [mode, encoder_model, translation_model, text, text_pair, beams, precision],
        [result, shown, ran],
        api_name="attention",
        progress_on=shown,
        inputs_kwargs=controls,
    )
    computed.success(**fit)
    # a new computation makes the last export stale: clear and hide the Downloads box
    button.click(lambda: shown_files([]), None, files, api_visibility="private", queue=False)
    redraw = {"fn": redraw_attention, "inputs": [result], "outputs": shown, "inputs_kwargs": controls}
    # the view picks the kinds it can draw before it redraws (the others redraw at once)
    others = [control.input for name, control in controls.items() if name != "view"]
    redrawn = gr.on(others, **redraw, api_name="attention_view", api_visibility="private")
    kinds = view.input(kind_for_view, [view, kind], kind, api_visibility="private", queue=False, show_progress="hidden")
    for drawn in (redrawn, kinds.then(**redraw, api_visibility="private")):
        drawn.success(**fit)
        # a failed redraw leaves no stale drawing under gradio's red "Error" badge
        drawn.failure(lambda: NOT_DRAWN, None, shown, api_visibility="private", queue=False, show_progress="hidden")
    text_pair.change(pair_for_text, [text_pair, pair], pair, api_visibility="private", queue=False)
    export.click(
        export_attention,
        [result],
        files,
        inputs_kwargs=controls,
        api_name="attention_export",
        api_visibility="private",
    )
    return computed
