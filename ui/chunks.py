"""The Chunks tab: how a text is cut for a model's tokenizer, without running the model."""

from __future__ import annotations

from typing import Any

import gradio as gr

import translator
from translator import OFFLINE_MINILM, get_settings
from translator.render.chunk_view import chunk_viewer
from translator.render.run import notes_html, run_line

from .common import long_textbox, model_picker, model_run, registry_key, user_errors

EXAMPLES = [
    [
        "Short sentences pack together. This one joins them.\n\nA new paragraph starts a new chunk. "
        "Averyveryverylongwordthatnotokenizerknowsandthatmustbecutintopiecesbecauseitexceedsthelimit.",
        16,
        0,
        "sentences",
    ],
    [
        "Windows slide over the text with an overlap, the way question answering reads long documents. "
        "Each window shares a few tokens with the one before it, so no answer is lost at a boundary.",
        24,
        8,
        "windows",
    ],
]


@user_errors(gpu=False)
def plan_text(text: str, model: str, max_tokens: float, stride: float, mode: str) -> tuple[str, str]:
    plan = translator.chunk_text(text, model=registry_key(model), max_tokens=max_tokens, stride=stride, mode=mode)
    ran = "\n\n".join(filter(None, [notes_html(plan.warnings), run_line(plan)]))
    return chunk_viewer(plan.text, plan.chunks, plan.max_tokens), ran


def stride_for_mode(mode: str) -> Any:
    """Windows mode leaves the stride's value alone: an example sets mode and stride together, and reading the
    stride here could see the value from before the example and put it back."""
    if mode == "windows":
        return gr.update(interactive=True)
    return gr.update(interactive=False, value=0)


def build_chunks_tab() -> gr.events.Dependency:
    """The tab's components; returns the Show chunks click (app.py refreshes the status line after it)."""
    gr.Markdown(
        "How a text is cut for a model, without running one: whole sentences packed up to the limit "
        "(what Translate does), or token windows that overlap by the stride (what QA does)."
    )
    with gr.Row():
        with gr.Column():
            text = long_textbox("Text", get_settings().max_chars_chunks, "chunks-input", lines=8)
            model = model_picker(None, OFFLINE_MINILM, label="Tokenizer of model")
            max_tokens = gr.Slider(
                1,
                1024,
                value=128,
                step=1,
                precision=0,
                label="Max tokens per chunk",
                info="Content tokens; the model adds its special tokens on top.",
            )
            mode = gr.Radio(["sentences", "windows"], value="sentences", label="Mode")
            stride = gr.Slider(
                0, 512, value=0, step=1, precision=0, label="Stride (overlap tokens, windows mode)", interactive=False
            )
            # stride means nothing to whole sentences: off (and 0) in sentences mode
            mode.change(stride_for_mode, mode, stride, api_visibility="private", queue=False)
            button = gr.Button("Show chunks", variant="primary", elem_id="chunks-button")
        with gr.Column():
            ran = gr.Markdown(label="What ran")
            viewer = gr.HTML(label="Chunk viewer", elem_id="chunks-viewer")
    gr.Examples(EXAMPLES, [text, max_tokens, stride, mode])
    return model_run(button, plan_text, [text, model, max_tokens, stride, mode], [viewer, ran], api_name="chunks")
