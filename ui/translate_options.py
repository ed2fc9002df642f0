"""The Translate tab's controls: the one mapping every Translate entry point takes (the text box, the retry, the
file upload), the engine and packing options, and the line that says which engine ran and why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from translator import ENGINES, TranslationResult

from .common import registry_key

# the controls' names, in the order the API lists them after the text (or the file); handlers get them by name
# (gradio's ``inputs_kwargs``) and hand them on as one mapping
CONTROLS = (
    "model",
    "precision",
    "num_beams",
    "n_best",
    "length_penalty",
    "no_repeat_ngram_size",
    "max_chunk_tokens",
    "engine",
    "pack_sentences",
)
AUTO_CHUNK = 0  # the chunk-size slider's "let translate() choose" value
PACK_LABEL = "Pack several sentences per chunk (more context, risk of dropped sentences)"
# which engine runs each precision with the engine on auto (engines/choice.py)
PRECISION_HELP = (
    "auto: the model's own numbers (fp32 on a CPU, bf16/fp16 on a GPU), on CTranslate2 where it runs the model. "
    "8bit: CTranslate2's int8, the fastest on a CPU; its output differs slightly (Compare shows how much). "
    "4bit: bitsandbytes NF4, on transformers. fp32/fp16/bf16: those numbers, on CTranslate2 where it runs."
)


def engine_picker() -> gr.Dropdown:
    return gr.Dropdown(
        list(ENGINES),
        value="auto",
        label="Engine",
        info="auto: CTranslate2 (fast) where it can run the model, else transformers (the reference, and 4-bit).",
        elem_id="translate-engine",
    )


def pack_checkbox() -> gr.Checkbox:
    return gr.Checkbox(value=False, label=PACK_LABEL, elem_id="translate-pack")


def chunk_slider(pack: bool) -> gr.Slider:
    """The max-chunk-tokens slider's update: enabled by packing, the only mode that fills chunks up to it."""
    # sentence by sentence the slider goes back to "auto", so a disabled slider never holds a stale size
    return gr.Slider(interactive=True) if pack else gr.Slider(value=AUTO_CHUNK, interactive=False)


def chunk_size(value: float | None) -> float | None:
    """translate()'s ``max_chunk_tokens`` for the slider's value: None lets translate() choose."""
    return None if value in (None, AUTO_CHUNK) else value


def translate_options(controls: Mapping[str, Any]) -> dict[str, Any]:
    """translate()'s keyword arguments from the tab's controls (CONTROLS, by name)."""
    return {
        "model": registry_key(controls["model"], "translation"),
        "precision": controls["precision"],
        "num_beams": controls["num_beams"],
        "num_return_sequences": controls["n_best"],
        "length_penalty": controls["length_penalty"],
        "no_repeat_ngram_size": controls["no_repeat_ngram_size"],
        "max_chunk_tokens": chunk_size(controls["max_chunk_tokens"]),
        "pack_sentences": bool(controls["pack_sentences"]),
        "engine": controls["engine"],
    }


def engine_note(result: TranslationResult, chosen: str) -> str:
    """A part for the end of the run line: the engine asked for, and for ``auto`` which it took (its note says why)."""
    if chosen == "auto":
        return f" · **engine choice:** auto, which took {result.engine} (the note below says why)"
    return f" · **engine choice:** {chosen}"
