"""The Question answering tab: answers from a long context, highlighted in it, with the windows it was read in."""

from __future__ import annotations

import gradio as gr

import translator
from translator import get_settings
from translator.render.chunk_view import qa_windows_html
from translator.render.run import qa_mode_note, run_line
from translator.render.spans import qa_context_html
from translator.render.tables import QA_ANSWER_HEADERS, Row, qa_answer_rows

from .common import (
    long_textbox,
    model_picker,
    model_run,
    precision_picker,
    progress_callback,
    readable_table,
    registry_key,
    user_errors,
)

CONTEXT = (
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is named after "
    "the engineer Gustave Eiffel, whose company designed and built the tower from 1887 to 1889. It was the "
    "centrepiece of the 1889 World's Fair and is 330 metres tall.\n\nThe tower has three levels for visitors, "
    "with restaurants on the first and second levels. The top level's upper platform is 276 m above the ground."
)
EXAMPLES = [
    ["Who designed the tower?", CONTEXT],
    ["How tall is the Eiffel Tower?", CONTEXT],
    ["When was the tower built?", CONTEXT],
]
MODES = [
    ("span extraction; sentence retrieval if the QA model is unavailable", "auto"),
    ("span extraction only", "span"),
    ("sentence retrieval (MiniLM)", "retrieval"),
]


@user_errors
def answer_question(
    question: str,
    context: str,
    model: str,
    precision: str,
    top_k: float,
    max_seq_len: float,
    doc_stride: float,
    max_answer_len: float,
    handle_impossible: bool,
    mode: str,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
) -> tuple[str, list[Row], str, str, str]:
    result = translator.answer(
        question,
        context,
        model=registry_key(model, "qa"),
        top_k=top_k,
        max_seq_len=max_seq_len,
        doc_stride=doc_stride,
        max_answer_len=max_answer_len,
        handle_impossible_answer=handle_impossible,
        precision=precision,
        mode=mode,
        progress=progress_callback(progress),
    )
    return (
        qa_mode_note(result),
        qa_answer_rows(result),
        qa_context_html(context, result),
        qa_windows_html(context, result),
        run_line(result),
    )


def build_qa_tab() -> gr.events.Dependency:
    """The tab's components; returns the Answer click (app.py refreshes the status line after it)."""
    settings = get_settings()
    with gr.Row():
        with gr.Column():
            question = long_textbox("Question", settings.max_chars_question, "qa-question", lines=1)
            context = long_textbox(
                "Context (long text welcome: it is read in overlapping windows)", settings.max_chars_qa, "qa-context"
            )
            model = model_picker("qa", "distilbert-squad")
            precision = precision_picker()
            top_k = gr.Slider(1, settings.max_top_k, value=3, step=1, precision=0, label="Answers (top-k)")
            with gr.Accordion("Advanced: windows and spans", open=False):
                max_seq_len = gr.Slider(
                    32,
                    512,
                    value=384,
                    step=8,
                    precision=0,
                    label="Window length (max_seq_len, tokens)",
                    info="Question, context and special tokens together.",
                )
                doc_stride = gr.Slider(
                    0,
                    256,
                    value=128,
                    step=8,
                    precision=0,
                    label="Window overlap (doc_stride, tokens)",
                    info="Context tokens each window shares with the one before.",
                )
                max_answer_len = gr.Slider(1, 100, value=30, step=1, precision=0, label="Longest answer (tokens)")
                impossible = gr.Checkbox(False, label="Allow 'no answer' (for SQuAD 2.0 models)")
                mode = gr.Radio(MODES, value="auto", label="Mode")
            button = gr.Button("Answer", variant="primary", elem_id="qa-button")
        with gr.Column():
            note = gr.Markdown(label="How the answers were found", elem_id="qa-mode")
            answers = readable_table("qa-answers", QA_ANSWER_HEADERS, "Answers")
            ran = gr.Markdown(label="What ran")
            highlighted = gr.HTML(label="Context with the answers", elem_id="qa-highlighted")
    with gr.Accordion("Windows in the chunk viewer (the answers' windows outlined)", open=False):
        windows = gr.HTML(label="Windows", elem_id="qa-windows")
    gr.Examples(EXAMPLES, [question, context])
    inputs = [question, context, model, precision, top_k, max_seq_len, doc_stride, max_answer_len, impossible, mode]
    outputs = [note, answers, highlighted, windows, ran]
    return model_run(button, answer_question, inputs, outputs, api_name="answer", progress_on=answers)
