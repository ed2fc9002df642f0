"""File upload in the Translate tab: a .txt, .md, .srt, .vtt or .docx file translated with the tab's settings and
given back in its own format (translate_document keeps its structure and enforces the upload limits)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

import translator
from translator import DocumentResult, InputError
from translator.render.run import notes_html, run_line
from translator.text.formats.base import FORMATS

from .common import MODEL_WORK, clear_after_failure, progress_callback, user_errors
from .translate_options import engine_note, translate_settings

if TYPE_CHECKING:
    from .translate import TranslateTab

FILE_TYPES = sorted(FORMATS)


def build_files(tab: TranslateTab) -> None:
    with gr.Accordion(f"Translate a file ({', '.join(FILE_TYPES)})", open=False, elem_id="translate-files"):
        gr.Markdown(
            "Uses the settings above. Code, URLs, front matter, subtitle numbers and timestamps and Word paragraph "
            "styles are kept; you get the file back in the same format, named after it with the target language."
        )
        with gr.Row():
            upload = gr.File(label="File to translate", file_types=FILE_TYPES, type="filepath", elem_id="file-input")
            download = gr.File(label="Translated file", interactive=False, elem_id="file-output")
        button = gr.Button("Translate the file", variant="primary", elem_id="file-button")
        notes = gr.HTML(label="File notes", elem_id="file-warnings")
        ran = gr.Markdown(label="File run line", elem_id="file-run")
        viewer = gr.HTML(label="File chunk viewer", elem_id="file-chunks")
    settings = list(tab.inputs[1:])  # everything but the text box: model, precision, beams, ...
    outputs = [download, notes, viewer, ran]
    translated = button.click(
        translate_file,
        [upload, *settings],
        outputs,
        api_name="translate_file",
        concurrency_id=MODEL_WORK,
        show_progress_on=viewer,  # one progress bar, not one over every pane
    )
    clear_after_failure(translated)


@user_errors
def translate_file(
    file: str | None,
    model: str,
    precision: str,
    num_beams: float,
    n_best: float,
    length_penalty: float,
    no_repeat_ngram_size: float,
    max_chunk_tokens: float,
    engine: str,
    pack_sentences: bool,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
) -> tuple[str, str, str, str]:
    from .translate import translation_viewer  # the tab's own rendering; imported here, as translate.py builds this

    if not file:
        raise InputError(f"Upload a file to translate first ({', '.join(FILE_TYPES)}).")
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
    # gradio keeps the upload's own name, whose extension says the format
    document = translator.translate_document(file, **settings, progress=progress_callback(progress))
    run = run_line(document) + engine_note(document.translation, engine)
    return save(document), notes_html(document.warnings), translation_viewer(document.translation), run


def save(document: DocumentResult) -> str:
    """The translated file on disk for download: the same base name with the target language, e.g. talk.de.srt."""
    name = Path(document.name)
    target = document.translation.languages[1]
    path = Path(tempfile.mkdtemp(prefix="translated-")) / f"{name.stem}.{target}{name.suffix}"
    path.write_bytes(document.data)
    return str(path)
