"""File upload in the Translate tab: a .txt, .md, .srt, .vtt or .docx file translated with the tab's settings and
given back in its own format (translate_document keeps its structure and enforces the upload limits)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

import translator
from translator import FILE_FORMATS, DocumentResult, InputError
from translator.render.chunk_view import translation_viewer
from translator.render.run import info_markdown, notes_html, run_line

from .common import model_run, progress_callback, user_errors
from .translate import TranslateTab
from .translate_options import engine_note, translate_options

FILE_TYPES = sorted(extension for extension, kind in FILE_FORMATS.items() if kind.in_place)  # records: CLI only


def build_files_view(tab: TranslateTab) -> None:
    with gr.Accordion(f"Translate a file ({', '.join(FILE_TYPES)})", open=False, elem_id="translate-files"):
        gr.Markdown(
            "Uses the settings above. Code, URLs, front matter, subtitle numbers and timestamps and Word paragraph "
            "styles are kept; you get the file back in the same format, named after it with the target language."
        )
        with gr.Row():
            # on a phone each box takes a row of its own, so a file's name is shown whole
            upload = gr.File(
                label="File to translate", file_types=FILE_TYPES, type="filepath", min_width=280, elem_id="file-input"
            )
            download = gr.File(label="Translated file", interactive=False, min_width=280, elem_id="file-output")
        button = gr.Button("Translate the file", variant="primary", elem_id="file-button")
        notes = gr.HTML(label="File notes", elem_id="file-warnings")
        ran = gr.Markdown(label="File run line", elem_id="file-run")
        viewer = gr.HTML(label="File chunk viewer", elem_id="file-chunks")
    model_run(
        button,
        translate_file,
        [upload],
        [download, notes, viewer, ran],
        api_name="translate_file",
        progress_on=viewer,
        inputs_kwargs=dict(tab.controls),  # the tab's settings: model, precision, beams, ...
    )


@user_errors
def translate_file(
    file: str | None,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
    **controls: Any,
) -> tuple[str, str, str, str]:
    if not file:
        raise InputError(f"Upload a file to translate first ({', '.join(FILE_TYPES)}).")
    # gradio keeps the upload's own name, whose extension says the format
    options = translate_options(controls)
    document = translator.translate_document(file, **options, progress=progress_callback(progress))
    run = run_line(document) + engine_note(document.translation, controls["engine"]) + info_markdown(document.notes)
    return save(document), notes_html(document.warnings), translation_viewer(document.translation), run


def save(document: DocumentResult) -> str:
    """The translated file on disk for download: the same base name with the target language, e.g. talk.de.srt."""
    name = Path(document.name)
    target = document.translation.languages[1]
    path = Path(tempfile.mkdtemp(prefix="translated-")) / f"{name.stem}.{target}{name.suffix}"
    path.write_bytes(document.data)
    return str(path)
