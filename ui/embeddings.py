"""The Embeddings tab: every layer's hidden states for a few texts, one word followed through the layers.

The model runs once per press of the button; the layer slider and the special-token box redraw the views from
the result kept in a gr.State.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

import translator
from translator import OFFLINE_MINILM, InputError, LayerEmbeddings, WordAcrossLayers
from translator.render.embeddings import embedding_views, export_embeddings, notes_of, numbers, word_summary
from translator.render.run import run_line

from .common import model_dropdown, model_run, precision_picker, progress_callback, registry_key, user_errors

EXAMPLES = [
    # two senses: the river pairs (T1-T4) and the money pairs (T2-T3) stay closer in the upper layers than
    # the pairs across senses
    [
        "He sat on the bank of the river and watched the water.\n"
        "She went to the bank to deposit her money.\n"
        "The bank approved the loan for my new house.\n"
        "We had a picnic on the grassy bank by the stream.",
        "bank",
    ],
    # one sense twice, for comparison: the two stay close at every layer
    ["I opened an account at the bank last week.\nThe bank charged me a fee for the transfer.", "bank"],
    ["They play football every Sunday.\nWe saw a play at the theatre.\nThe children play in the park.", "play"],
]
POOLINGS = [("mean of its pieces", "mean"), ("first piece", "first")]
HINT = "<p>Type texts, one a line, and a word they share, then press <b>Show embeddings</b>.</p>"
RESULT_SECONDS = 1800  # hidden states of 1,024 tokens of bert-base are ~40 MB; dropped half an hour later
Views = tuple[str, str, str, str, str]  # word pairs, text pairs, heatmap, map, notes
Shown = tuple[LayerEmbeddings, WordAcrossLayers | None]


def text_lines(texts: object) -> list[str]:
    """The box's non-blank lines: one text each."""
    if not isinstance(texts, str):
        raise InputError("The texts must be text, one a line.")
    lines = [line for line in texts.splitlines() if line.strip()]
    if not lines:
        raise InputError("The texts box is empty; type one text a line, for example two sentences with “bank”.")
    return lines


def views(shown: Shown, layer: float, special: bool) -> Views:
    result, track = shown
    rendered = embedding_views(result, track, layer, special=special)
    parts = rendered.html
    summary = word_summary(track)
    notes = notes_of(rendered) + (f"<p>{summary}</p>" if summary else "")
    return parts["word-pairs"], parts["sentence-similarity"], parts["token-similarity"], parts["token-map"], notes


@user_errors
def compute_embeddings(
    texts: str,
    word: str,
    model: str,
    precision: str = "auto",
    pooling: str = "mean",
    layer: float = 6,
    special: bool = False,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
) -> tuple[Shown, str, str, str, str, str, dict[str, object], str]:
    result = translator.embed_layers(
        text_lines(texts), model=registry_key(model), precision=precision, progress=progress_callback(progress)
    )
    blank = word is None or (isinstance(word, str) and not word.strip())
    track = None if blank else translator.follow_word(result, word, pooling=pooling)
    shown = (result, track)
    tokens = sum(len(t) for t in result.tokens)
    ran = f"{run_line(result)} · **texts:** {len(result.texts)} · **tokens:** {tokens} · **layers:** {result.layers}"
    return shown, *views(shown, layer, special), numbers(result, track), ran


@user_errors(gpu=False)
def redraw(shown: Shown | None, layer: float, special: bool) -> Views:
    if shown is None:  # nothing computed yet, or the session's result expired
        return HINT, "", "", "", ""
    return views(shown, layer, special)


@user_errors(gpu=False)
def export(shown: Shown | None, layer: float, special: bool) -> Any:
    if shown is None:
        raise InputError("Press “Show embeddings” first; the export saves the views on screen.")
    paths = export_embeddings(*shown, layer, special=special)
    return gr.File(value=[str(path) for path in paths], visible=True)


def fit_layer(shown: Shown | None, layer: float) -> Any:
    """The layer slider bounded by the model on screen (MiniLM has 6 layers, bert-base 12)."""
    if shown is None:
        return gr.skip()
    layers = shown[0].layers
    return gr.Slider(maximum=layers, value=min(int(layer), layers))


def build_embeddings_tab() -> gr.events.Dependency:
    """The tab's components; returns the Show embeddings click (app.py refreshes the status line after it)."""
    gr.Markdown(
        "What each layer makes of a word: the same word gets a different vector in each text, and the "
        "difference grows layer by layer. Layer 0 is the embedding output, before the first layer."
    )
    with gr.Row():
        with gr.Column(scale=3, min_width=300):
            texts = gr.Textbox(label="Texts, one a line (1 to 16)", lines=5, elem_id="embeddings-texts", max_lines=16)
            with gr.Row():
                word = gr.Textbox("", label="Word to follow", elem_id="embeddings-word", min_width=160)
                pooling = gr.Radio(POOLINGS, value="mean", label="A word of several pieces", min_width=200)
        with gr.Column(scale=2, min_width=260):
            model = model_dropdown(None, OFFLINE_MINILM, label="Model (its encoder)")
            precision = precision_picker()
            button = gr.Button("Show embeddings", variant="primary", elem_id="embeddings-button")
    ran = gr.Markdown(label="What ran", elem_id="embeddings-ran")
    notes = gr.HTML(label="Notes", elem_id="embeddings-notes", padding=False)
    with gr.Row():
        layer = gr.Slider(
            0, 12, value=6, step=1, precision=0, label="Layer (0 = embedding output)", elem_id="embeddings-layer"
        )
        special = gr.Checkbox(label="Special tokens ([CLS], [SEP]) in the heatmap and the map", min_width=200)
    with gr.Row():  # side by side on a wide screen, one under the other on a phone
        with gr.Column(min_width=360):
            word_view = gr.HTML(HINT, label="The word's occurrences, layer by layer", elem_id="embeddings-word-view")
        with gr.Column(min_width=360):
            sentence_view = gr.HTML(label="The texts, layer by layer", elem_id="embeddings-sentence-view")
    # the map and the heatmap get the page's width: their labels need it
    map_view = gr.HTML(label="Token map at the layer (PCA)", elem_id="embeddings-map")
    heatmap_view = gr.HTML(label="Token similarity at the layer", elem_id="embeddings-heatmap")
    with gr.Accordion("Numbers: each pair's similarity, layer by layer", open=False):
        curves = gr.JSON(label="Numbers", elem_id="embeddings-numbers")
    with gr.Row():
        export_button = gr.Button("Export the views (PNG, SVG, JSON, .npz)", size="sm", elem_id="embeddings-export")
        files = gr.File(
            label="Downloads", file_count="multiple", interactive=False, visible=False, elem_id="embeddings-files"
        )
    gr.Examples(EXAMPLES, [texts, word])
    shown = gr.State(None, time_to_live=RESULT_SECONDS)

    drawn = [word_view, sentence_view, heatmap_view, map_view, notes]
    computed = model_run(
        button,
        compute_embeddings,
        [texts, word, model, precision, pooling, layer, special],
        [shown, *drawn, curves, ran],
        api_name="embeddings",
        progress_on=word_view,
    )
    computed.success(fit_layer, [shown, layer], layer, api_visibility="private", queue=False, show_progress="hidden")
    # a new run makes the last export stale: hide the Downloads box
    button.click(lambda: gr.File(value=None, visible=False), None, files, api_visibility="private", queue=False)
    gr.on(
        [layer.input, special.input],
        redraw,
        [shown, layer, special],
        drawn,
        api_name="embeddings_view",
        api_visibility="private",
        show_progress_on=heatmap_view,  # one pane: the first view the redraw changes
    )
    export_button.click(export, [shown, layer, special], files, api_name="embeddings_export", api_visibility="private")
    return computed
