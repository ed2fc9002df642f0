"""The Beam search view of the Translate tab: the tree generate() searched for one chunk of text.

Pick a chunk of the last translation (or type a sentence) and build the tree, with the view's beams, length
penalty and no-repeat size and the tab's decoding (Advanced): a diverse search draws its groups, sampling its
draws. The length-penalty slider then re-ranks the finished hypotheses by redrawing the tree kept in a gr.State
(no new search). The SVG and JSON downloads always match the drawing on screen. Where the tree's best is not the
translation shown for that chunk, a warning says so.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

import translator
from translator import BeamTree, TranslationResult, get_settings
from translator.render.beam_tree import render_beam_tree, step_table_html
from translator.render.export import export_folder
from translator.render.markup import short
from translator.render.run import info_markdown, notes_html, run_line

from .common import (
    beams_slider,
    length_penalty_slider,
    long_textbox,
    model_run,
    no_repeat_slider,
    registry_key,
    user_errors,
)
from .translate import TranslateTab
from .translate_options import DECODING_CONTROLS, decoding_options

EXPORT_ROOT = Path(tempfile.gettempdir()) / "bert-studio-beam-tree"
TREE_SECONDS = 1800  # a tree is a few thousand small nodes; dropped half an hour after it was built
CHOICE_CHARS = 70  # a chunk's source shown in the picker
HINT = "<p>Pick a chunk of the last translation or type a sentence, then press <b>Show the beam search</b>.</p>"
INT8_NOTE = (
    "The last translation ran at int8 on CTranslate2, which transformers has no copy of: the tree runs the "
    "model's own numbers, so it may differ slightly from that translation."
)
NOT_SHOWN = "The tree's best hypothesis is not the translation shown for this chunk: {why}."
WHY_NOT = {
    "sampling": "sampling drew other samples here (the same draw needs a seed, the transformers engine and a text "
    "of this one chunk)",
    "search": "it was translated with other settings (Beams, Length penalty and No-repeat here; Decoding in the "
    "tab's Advanced) or on another engine's numbers",
}


def chunk_choices(result: TranslationResult | None) -> tuple[dict, str]:
    """The picker's choices (one per chunk of the last translation) and the note on its engine."""
    if result is None:
        return gr.update(choices=[], value=None), ""
    choices = [(f"{c.index + 1}: {short(c.source.strip(), CHOICE_CHARS)}", c.index) for c in result.chunks]
    # at any other precision the tree runs the numbers the translation ran (engines/choice.py: explaining)
    note = notes_html([INT8_NOTE], icon="ℹ️") if result.precision.startswith("int8") else ""
    return gr.update(choices=choices, value=None), note


def picked_chunk(result: TranslationResult | None, index: int | None) -> str:
    """The picked chunk's source, for the sentence box."""
    if result is None or index is None or not 0 <= index < len(result.chunks):
        return gr.skip()
    return result.chunks[index].source


def rendered(tree: BeamTree, length_penalty: float) -> tuple[str, list[str]]:
    """The view's HTML and its downloads (SVG, JSON) under ``length_penalty``."""
    drawing = render_beam_tree(tree, length_penalty=length_penalty)
    folder = export_folder(EXPORT_ROOT)
    files = {"beam-tree.svg": drawing.svg, "beam-tree.json": drawing.json}
    for name, data in files.items():
        (folder / name).write_text(data, encoding="utf-8")
    # the ranked table under the drawing is wider than a phone: it scrolls sideways rather than being cut
    view = f'<div style="overflow-x:auto">{notes_html(tree.warnings)}{drawing.html}</div>'
    return view, [str(folder / name) for name in files]


def not_shown(tree: BeamTree, translation: TranslationResult | None) -> str | None:
    """The warning for a tree whose best is not the shown translation of its chunk (None: it is, or the sentence is
    no chunk of it)."""
    chunk = (
        next((c for c in translation.chunks if c.source.strip() == tree.source.strip()), None) if translation else None
    )
    if chunk is None or not tree.hypotheses or tree.hypotheses[0].text == chunk.best:
        return None
    return NOT_SHOWN.format(why=WHY_NOT["sampling" if tree.decoding == "sampling" else "search"])


@user_errors
def build_tree(
    sentence: str,
    model: str,
    precision: str,
    num_beams: float,
    length_penalty: float,
    no_repeat_ngram_size: float,
    engine: str = "auto",
    translation: TranslationResult | None = None,
    n_best: float = 1,
    **decoding: Any,
) -> tuple[str, str, list[str], BeamTree]:
    options = decoding_options(decoding)  # the tab's Decoding (Advanced), as the translation takes it
    tree = translator.beam_search_tree(
        sentence,
        model=registry_key(model, "translation"),
        num_beams=int(num_beams),
        length_penalty=length_penalty,
        no_repeat_ngram_size=int(no_repeat_ngram_size),
        precision=precision,
        engine=engine,  # the tab's: the tree explains the translation it makes
        # sampling draws as many as the translation did (its n-best sets that); a search's n-best changes nothing
        num_return_sequences=int(n_best) if options["decoding"] == "sampling" else 1,
        **options,
    )
    warning = not_shown(tree, translation)
    if warning:  # kept on the tree, so a re-rank shows it too
        tree = dataclasses.replace(tree, warnings=(*tree.warnings, warning))
    html, files = rendered(tree, length_penalty)
    return html, run_line(tree) + info_markdown(tree.notes), files, tree


@user_errors(gpu=False)
def rerank(tree: BeamTree | None, length_penalty: float) -> tuple[str, list[str]]:
    if tree is None:
        return gr.skip(), gr.skip()
    return rendered(tree, length_penalty)


def build_beam_view(tab: TranslateTab) -> None:
    """The view, in an accordion under the Translate tab; it takes the tab's model and precision."""
    with gr.Accordion("Beam search: the tree generate() searched", open=False, elem_id="beam-view"):
        with gr.Row():
            with gr.Column(scale=2):
                chunk = gr.Dropdown(
                    choices=[],
                    value=None,
                    label="Chunk of the last translation",
                    info="Fills the sentence box; or type your own sentence.",
                    elem_id="beam-chunk",
                )
                sentence = long_textbox(
                    "Sentence (one chunk)", get_settings().max_chars_translate, "beam-sentence", lines=2
                )
                note = gr.HTML()
            with gr.Column(scale=1):
                beams = beams_slider()
                length_penalty = length_penalty_slider(
                    "Moving it re-ranks the finished hypotheses without a new search.", elem_id="beam-length-penalty"
                )
                no_repeat = no_repeat_slider()
                button = gr.Button("Show the beam search", variant="primary", elem_id="beam-button")
        ran = gr.Markdown(label="What ran")
        with gr.Row():  # the step table beside the drawing; under it where the row has no room (phones)
            with gr.Column(scale=5, min_width=320):
                shown = gr.HTML(HINT, label="Beam search tree", elem_id="beam-tree", padding=False)
            with gr.Column(scale=2, min_width=300):
                steps = gr.HTML(label="Top candidates per step", elem_id="beam-steps", padding=False)
        with gr.Column(visible=False) as downloads:  # shown with the first tree: an empty box would only take room
            files = gr.File(
                label="Downloads (SVG, JSON)", file_count="multiple", interactive=False, elem_id="beam-files"
            )
    tree = gr.State(None, time_to_live=TREE_SECONDS)

    tab.result.change(
        chunk_choices,
        tab.result,
        [chunk, note],
        api_name="beam_chunks",
        api_visibility="private",
        show_progress="hidden",
    )
    # unqueued: the sentence box fills at once, so a Show pressed right after the pick runs on the picked chunk
    chunk.input(
        picked_chunk,
        [tab.result, chunk],
        sentence,
        api_name="beam_pick",
        api_visibility="private",
        queue=False,
        show_progress="hidden",
    )
    controls = tab.controls
    built = model_run(
        button,
        build_tree,
        [sentence, tab.model, tab.precision, beams, length_penalty, no_repeat, controls["engine"]],
        [shown, ran, files, tree],
        # the last translation is no API input: it only decides whether the tree's best is the translation shown
        inputs_kwargs={
            "translation": tab.result,
            "n_best": controls["n_best"],
            **{name: controls[name] for name in DECODING_CONTROLS},
        },
        api_name="beam_tree",
    )
    built.success(lambda: gr.Column(visible=True), None, downloads, api_name=False, queue=False)
    # from the kept tree, after the search: the API's outputs stay the drawing, the run line and the downloads
    built.success(step_table_html, tree, steps, api_name=False, queue=False)
    # change, not release: typing a value in the slider's number box releases nothing; redrawing is cheap
    length_penalty.change(
        rerank,
        [tree, length_penalty],
        [shown, files],
        api_name="beam_tree_rerank",
        api_visibility="private",
        show_progress_on=shown,
    )
