"""The Translate tab's engine and packing options, and the line that says which engine ran and why."""

from __future__ import annotations

from typing import Any

import gradio as gr

from translator import TranslationResult
from translator.tasks.translation.engines.choice import ENGINES
from translator.tasks.translation.omissions import sentences_inside
from translator.text.segment import sentences

from .common import registry_key

AUTO_CHUNK = 0  # the chunk-size slider's "let translate() choose" value
PACK_LABEL = "Pack several sentences per chunk (more context, risk of dropped sentences)"


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


def translate_settings(
    model: str,
    precision: str,
    num_beams: float,
    n_best: float,
    length_penalty: float,
    no_repeat_ngram_size: float,
    max_chunk_tokens: float | None,
    engine: str,
    pack_sentences: bool,
) -> dict[str, Any]:
    """translate()'s keyword arguments from the tab's controls, which the text box and the file upload share."""
    return {
        "model": registry_key(model, "translation"),
        "precision": precision,
        "num_beams": num_beams,
        "num_return_sequences": n_best,
        "length_penalty": length_penalty,
        "no_repeat_ngram_size": no_repeat_ngram_size,
        "max_chunk_tokens": chunk_size(max_chunk_tokens),
        "pack_sentences": bool(pack_sentences),
        "engine": engine,
    }


def engine_note(result: TranslationResult, chosen: str) -> str:
    """A part for the end of the run line: the engine asked for, and for ``auto`` which it took (its note says why)."""
    if chosen == "auto":
        return f" · **engine choice:** auto, which took {result.engine} (the first note says why)"
    return f" · **engine choice:** {chosen}"


def has_flagged_packs(result: TranslationResult | None) -> bool:
    """Whether re-translating sentence by sentence may change ``result``: a flagged chunk of several sentences."""
    flagged = [c for c in result.chunks if c.flags] if result and result.pack_sentences else []
    if not flagged:
        return False
    spans = sentences(result.source, result.languages[0])  # as translate() cut the text
    return any(sentences_inside(chunk, spans) > 1 for chunk in flagged)
