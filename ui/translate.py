"""The Translate tab: text in, translation, n-best list and chunk viewer out.

``build_translate_tab`` returns a TranslateTab: its inputs and a gr.State with the last TranslationResult,
so views of the translation (beam search, compare, ...) can live in modules of their own and take it.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

import translator
from translator import TranslationResult, get_settings
from translator.render.chunk_view import chunk_viewer
from translator.render.run import notes_html, run_line
from translator.render.tables import NBEST_HEADERS, Row, nbest_rows

from .common import (
    MODEL_WORK,
    can_run,
    clear_after_failure,
    long_textbox,
    model_picker,
    n_best_slider,
    no_model_panel,
    precision_picker,
    progress_callback,
    readable_table,
    user_errors,
)
from .translate_checks import build_checks
from .translate_files import build_files
from .translate_options import AUTO_CHUNK, chunk_slider, engine_note, engine_picker, pack_checkbox, translate_settings

EXAMPLES = [
    [
        "The museum was built in the last century. It stands by the river, in the old part of the city.\n\n"
        "Every year thousands of people visit it. Most of them come for the paintings, but the building is worth "
        "a visit too."
    ],
    [
        "Machine translation models were trained on single sentences. Long documents are therefore cut into "
        "chunks of a few sentences, translated in batches and put back together in order."
    ],
]
# a TranslationResult holds no arrays; kept as long as a page may sit open
RESULT_SECONDS = 3600


@dataclass(frozen=True)
class TranslateTab:
    """What other views of a translation can take from the Translate tab."""

    text: gr.Textbox
    model: gr.Dropdown
    precision: gr.Radio
    beams: gr.Slider
    result: gr.State  # the last TranslationResult of this session; None before the first run
    inputs: tuple[gr.components.Component, ...]  # translate_text's, in order
    outputs: tuple[gr.components.Component, ...]  # translate_text's, in order (``result`` last)
    translated: gr.events.Dependency  # the Translate click, for views that follow it with .then()


@user_errors
def translate_text(
    text: str,
    model: str,
    precision: str,
    num_beams: float,
    n_best: float,
    length_penalty: float,
    no_repeat_ngram_size: float,
    max_chunk_tokens: float,
    engine: str = "auto",
    pack_sentences: bool = False,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
    *,
    retry_flagged: bool = False,
) -> tuple[str, str, list[Row], str, str, TranslationResult]:
    settings = translate_settings(
        model,
        precision,
        num_beams,
        n_best,
        length_penalty,
        no_repeat_ngram_size,
        max_chunk_tokens,
        engine,
        pack_sentences,
    )
    result = translator.translate(text, **settings, retry_flagged=retry_flagged, progress=progress_callback(progress))
    ran = run_line(result) + engine_note(result, engine)
    return result.text, notes_html(result.warnings), nbest_rows(result.chunks), translation_viewer(result), ran, result


def translation_viewer(result: TranslationResult) -> str:
    """The chunk viewer of a translation: each chunk beside its best output, flagged chunks marked."""
    outputs = [c.hypotheses[0].text if c.hypotheses else "" for c in result.chunks]
    return chunk_viewer(result.source, result.chunks, result.max_chunk_tokens, outputs=outputs)


def build_translate_tab() -> TranslateTab:
    max_beams = get_settings().max_beams
    runnable = can_run("translation")
    if not runnable:  # offline with no cached translator: say so once, up front, with the ways out
        no_model_panel("translation", "translation")
    with gr.Row():
        with gr.Column():
            text = long_textbox("Text to translate", get_settings().max_chars_translate, "translate-input")
            model = model_picker("translation", "opus-mt-en-de")
            precision = precision_picker()
            beams = gr.Slider(
                1,
                max_beams,
                value=min(4, max_beams),
                step=1,
                precision=0,
                label="Beams",
                info="Beam search width; 1 is greedy decoding.",
                elem_id="translate-beams",
            )
            n_best = gr.Slider(
                1,
                beams.value,  # follows the beams slider (n_best_slider below)
                value=1,
                step=1,
                precision=0,
                label="Translations per chunk (n-best)",
                info="At most the number of beams.",
            )
            with gr.Accordion("Advanced", open=False):
                length_penalty = gr.Slider(
                    -2.0,
                    3.0,
                    value=1.0,
                    step=0.1,
                    label="Length penalty",
                    info="Above 1 favours longer outputs, below 1 shorter ones.",
                )
                no_repeat = gr.Slider(
                    0,
                    10,
                    value=0,
                    step=1,
                    precision=0,
                    label="No-repeat n-gram size",
                    info="Forbid repeating any n-gram of this size; 0 turns it off.",
                )
                pack = pack_checkbox()
                chunk_tokens = gr.Slider(
                    AUTO_CHUNK,
                    510,
                    value=AUTO_CHUNK,
                    step=1,
                    precision=0,
                    label="Max chunk tokens",
                    info="With packing, the most tokens a chunk holds (0: near sentence size); capped by the model's "
                    "input limit.",
                    interactive=False,  # sentence by sentence needs no size: packing enables it
                )
                pack.change(chunk_slider, pack, chunk_tokens, api_name=False, queue=False)
                engine = engine_picker()
            button = gr.Button(
                "Translate" if runnable else "Translate (no translation model can run here: see above)",
                variant="primary",
                interactive=runnable,
                elem_id="translate-button",
            )
        with gr.Column():
            output = gr.Textbox(label="Translation", lines=10, interactive=False, elem_id="translate-output")
            warnings = gr.HTML(label="Notes", elem_id="translate-warnings")
            ran = gr.Markdown(label="What ran")
            nbest = readable_table("translate-nbest", NBEST_HEADERS, "N-best (best first)")
    with gr.Accordion("Chunk viewer: each chunk beside its output", open=True):
        viewer = gr.HTML(label="Chunk viewer", elem_id="translate-chunks")
    gr.Examples(EXAMPLES, [text])
    result = gr.State(None, time_to_live=RESULT_SECONDS)
    inputs = [text, model, precision, beams, n_best, length_penalty, no_repeat, chunk_tokens, engine, pack]
    outputs = [output, warnings, nbest, viewer, ran, result]
    translated = button.click(
        translate_text,
        inputs,
        outputs,
        api_name="translate",
        concurrency_id=MODEL_WORK,
        show_progress_on=output,  # one progress bar, not one over every pane
    )
    clear_after_failure(translated)
    n_best_slider(beams, n_best)
    tab = TranslateTab(
        text=text,
        model=model,
        precision=precision,
        beams=beams,
        result=result,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        translated=translated,
    )
    build_checks(tab)
    build_files(tab)
    return tab
