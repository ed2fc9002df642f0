"""The Translate tab: text in, translation, n-best list and chunk viewer out.

``build_translate_tab`` returns a TranslateTab: its text box, its controls and a gr.State with the last
TranslationResult. app.py hands it to each view of the translation (ui/translate_checks.py, ui/beam_view.py,
...), which take from it and never reach back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr

import translator
from translator import TranslationResult, get_settings
from translator.render.chunk_view import translation_viewer
from translator.render.run import info_markdown, notes_html, run_line
from translator.render.tables import NBEST_HEADERS, Row, nbest_rows

from .common import (
    beams_slider,
    can_run,
    length_penalty_slider,
    long_textbox,
    model_picker,
    model_run,
    n_best_slider,
    no_model_panel,
    no_repeat_slider,
    precision_picker,
    progress_callback,
    readable_table,
    runnable_default,
    user_errors,
)
from .translate_languages import language_pickers
from .translate_options import (
    AUTO_CHUNK,
    CONTROLS,
    PRECISION_HELP,
    chunk_slider,
    decoding_controls,
    engine_note,
    engine_picker,
    pack_checkbox,
    translate_options,
)

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
RETRY_LABEL = "Re-translate flagged chunks sentence by sentence"
# the flag warning's advice, in the words of the button just under it
RETRY_HINT = f'<p style="margin:0">Press <b>{RETRY_LABEL}</b>, just below, to do that.</p>'


@dataclass(frozen=True)
class TranslateTab:
    """What views of a translation take from the Translate tab."""

    text: gr.Textbox
    controls: Mapping[str, gr.components.Component]  # by name (translate_options.CONTROLS)
    result: gr.State  # the last TranslationResult of this session; None before the first run
    outputs: tuple[gr.components.Component, ...]  # translate_text's, in order (``result`` last)
    translated: gr.events.Dependency  # the Translate click, for views that follow it with .then()
    retry: gr.Button  # under the notes, shown when a retry may help (ui/translate_checks.py wires it)

    @property
    def model(self) -> gr.Dropdown:
        return self.controls["model"]

    @property
    def precision(self) -> gr.Radio:
        return self.controls["precision"]


Outputs = tuple[str, str, list[Row], str, str, TranslationResult]


@user_errors
def translate_text(
    text: str,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
    **controls: Any,
) -> Outputs:
    return translated(text, controls, progress)


def translated(text: str, controls: Mapping[str, Any], progress: gr.Progress, *, retry: bool = False) -> Outputs:
    """The tab's outputs for ``text`` under ``controls``; ``retry`` re-translates flagged packed chunks."""
    options = translate_options(controls)
    result = translator.translate(text, **options, retry_flagged=retry, progress=progress_callback(progress))
    ran = run_line(result) + engine_note(result, controls["engine"]) + info_markdown(result.notes)
    notes = notes_html(result.warnings) + (RETRY_HINT if result.retryable else "")
    return result.text, notes, nbest_rows(result.chunks), translation_viewer(result), ran, result


def build_translate_tab() -> TranslateTab:
    runnable = can_run("translation")
    if not runnable:  # offline with no cached translator: say so once, up front, with the ways out
        no_model_panel("translation", "translation")
    with gr.Row():
        with gr.Column():
            text = long_textbox("Text to translate", get_settings().max_chars_translate, "translate-input")
            languages = language_pickers(runnable_default("translation", "opus-mt-en-de"))
            model = model_picker("translation", "opus-mt-en-de")
            languages.filter(model)
            precision = precision_picker(info=PRECISION_HELP)
            beams = beams_slider(info="Beam search width; 1 is greedy decoding.", elem_id="translate-beams")
            n_best = gr.Slider(
                1,
                beams.value,  # follows the beams slider and the decoding (n_best_slider below)
                value=1,
                step=1,
                precision=0,
                label="Translations per chunk (n-best)",
                info="At most the number of beams.",
            )
            with gr.Accordion("Advanced", open=False):
                length_penalty = length_penalty_slider("Above 1 favours longer outputs, below 1 shorter ones.")
                no_repeat = no_repeat_slider("Forbid repeating any n-gram of this size; 0 turns it off.")
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
                decoding = decoding_controls()
            button = gr.Button(
                "Translate" if runnable else "Translate (no translation model can run here: see above)",
                variant="primary",
                interactive=runnable,
                elem_id="translate-button",
            )
        with gr.Column():
            output = gr.Textbox(
                label="Translation", lines=10, interactive=False, buttons=["copy"], elem_id="translate-output"
            )
            warnings = gr.HTML(label="Notes", elem_id="translate-warnings")
            retry = gr.Button(RETRY_LABEL, visible=False, elem_id="translate-retry", size="sm")
            ran = gr.Markdown(label="What ran", elem_id="translate-ran")
            nbest = readable_table("translate-nbest", NBEST_HEADERS, "N-best (best first)")
    with gr.Accordion("Chunk viewer: each chunk beside its output", open=True):
        viewer = gr.HTML(label="Chunk viewer", elem_id="translate-chunks")
    gr.Examples(EXAMPLES, [text])
    result = gr.State(None, time_to_live=RESULT_SECONDS)
    values = [model, precision, beams, n_best, length_penalty, no_repeat, chunk_tokens, engine, pack]
    controls = dict(zip(CONTROLS, [*values, *decoding.values()], strict=True))
    outputs = (output, warnings, nbest, viewer, ran, result)
    run = model_run(button, translate_text, [text], outputs, api_name="translate", inputs_kwargs=controls)
    n_best_slider(beams, n_best, decoding["decoding"])
    return TranslateTab(text=text, controls=controls, result=result, outputs=outputs, translated=run, retry=retry)
