"""The Steer view of the Translate tab: "and if it had picked that word?" Start the translation your way.

Pick a chunk of the last translation, one of its words and one of the runners-up the Confidence view lists
(dropdowns: gr.HTML runs no script), or type the start of the translation; **Continue from here** runs
translator.steer with the tab's settings and shows the steered sentence beside the original. **Draw its beam
search** then draws the tree of that steered run (transformers): the forced steps, and the search from there.

The original is the picked chunk's translation as the tab shows it, handed to steer() so that only the steered
sentence is decoded, while the sentence and the settings are still the ones it was translated with; else (an
edited sentence, changed settings, sampling, an API call) steer() decodes it too.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

import translator
from translator import Hypothesis, SteeredTranslation, TranslationResult
from translator.render.beam_tree import render_beam_tree
from translator.render.markup import short
from translator.render.run import notes_html, run_line
from translator.render.steer import alternative_choices, steer_html, steer_prefix, word_choices

from .common import model_run, registry_key, user_errors
from .translate import TranslateTab

CHOICE_CHARS = 70  # a chunk's source shown in the picker
HINT = (
    "<p>Translate a text, pick a word and one of its alternatives (or type a start), then "
    "<b>Continue from here</b>.</p>"
)
NO_SCORES = "This translation has no token alternatives to pick from: type the start of the translation instead."


def chunk_choices(result: TranslationResult | None) -> tuple[dict, dict, dict, str]:
    """The chunk picker's choices (the first chunk picked), its words, and the chunk's source for the sentence box."""
    if result is None or not result.chunks:
        empty = gr.update(choices=[], value=None)
        return empty, empty, empty, ""
    choices = [(f"{c.index + 1}: {short(c.source.strip(), CHOICE_CHARS)}", c.index) for c in result.chunks]
    return (gr.update(choices=choices, value=0), *picked_chunk(result, 0))


def picked_chunk(result: TranslationResult | None, chunk: int | None) -> tuple[dict, dict, str]:
    """The words of the picked chunk, no alternative yet, and its source for the sentence box."""
    if result is None or chunk is None or not 0 <= chunk < len(result.chunks):
        return gr.skip(), gr.skip(), gr.skip()
    words = word_choices(result, chunk)
    info = None if words else NO_SCORES
    return (
        gr.update(choices=words, value=None, info=info),
        gr.update(choices=[], value=None),
        result.chunks[chunk].source,
    )


def steer_settings(
    model: str, precision: str, num_beams: float, length_penalty: float, no_repeat_ngram_size: float, engine: str
) -> dict[str, Any]:
    """steer()'s settings from the tab's controls: a steered run's, and the last translation's to compare."""
    return dict(
        model=model,
        num_beams=int(num_beams),
        length_penalty=length_penalty,
        no_repeat_ngram_size=int(no_repeat_ngram_size),
        engine=engine,
        precision=precision,
    )


def translated_with(result: TranslationResult | None, *controls: Any) -> dict[str, Any] | None:
    """The settings the tab's new translation ran with, or None where its chunks are no original of steer()'s
    (sampled, diverse beams). Model, beams, length penalty and no-repeat size are the ones the result records, so a
    control moved while it ran changes nothing; precision and engine are steer_settings's ``controls`` as it arrives
    (the result records what they loaded, not what was asked: the same asked settings load the same)."""
    if result is None or result.decoding != "beam":
        return None
    ran = dict(
        model=result.model,
        num_beams=result.num_beams,
        length_penalty=result.length_penalty,
        no_repeat_ngram_size=result.no_repeat_ngram_size,
    )
    return steer_settings(*controls) | ran


def shown_original(
    result: TranslationResult | None, made_with: dict[str, Any] | None, sentence: str, settings: dict[str, Any]
) -> Hypothesis | None:
    """The tab's translation of ``sentence``, when it is a chunk of the last translation and that ran with these
    settings: steer() takes it as the original and decodes only the steered sentence."""
    if result is None or made_with != settings:
        return None
    return next((c.hypotheses[0] for c in result.chunks if c.source == sentence and c.hypotheses), None)


def picked_word(result: TranslationResult | None, chunk: int | None, token: int | None) -> dict:
    if result is None or chunk is None or token is None:
        return gr.skip()
    return gr.update(choices=alternative_choices(result, chunk, token), value=None)


def picked_alternative(
    result: TranslationResult | None, chunk: int | None, token: int | None, alternative: str | None
) -> tuple[str, tuple[str, list[str]] | None]:
    """The prefix box's text and the exact tokens behind it (kept while the box shows that text)."""
    if result is None or chunk is None or token is None or not alternative:
        return gr.skip(), gr.skip()
    text, tokens = steer_prefix(result, chunk, token, alternative)
    return text, (text, tokens)


@user_errors
def continue_from_here(
    sentence: str,
    prefix: str,
    model: str,
    precision: str,
    num_beams: float,
    length_penalty: float,
    no_repeat_ngram_size: float,
    engine: str,
    picked: tuple[str, list[str]] | None = None,
    translation: TranslationResult | None = None,
    made_with: dict[str, Any] | None = None,
) -> tuple[str, str, dict, dict]:
    """The steered run shown, its line, the endpoint's data, and the run as the beam tree will redo it.
    ``translation`` and ``made_with``: the tab's last translation and its settings (translated_with)."""
    # a picked alternative forces its exact tokens; once the box is edited, its text is what counts
    forced = dict(prefix_tokens=picked[1]) if picked and picked[0] == prefix else dict(prefix=prefix or "")
    settings = steer_settings(model, precision, num_beams, length_penalty, no_repeat_ngram_size, engine)
    result = translator.steer(
        sentence,
        **forced,
        **{**settings, "model": registry_key(model, "translation")},
        original=shown_original(translation, made_with, sentence, settings),
    )
    # the tree redoes this run with the tokens as forced (a typed prefix tokenized once, here)
    run = dict(settings, sentence=result.source, prefix_tokens=list(result.forced))
    return steer_html(result), run_line(result), summary(result), run


def steered_tree(run: dict | None) -> str | dict:
    """The beam tree of the last steered run, or nothing before one ran."""
    return gr.skip() if run is None else draw_tree(**run)


@user_errors
def draw_tree(
    sentence: str,
    prefix_tokens: list[str],
    model: str,
    precision: str,
    num_beams: int,
    length_penalty: float,
    no_repeat_ngram_size: int,
    engine: str,
) -> str:
    tree = translator.beam_search_tree(
        sentence,
        prefix_tokens=prefix_tokens,
        model=registry_key(model, "translation"),
        num_beams=num_beams,
        length_penalty=length_penalty,
        no_repeat_ngram_size=no_repeat_ngram_size,
        precision=precision,
        engine=engine,  # the tree runs on transformers, at the numbers that explain this engine's run
    )
    # the ranked table under the drawing is wider than a phone: it scrolls sideways rather than being cut
    return f'<div style="overflow-x:auto">{notes_html(tree.warnings)}{render_beam_tree(tree).html}</div>'


def summary(result: SteeredTranslation) -> dict:
    """What a script reads from the /steer endpoint."""
    return {
        "original": {"text": result.original.text, "score": result.original.score},
        "steered": {"text": result.steered.text, "score": result.steered.score},
        "forced": list(result.forced),
        "forced_logprob": result.forced_logprob,
        "forced_probs": [t.prob for t in result.tokens[: len(result.forced)]],
        "flags": list(result.flags),
        "changed": any(op.tag != "equal" for op in result.changes),
        "engine": result.engine,
        "precision": result.precision,
    }


def build_steer_view(tab: TranslateTab) -> None:
    """The view, in an accordion under the Translate tab; it runs with the tab's model and settings."""
    with gr.Accordion(
        "Steer: start the translation your way and let the model finish", open=False, elem_id="steer-view"
    ):
        with gr.Row():
            chunk = gr.Dropdown(choices=[], value=None, label="Chunk of the last translation", elem_id="steer-chunk")
            word = gr.Dropdown(choices=[], value=None, label="Word", elem_id="steer-word")
            alternative = gr.Dropdown(
                choices=[], value=None, label="Instead, the model's alternative", elem_id="steer-alternative"
            )
        with gr.Row():
            sentence = gr.Textbox(label="Sentence (one chunk)", lines=2, elem_id="steer-sentence", scale=2)
            prefix = gr.Textbox(
                label="Start of the translation",
                info="Filled by the picks above, or type your own; the model continues from it.",
                lines=2,
                elem_id="steer-prefix",
                scale=2,
            )
        button = gr.Button("Continue from here", variant="primary", elem_id="steer-button")
        ran = gr.Markdown(label="What ran")
        shown = gr.HTML(HINT, label="Original and steered translation", elem_id="steer-output")
        data = gr.JSON(label="Steer result", visible=False)
        tree_button = gr.Button("Draw its beam search", interactive=False, elem_id="steer-tree-button")
        tree = gr.HTML(label="Beam search tree of the steered run", elem_id="steer-tree", padding=False)
    picked = gr.State(None)
    run = gr.State(None)
    made_with = gr.State(None)  # the settings of the tab's last translation (translated_with)

    quiet = dict(api_visibility="private", show_progress="hidden", queue=False)
    c = tab.controls
    settings = [tab.model, tab.precision, c["num_beams"], c["length_penalty"], c["no_repeat_ngram_size"], c["engine"]]
    tab.result.change(chunk_choices, tab.result, [chunk, word, alternative, sentence], api_name=False, **quiet)
    tab.result.change(translated_with, [tab.result, *settings], made_with, api_name=False, **quiet)
    chunk.input(picked_chunk, [tab.result, chunk], [word, alternative, sentence], api_name=False, **quiet)
    word.input(picked_word, [tab.result, chunk, word], alternative, api_name=False, **quiet)
    alternative.input(
        picked_alternative, [tab.result, chunk, word, alternative], [prefix, picked], api_name=False, **quiet
    )
    model_run(
        button,
        continue_from_here,
        [sentence, prefix, *settings[:-1]],
        [shown, ran, data, run],
        # the states are no API inputs: an API call steers with the original decoded
        inputs_kwargs={"engine": c["engine"], "picked": picked, "translation": tab.result, "made_with": made_with},
        api_name="steer",
    )
    # each steered run (or a failed one, which empties it) replaces the tree to draw: the last one's no longer matches
    run.change(lambda r: (gr.Button(interactive=r is not None), ""), run, [tree_button, tree], api_name=False, **quiet)
    model_run(tree_button, steered_tree, [run], [tree], api_name="steer_tree")
