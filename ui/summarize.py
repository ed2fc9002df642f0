"""The Summarize tab: sentences picked by clustering their embeddings, shown in the source, with the elbow curve."""

from __future__ import annotations

import gradio as gr
from matplotlib.figure import Figure

import translator
from translator import OFFLINE_MINILM, get_settings
from translator.render.figures import elbow_figure
from translator.render.run import run_line, summary_notes
from translator.render.spans import summary_source_html
from translator.render.tables import SUMMARY_HEADERS, Row, summary_rows

from .common import (
    long_textbox,
    model_picker,
    model_run,
    progress_callback,
    readable_table,
    registry_key,
    user_errors,
)

TEXT = (
    "Extractive summarization picks whole sentences from a text instead of writing new ones. Each sentence is "
    "turned into a vector by a sentence encoder, so that sentences about the same topic lie close together. "
    "The vectors are then grouped into as many clusters as the summary should have sentences. From every "
    "cluster, the sentence nearest to its centre is taken as the voice of that topic.\n\n"
    "The picked sentences are put back in the order of the original text, which keeps the summary readable. "
    "Very short sentences, such as headings, and very long ones are usually left out before clustering. The "
    "elbow curve shows how much tighter the clusters get with each extra cluster, which hints at how many "
    "topics the text has. A summary of one sentence per topic is often the most useful length."
)
EXAMPLES = [[TEXT, 3, 0.2], [TEXT, 0, 0.4]]
SENTENCE_EMBEDDING = "sentence embedding"
# the dropdown's choices and summarize()'s ``hidden`` for each (gradio refuses a value outside the choices)
LAYERS = {SENTENCE_EMBEDDING: None, "-1": -1, "-2": -2, "-3": -3, "-4": -4, "-6": -6}


@user_errors
def summarize_text(
    text: str,
    model: str,
    num_sentences: float,
    ratio: float,
    algorithm: str,
    min_length: float,
    max_length: float,
    use_first: bool,
    layer: str,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
) -> tuple[str, str, Figure, list[Row], str, str]:
    result = translator.summarize(
        text,
        model=registry_key(model, "embeddings"),
        num_sentences=num_sentences or None,
        ratio=ratio,
        algorithm=algorithm,
        min_length=min_length,
        max_length=max_length,
        use_first=use_first,
        hidden=LAYERS[layer],
        progress=progress_callback(progress),
    )
    chosen = sum(s.selected for s in result.sentences)
    return (
        result.summary,
        summary_source_html(text, result),
        elbow_figure(result.elbow, chosen),
        summary_rows(result),
        summary_notes(result),
        run_line(result),
    )


HOW = (
    "**How the sentences are picked:** each sentence becomes a vector; the vectors are grouped into as many "
    "clusters as the summary has sentences, and from each cluster the sentence most similar to the cluster's "
    "centre is picked (the first sentence speaks for its own cluster when *Always keep the first sentence* is on). "
    "**Score** is that similarity (cosine, up to 1). **Rank** lists the picked sentences first, then the rest, "
    "each group by score."
)


def build_summarize_tab() -> gr.events.Dependency:
    """The tab's components; returns the Summarize click (app.py refreshes the status line after it)."""
    gr.Markdown(HOW, elem_id="summarize-how")
    with gr.Row():
        with gr.Column():
            text = long_textbox("Text to summarize", get_settings().max_chars_summarize, "summarize-input")
            model = model_picker("embeddings", OFFLINE_MINILM)
            num_sentences = gr.Slider(0, 50, value=3, step=1, precision=0, label="Sentences (0: use the ratio)")
            ratio = gr.Slider(0.05, 1.0, value=0.2, step=0.05, label="Ratio of sentences to keep")
            algorithm = gr.Radio(
                [("k-means", "kmeans"), ("Gaussian mixture", "gmm")], value="kmeans", label="Clustering"
            )
            with gr.Accordion("Advanced", open=False):
                min_length = gr.Slider(
                    0, 200, value=40, step=1, precision=0, label="Shortest sentence kept (characters)"
                )
                max_length = gr.Slider(
                    50, 2000, value=600, step=10, precision=0, label="Longest sentence kept (characters)"
                )
                use_first = gr.Checkbox(True, label="Always keep the first sentence")
                layer = gr.Dropdown(
                    list(LAYERS),
                    value=SENTENCE_EMBEDDING,
                    label="Sentence vectors",
                    info="The model's sentence embedding, or the mean of one hidden layer "
                    "(-2: second to last). Models without a sentence embedding use -2.",
                )
            button = gr.Button("Summarize", variant="primary", elem_id="summarize-button")
        with gr.Column():
            summary = gr.Textbox(label="Summary", lines=6, interactive=False, elem_id="summarize-output")
            ran = gr.Markdown(label="What ran")
            notes = gr.HTML(label="Notes", elem_id="summarize-notes")
            # the figure carries its title: gradio's label badge would sit on the curve's top-left point
            elbow = gr.Plot(
                label="Elbow curve: k-means inertia by number of clusters", show_label=False, elem_id="summarize-elbow"
            )
    source = gr.HTML(label="Source with the picked sentences", elem_id="summarize-source")
    table = readable_table(
        "summarize-table",
        SUMMARY_HEADERS,
        "Every sentence: picked first, then by score (similarity to its cluster's centre)",
    )
    gr.Examples(EXAMPLES, [text, num_sentences, ratio])
    inputs = [text, model, num_sentences, ratio, algorithm, min_length, max_length, use_first, layer]
    outputs = [summary, source, elbow, table, notes, ran]
    return model_run(button, summarize_text, inputs, outputs, api_name="summarize")
