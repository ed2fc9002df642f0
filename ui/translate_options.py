"""The Translate tab's controls: the one mapping every Translate entry point takes (the text box, the retry, the
file upload), the engine and packing options, and the line that says which engine ran and why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from translator import DECODINGS, ENGINES, TranslationResult

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
    # decoding (decoding_controls): after the older controls, so callers that pass only those keep working
    "decoding",
    "temperature",
    "top_k",
    "top_p",
    "seed",
    "num_beam_groups",
    "diversity_penalty",
)
DECODING_CONTROLS = CONTROLS[CONTROLS.index("decoding") :]
AUTO_CHUNK = 0  # the chunk-size slider's "let translate() choose" value
RANDOM_SEED = -1  # the seed box's "no seed" value
PACK_LABEL = "Pack several sentences per chunk (more context, risk of dropped sentences)"
# which engine runs each precision with the engine on auto (engines/choice.py)
PRECISION_HELP = (
    "auto: the model's own numbers (fp32 on a CPU, bf16/fp16 on a GPU), on CTranslate2 where it runs the model. "
    "8bit: CTranslate2's int8, the fastest on a CPU; its output differs slightly (Compare shows how much). "
    "4bit: bitsandbytes NF4, on transformers. fp32/fp16/bf16: those numbers, on CTranslate2 where it runs."
)


DECODING_HELP = (
    "beam: beam search (1 beam is greedy). sampling: each token drawn at random (the Beams slider is not used; "
    "n-best gives distinct samples). diverse: the beams split into groups that are pushed apart; CTranslate2 has "
    "no diverse beam search, so it runs on transformers."
)


def decoding_controls() -> dict[str, gr.components.Component]:
    """The Decoding radio and the options of each decoding, each shown only while its decoding is chosen; by name
    (DECODING_CONTROLS). Their defaults are translate()'s, so an API caller may leave them out."""
    decoding = gr.Radio(list(DECODINGS), value="beam", label="Decoding", info=DECODING_HELP, elem_id="decoding")
    with gr.Column(visible=False, elem_id="decoding-sampling") as sampling:
        temperature = gr.Slider(
            0.05, 2.0, value=1.0, step=0.05, label="Temperature", info="Below 1 sharper, above 1 flatter."
        )
        top_k = gr.Slider(
            0, 100, value=0, step=1, precision=0, label="Top-k", info="Draw from the k likeliest; 0: all."
        )
        top_p = gr.Slider(
            0.05, 1.0, value=1.0, step=0.05, label="Top-p", info="Draw from the likeliest tokens within this share."
        )
        # -1, not an empty box, stands for "no seed": an empty Number has no default an API caller could leave out
        seed = gr.Number(
            RANDOM_SEED,
            precision=0,
            minimum=RANDOM_SEED,
            label="Seed",
            info="The same seed gives the same samples; -1: a new draw each time.",
        )
    with gr.Column(visible=False, elem_id="decoding-diverse") as diverse:
        groups = gr.Slider(2, 8, value=2, step=1, precision=0, label="Beam groups", info="Must split the beams evenly.")
        penalty = gr.Slider(
            0.0,
            5.0,
            value=0.5,
            step=0.1,
            label="Diversity penalty",
            info="Taken off a token's log-probability per earlier group that chose it at that step.",
        )
    decoding.change(
        decoding_shown, decoding, [sampling, diverse], api_visibility="private", queue=False, show_progress="hidden"
    )
    values = [decoding, temperature, top_k, top_p, seed, groups, penalty]
    return dict(zip(DECODING_CONTROLS, values, strict=True))


def decoding_shown(decoding: str) -> tuple[gr.Column, gr.Column]:
    """The sampling and the diverse options, each visible only while its decoding is chosen."""
    return gr.Column(visible=decoding == "sampling"), gr.Column(visible=decoding == "diverse")


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
        **decoding_options(controls),
    }


def decoding_options(controls: Mapping[str, Any]) -> dict[str, Any]:
    """The decoding's keyword arguments (translate()'s, beam_search_tree()'s) from the controls (DECODING_CONTROLS)."""
    return {
        "decoding": controls["decoding"],
        "temperature": controls["temperature"],
        "top_k": controls["top_k"],
        "top_p": controls["top_p"],
        "seed": None if controls["seed"] in (None, RANDOM_SEED) else int(controls["seed"]),
        "num_beam_groups": controls["num_beam_groups"],
        "diversity_penalty": controls["diversity_penalty"],
    }


def engine_note(result: TranslationResult, chosen: str) -> str:
    """A part for the end of the run line: the engine asked for, and for ``auto`` which it took (its note says why)."""
    if chosen == "auto":
        return f" · **engine choice:** auto, which took {result.engine} (the note below says why)"
    return f" · **engine choice:** {chosen}"
