"""BERT seq2seq studio: the Gradio UI. Tabs, wiring and launch flags only; the work is in `translator`."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import torch
from fastapi.responses import JSONResponse
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware

import translator
from translator import InputError, TranslatorError, get_registry, get_settings
from translator.core.checks import choice_arg
from translator.core.loading import device_and_name, free_memory, get_cache, is_available
from translator.core.settings import PRECISIONS
from translator.render import views
from translator.render.export import write_npz
from translator.serving.ratelimit import RateLimiter
from translator.tasks.attention import PAIR_FILTERS

try:  # on Hugging Face Spaces with ZeroGPU, GPU work must run inside @spaces.GPU
    import spaces

    on_gpu = spaces.GPU(duration=120)
except ImportError:

    def on_gpu(handler):
        return handler


log = logging.getLogger("app")

TITLE = "BERT seq2seq studio"
GENERIC_ERROR = "Something went wrong on the server while handling this request; it has been logged. Please try again."
OUT_OF_MEMORY = "The model ran out of memory on this request; shorten the input or lower the number of beams."
# every event that runs a model or a tokenizer shares one concurrency group: the device is one resource, and
# fast tokenizers refuse to be used from two threads at once ("Already borrowed")
MODEL_WORK = "model"


# -------------------------------------------------------------------- shared UI pieces


def user_errors(handler: Callable[..., Any] | None = None, *, gpu: bool = True) -> Any:
    """Wrap an event handler: backend errors become one plain sentence for the user; out-of-memory frees
    what it can; anything unexpected is logged with its traceback. ``gpu`` handlers run under @spaces.GPU
    on Spaces (use ``@user_errors(gpu=False)`` for handlers that run no model)."""
    if handler is None:
        return lambda function: user_errors(function, gpu=gpu)

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except TranslatorError as exc:
            raise gr.Error(error_text(exc), print_exception=False) from None
        except torch.OutOfMemoryError:
            log.warning("out of memory in %s", handler.__name__)
            free_memory()
            raise gr.Error(OUT_OF_MEMORY, print_exception=False) from None
        except Exception:
            log.exception("unexpected error in %s", handler.__name__)
            raise gr.Error(GENERIC_ERROR, print_exception=False) from None

    return on_gpu(wrapped) if gpu else wrapped


def error_text(exc: Exception) -> str:
    """A backend message made safe for gradio's toast, which renders it as HTML: messages can quote what a
    caller sent (``not '<img ...>'``), so ``&`` and ``<`` are escaped and no markup survives."""
    return str(exc).replace("&", "&amp;").replace("<", "&lt;")


def progress_callback(progress: gr.Progress) -> Callable[[float, str], None]:
    """Adapt gr.Progress to the backend's ``(fraction, message)`` callback."""
    return lambda fraction, message: progress(fraction, desc=message)


def model_choices(task: str) -> list[tuple[str, str]]:
    return [(spec.label, spec.key) for spec in get_registry().for_task(task)]


def registry_key(value: Any, task: str) -> str:
    """Server-side check that a UI request names a registry model (API callers can send anything)."""
    if not isinstance(value, str) or value not in get_registry().keys(task):
        raise InputError(f"Choose one of the listed models for this tab: {', '.join(get_registry().keys(task))}.")
    return value


def availability(key: str, task: str) -> str:
    ok, reason = is_available(key, task) if key else (False, "no model chosen")
    return f"{'✅' if ok else '⚠️'} `{key}`: {reason}"


def model_picker(task: str, default: str | None) -> gr.Dropdown:
    """A registry-fed dropdown with a line under it that says whether the model can be used now."""
    choices = model_choices(task)
    keys = [key for _, key in choices]
    value = default if default in keys else (keys[0] if keys else None)
    dropdown = gr.Dropdown(choices=choices, value=value, label="Model", interactive=True)
    note = gr.Markdown(availability(value, task) if value else "No model in the registry serves this tab.")
    dropdown.change(lambda key: availability(key, task), dropdown, note, api_name=False, queue=False)
    return dropdown


def precision_picker() -> gr.Radio:
    return gr.Radio(list(PRECISIONS), value=get_settings().precision, label="Precision")


def status_line() -> str:
    _, device_name = device_and_name()
    loaded = get_cache().loaded()
    models = ", ".join(f"{m.key} ({m.precision})" for m in loaded) or "none yet"
    return (
        f"**Device:** {device_name} · **default precision:** {get_settings().precision} · "
        f"**offline:** {'yes' if get_settings().offline else 'no'} · **loaded models:** {models}"
    )


# -------------------------------------------------------------------- tabs


TRANSLATE_EXAMPLES = [
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
AUTO_CHUNK = 0  # the chunk-size slider's "let translate() choose" value


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
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
) -> tuple[str, str, list[list[Any]], str, str]:
    key = registry_key(model, "translation")
    result = translator.translate(
        text,
        model=key,
        precision=precision,
        num_beams=num_beams,
        num_return_sequences=n_best,
        length_penalty=length_penalty,
        no_repeat_ngram_size=no_repeat_ngram_size,
        max_chunk_tokens=None if max_chunk_tokens in (None, AUTO_CHUNK) else max_chunk_tokens,
        progress=progress_callback(progress),
    )
    viewer = views.render_chunks(
        result.source, result.chunks, result.max_chunk_tokens, outputs=[c.hypotheses[0].text for c in result.chunks]
    )
    return (
        result.text,
        views.render_warnings(result.warnings),
        views.render_nbest(result.chunks),
        viewer,
        views.run_line(result),
    )


def build_translate_tab() -> None:
    max_beams = get_settings().max_beams
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(
                label="Text to translate",
                lines=10,
                max_length=get_settings().max_chars_translate,
                elem_id="translate-input",
            )
            model = model_picker("translation", "opus-mt-en-de")
            precision = precision_picker()
            beams = gr.Slider(
                1,
                max_beams,
                value=min(4, max_beams),
                step=1,
                label="Beams",
                info="Beam search width; 1 is greedy decoding.",
                elem_id="translate-beams",
            )
            n_best = gr.Slider(
                1,
                max_beams,
                value=1,
                step=1,
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
                    label="No-repeat n-gram size",
                    info="Forbid repeating any n-gram of this size; 0 turns it off.",
                )
                chunk_tokens = gr.Slider(
                    AUTO_CHUNK,
                    510,
                    value=AUTO_CHUNK,
                    step=1,
                    label="Max chunk tokens",
                    info="0 chooses near sentence size; capped by the model's input limit.",
                )
            button = gr.Button("Translate", variant="primary", elem_id="translate-button")
        with gr.Column():
            output = gr.Textbox(label="Translation", lines=10, interactive=False, elem_id="translate-output")
            warnings = gr.Markdown(elem_id="translate-warnings")
            ran = gr.Markdown()
            nbest = gr.Dataframe(
                headers=["Chunk", "Rank", "Translation", "Score"],
                label="N-best (best first)",
                interactive=False,
                wrap=True,
                column_widths=["9%", "9%", "66%", "16%"],
            )
    with gr.Accordion("Chunk viewer: each chunk beside its output", open=True):
        viewer = gr.HTML(elem_id="translate-chunks")
    gr.Examples(TRANSLATE_EXAMPLES, [text])
    inputs = [text, model, precision, beams, n_best, length_penalty, no_repeat, chunk_tokens]
    outputs = [output, warnings, nbest, viewer, ran]
    button.click(translate_text, inputs, outputs, api_name="translate", concurrency_id=MODEL_WORK)


QA_CONTEXT = (
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is named after "
    "the engineer Gustave Eiffel, whose company designed and built the tower from 1887 to 1889. It was the "
    "centrepiece of the 1889 World's Fair and is 330 metres tall.\n\nThe tower has three levels for visitors, "
    "with restaurants on the first and second levels. The top level's upper platform is 276 m above the ground."
)
QA_EXAMPLES = [
    ["Who designed the tower?", QA_CONTEXT],
    ["How tall is the Eiffel Tower?", QA_CONTEXT],
    ["When was the tower built?", QA_CONTEXT],
]
QA_MODES = [
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
) -> tuple[str, list[list[Any]], str, str, str]:
    key = registry_key(model, "qa")
    result = translator.answer(
        question,
        context,
        model=key,
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
        views.qa_mode_note(result),
        views.qa_answer_rows(result),
        views.qa_context_html(context, result),
        views.qa_windows_html(context, result),
        views.run_line(result),
    )


def build_qa_tab() -> None:
    settings = get_settings()
    with gr.Row():
        with gr.Column():
            question = gr.Textbox(
                label="Question", lines=1, max_length=settings.max_chars_question, elem_id="qa-question"
            )
            context = gr.Textbox(
                label="Context (long text welcome: it is read in overlapping windows)",
                lines=10,
                max_length=settings.max_chars_qa,
                elem_id="qa-context",
            )
            model = model_picker("qa", "distilbert-squad")
            precision = precision_picker()
            top_k = gr.Slider(1, settings.max_top_k, value=3, step=1, label="Answers (top-k)")
            with gr.Accordion("Advanced: windows and spans", open=False):
                max_seq_len = gr.Slider(
                    32,
                    512,
                    value=384,
                    step=8,
                    label="Window length (max_seq_len, tokens)",
                    info="Question, context and special tokens together.",
                )
                doc_stride = gr.Slider(
                    0,
                    256,
                    value=128,
                    step=8,
                    label="Window overlap (doc_stride, tokens)",
                    info="Context tokens each window shares with the one before.",
                )
                max_answer_len = gr.Slider(1, 100, value=30, step=1, label="Longest answer (tokens)")
                impossible = gr.Checkbox(False, label="Allow 'no answer' (for SQuAD 2.0 models)")
                mode = gr.Radio(QA_MODES, value="auto", label="Mode")
            button = gr.Button("Answer", variant="primary", elem_id="qa-button")
        with gr.Column():
            note = gr.Markdown(elem_id="qa-mode")
            answers = gr.Dataframe(
                headers=["Rank", "Answer", "Score", "Start", "End", "Window"],
                label="Answers",
                interactive=False,
                wrap=True,
                elem_id="qa-answers",
            )
            ran = gr.Markdown()
            highlighted = gr.HTML(label="Context with the answers", elem_id="qa-highlighted")
    with gr.Accordion("Windows in the chunk viewer (the answers' windows outlined)", open=False):
        windows = gr.HTML(elem_id="qa-windows")
    gr.Examples(QA_EXAMPLES, [question, context])
    inputs = [question, context, model, precision, top_k, max_seq_len, doc_stride, max_answer_len, impossible, mode]
    button.click(
        answer_question,
        inputs,
        [note, answers, highlighted, windows, ran],
        api_name="answer",
        concurrency_id=MODEL_WORK,
    )


SUMMARY_TEXT = (
    "Extractive summarization picks whole sentences from a text instead of writing new ones. Each sentence is "
    "turned into a vector by a sentence encoder, so that sentences about the same topic lie close together. "
    "The vectors are then grouped into as many clusters as the summary should have sentences. From every "
    "cluster, the sentence nearest to its centre is taken as the voice of that topic.\n\n"
    "The picked sentences are put back in the order of the original text, which keeps the summary readable. "
    "Very short sentences, such as headings, and very long ones are usually left out before clustering. The "
    "elbow curve shows how much tighter the clusters get with each extra cluster, which hints at how many "
    "topics the text has. A summary of one sentence per topic is often the most useful length."
)
SUMMARY_EXAMPLES = [[SUMMARY_TEXT, 3, 0.2], [SUMMARY_TEXT, 0, 0.4]]
SENTENCE_EMBEDDING = "sentence embedding"
LAYERS = [SENTENCE_EMBEDDING, "-1", "-2", "-3", "-4", "-6"]


@user_errors
def summarize_text(
    text: str,
    model: str,
    num_sentences: float,
    ratio: float,
    algorithm: str,
    min_length: float,
    max_length: float,
    use_first: bool,
    layer: str,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
) -> tuple[str, str, Any, list[list[Any]], str, str]:
    key = registry_key(model, "embeddings")
    result = translator.summarize(
        text,
        model=key,
        num_sentences=num_sentences or None,
        ratio=ratio,
        algorithm=algorithm,
        min_length=min_length,
        max_length=max_length,
        use_first=use_first,
        hidden=None if choice_arg("Sentence vectors", layer, LAYERS) == SENTENCE_EMBEDDING else int(layer),
        progress=progress_callback(progress),
    )
    chosen = sum(s.selected for s in result.sentences)
    return (
        result.summary,
        views.summary_source_html(text, result),
        views.elbow_figure(result.elbow, chosen),
        views.summary_rows(result),
        views.summary_notes(result),
        views.run_line(result),
    )


def build_summarize_tab() -> None:
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(
                label="Text to summarize",
                lines=10,
                max_length=get_settings().max_chars_summarize,
                elem_id="summarize-input",
            )
            model = model_picker("embeddings", translator.core.registry.OFFLINE_MINILM)
            num_sentences = gr.Slider(0, 50, value=3, step=1, label="Sentences (0: use the ratio)")
            ratio = gr.Slider(0.05, 1.0, value=0.2, step=0.05, label="Ratio of sentences to keep")
            algorithm = gr.Radio(
                [("k-means", "kmeans"), ("Gaussian mixture", "gmm")], value="kmeans", label="Clustering"
            )
            with gr.Accordion("Advanced", open=False):
                min_length = gr.Slider(0, 200, value=40, step=1, label="Shortest sentence kept (characters)")
                max_length = gr.Slider(50, 2000, value=600, step=10, label="Longest sentence kept (characters)")
                use_first = gr.Checkbox(True, label="Always keep the first sentence")
                layer = gr.Dropdown(
                    LAYERS,
                    value=SENTENCE_EMBEDDING,
                    label="Sentence vectors",
                    info="The model's sentence embedding, or the mean of one hidden layer "
                    "(-2: second to last). Models without a sentence embedding use -2.",
                )
            button = gr.Button("Summarize", variant="primary", elem_id="summarize-button")
        with gr.Column():
            summary = gr.Textbox(label="Summary", lines=6, interactive=False, elem_id="summarize-output")
            ran = gr.Markdown()
            notes = gr.HTML(elem_id="summarize-notes")
            elbow = gr.Plot(label="Elbow curve: k-means inertia by number of clusters", elem_id="summarize-elbow")
    source = gr.HTML(label="Source with the picked sentences", elem_id="summarize-source")
    table = gr.Dataframe(
        headers=["Rank", "Picked", "Score", "Cluster", "Sentence", "Text"],
        interactive=False,
        wrap=True,
        label="Every sentence, best rank first",
        elem_id="summarize-table",
    )
    gr.Examples(SUMMARY_EXAMPLES, [text, num_sentences, ratio])
    inputs = [text, model, num_sentences, ratio, algorithm, min_length, max_length, use_first, layer]
    button.click(
        summarize_text,
        inputs,
        [summary, source, elbow, table, notes, ran],
        api_name="summarize",
        concurrency_id=MODEL_WORK,
    )


ATTENTION_MODES = [
    ("Encoder: one text or a sentence pair", "encoder"),
    ("Translation: generate, then look at the generated text", "translation"),
]
ATTENTION_VIEW_CHOICES = [
    ("Head view", "head"),
    ("Model view", "model"),
    ("Heatmap", "heatmap"),
    ("Rollout", "rollout"),
    ("Alignment (translation)", "alignment"),
]
ATTENTION_KIND_CHOICES = [
    ("Encoder self-attention", "encoder"),
    ("Decoder self-attention", "decoder"),
    ("Cross-attention", "cross"),
]
ATTENTION_EXAMPLES = [
    ["encoder", "The animal didn't cross the street because it was too tired.", ""],
    ["encoder", "The cat sat on the mat.", "It fell asleep there because the sun was warm."],
    ["translation", "The house by the river was built in the last century.", ""],
]
ATTENTION_HINT = "<p>Press <b>Show attention</b> to compute the attention; the view options then redraw it.</p>"
# exports live here until an hour has passed; gradio copies what a handler returns into its own cache
EXPORT_DIR = Path(tempfile.gettempdir()) / "bert-studio-attention"
EXPORT_KEEP_SECONDS = 3600


def attention_options(
    view: str,
    kind: str,
    layer: float,
    heads: list[Any] | None,
    pair: str,
    word_level: bool,
    hide_special: bool,
    min_weight: float,
) -> views.AttentionOptions:
    """The view controls (the same order in every attention handler) as one options object."""
    return views.AttentionOptions(
        view=view,
        kind=kind,
        layer=layer,
        heads=tuple(heads or ()),
        pair=pair,
        word_level=bool(word_level),
        hide_special=bool(hide_special),
        min_weight=min_weight,
    )


def fit_attention_controls(result: Any, view: str, kind: str, layer: float, heads: list[Any]) -> tuple[Any, Any]:
    """The layer slider and head boxes bounded by the attention on screen (models differ in size)."""
    if result is None:
        return gr.skip(), gr.skip()
    options = views.fitted(views.AttentionOptions(view=view, kind=kind, layer=layer, heads=tuple(heads or ())), result)
    layers, n_heads = views.attention_shape(result, options)
    return (
        gr.Slider(maximum=layers, value=options.layer),
        gr.CheckboxGroup(choices=list(range(1, n_heads + 1)), value=list(options.heads)),
    )


@user_errors
def compute_attention(
    mode: str,
    encoder_model: str,
    translation_model: str,
    text: str,
    text_pair: str,
    num_beams: float,
    precision: str,
    view: str,
    kind: str,
    layer: float,
    heads: list[Any],
    pair: str,
    word_level: bool,
    hide_special: bool,
    min_weight: float,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects progress via the default)
) -> tuple[Any, ...]:
    options = attention_options(view, kind, layer, heads, pair, word_level, hide_special, min_weight)
    mode = choice_arg("Mode", mode, [value for _, value in ATTENTION_MODES])
    if mode == "translation":
        result = translator.attend_translation(
            text,
            model=registry_key(translation_model, "translation"),
            num_beams=num_beams,
            precision=precision,
            progress=progress_callback(progress),
        )
    else:
        result = translator.attend(
            text,
            text_pair=text_pair or None,
            model=registry_key(encoder_model, "encoder"),
            precision=precision,
            progress=progress_callback(progress),
        )
    return result, views.attention_view(result, views.fitted(options, result)).html, views.run_line(result)


@user_errors(gpu=False)
def redraw_attention(
    result: Any,
    view: str,
    kind: str,
    layer: float,
    heads: list[Any],
    pair: str,
    word_level: bool,
    hide_special: bool,
    min_weight: float,
) -> Any:
    if result is None:  # nothing computed yet, or the session's result expired
        return ATTENTION_HINT
    options = attention_options(view, kind, layer, heads, pair, word_level, hide_special, min_weight)
    return views.attention_view(result, views.fitted(options, result)).html


def export_folder() -> Path:
    """A fresh folder for one export; folders older than EXPORT_KEEP_SECONDS are removed first."""
    EXPORT_DIR.mkdir(exist_ok=True)
    for old in EXPORT_DIR.iterdir():
        if time.time() - old.stat().st_mtime > EXPORT_KEEP_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=EXPORT_DIR))


@user_errors(gpu=False)
def export_attention(
    result: Any,
    view: str,
    kind: str,
    layer: float,
    heads: list[Any],
    pair: str,
    word_level: bool,
    hide_special: bool,
    min_weight: float,
) -> list[str]:
    if result is None:
        raise InputError("Press “Show attention” first; the export saves the view on screen.")
    options = attention_options(view, kind, layer, heads, pair, word_level, hide_special, min_weight)
    options = views.fitted(options, result)
    rendered = views.attention_view(result, options)
    folder = export_folder()
    name = f"attention-{options.view}"
    files = {f"{name}.svg": rendered.svg.encode(), f"{name}.png": views.attention_png(rendered)}
    view_json = views.attention_json(rendered)
    if view_json is not None:
        files[f"{name}.json"] = view_json.encode()
    for filename, data in files.items():
        (folder / filename).write_bytes(data)
    # written straight to disk: the raw arrays can be hundreds of MB, too many to copy into memory first
    write_npz(result, folder / "attention-arrays.npz")
    return [str(folder / filename) for filename in [*files, "attention-arrays.npz"]]


def show_attention_mode(mode: str) -> tuple[Any, ...]:
    """Encoder mode shows the encoder models, sentence B and the pair filter; translation mode the rest."""
    translating = mode == "translation"
    return (
        gr.Column(visible=not translating),
        gr.Column(visible=translating),
        gr.Textbox(visible=not translating),
        gr.Radio(visible=translating),
        gr.Radio(visible=not translating),
    )


def build_attention_tab() -> None:
    settings = get_settings()
    with gr.Row():
        with gr.Column(scale=2):
            mode = gr.Radio(ATTENTION_MODES, value="encoder", label="Mode", elem_id="attention-mode")
            text = gr.Textbox(
                label="Text (sentence A, or the source to translate)",
                lines=4,
                max_length=settings.max_chars_attention,
                elem_id="attention-text",
            )
            text_pair = gr.Textbox(
                label="Sentence B (optional)",
                lines=2,
                max_length=settings.max_chars_attention,
                elem_id="attention-text-pair",
            )
            with gr.Column(visible=True, elem_id="attention-encoder-model") as encoder_column:
                encoder_model = model_picker("encoder", translator.core.registry.OFFLINE_MINILM)
            with gr.Column(visible=False, elem_id="attention-translation-model") as translation_column:
                translation_model = model_picker("translation", "opus-mt-en-de")
                beams = gr.Slider(
                    1,
                    settings.max_beams,
                    value=1,
                    step=1,
                    precision=0,
                    label="Beams",
                    info="1 is greedy decoding; the attention is taken on the best beam.",
                )
            precision = precision_picker()
            button = gr.Button("Show attention", variant="primary", elem_id="attention-button")
        with gr.Column(scale=3):
            view = gr.Radio(ATTENTION_VIEW_CHOICES, value="head", label="View", elem_id="attention-view-choice")
            kind = gr.Radio(ATTENTION_KIND_CHOICES, value="cross", label="Attention", visible=False)
            layer = gr.Slider(1, 12, value=1, step=1, precision=0, label="Layer", elem_id="attention-layer")
            heads = gr.CheckboxGroup(
                list(range(1, 13)), value=[], label="Heads (none ticked = all heads)", elem_id="attention-heads"
            )
            pair = gr.Radio(
                list(PAIR_FILTERS),
                value="all",
                label="Sentence pair filter",
                info="A->B: sentence A's tokens attending to sentence B's.",
            )
            with gr.Row():
                word_level = gr.Checkbox(label="Merge sub-word pieces into words")
                hide_special = gr.Checkbox(label="Hide special tokens ([CLS], [SEP], </s>…)")
            min_weight = gr.Slider(0.0, 0.5, value=0.02, step=0.01, label="Head view: hide links below this weight")
    ran = gr.Markdown()
    shown = gr.HTML(ATTENTION_HINT, elem_id="attention-view", padding=False)
    with gr.Row():
        export = gr.Button("Export this view (PNG, SVG, JSON, raw .npz)", size="sm", elem_id="attention-export")
        files = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="attention-files")
    gr.Examples(ATTENTION_EXAMPLES, [mode, text, text_pair])
    # a 512-token result is 75-400 MB of float32; dropped 30 minutes after it was computed
    result = gr.State(None, time_to_live=1800)

    mode.change(
        show_attention_mode,
        mode,
        [encoder_column, translation_column, text_pair, kind, pair],
        api_visibility="private",
        queue=False,
    )
    options = [view, kind, layer, heads, pair, word_level, hide_special, min_weight]
    fit = {
        "fn": fit_attention_controls,
        "inputs": [result, view, kind, layer, heads],
        "outputs": [layer, heads],
        "api_visibility": "private",
        "queue": False,
    }
    button.click(
        compute_attention,
        [mode, encoder_model, translation_model, text, text_pair, beams, precision, *options],
        [result, shown, ran],
        api_name="attention",
        concurrency_id=MODEL_WORK,
    ).success(**fit)
    gr.on(
        [control.input for control in options],
        redraw_attention,
        [result, *options],
        shown,
        api_name="attention_view",
        api_visibility="private",
    ).success(**fit)
    export.click(export_attention, [result, *options], files, api_name="attention_export", api_visibility="private")


CHUNK_EXAMPLES = [
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


def any_registry_key(value: Any) -> str:
    """Server-side check for the Chunks tab, which takes the tokenizer of any registry model."""
    if not isinstance(value, str) or value not in get_registry():
        raise InputError(f"Choose one of the listed models: {', '.join(get_registry().keys())}.")
    return value


@user_errors(gpu=False)
def plan_text(text: str, model: str, max_tokens: float, stride: float, mode: str) -> tuple[str, str]:
    key = any_registry_key(model)
    plan = translator.chunk_text(text, model=key, max_tokens=max_tokens, stride=stride, mode=mode)
    summary = views.render_warnings(plan.warnings)
    return views.render_chunks(plan.text, plan.chunks, plan.max_tokens), "\n\n".join(
        filter(None, [summary, views.run_line(plan)])
    )


def build_chunks_tab() -> None:
    gr.Markdown(
        "How a text is cut for a model, without running one: whole sentences packed up to the limit "
        "(what Translate does), or token windows that overlap by the stride (what QA does)."
    )
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=8, max_length=get_settings().max_chars_chunks, elem_id="chunks-input")
            keys = get_registry().keys()
            default = translator.core.registry.OFFLINE_MINILM
            model = gr.Dropdown(
                [(spec.label, spec.key) for spec in get_registry()],
                label="Tokenizer of model",
                value=default if default in keys else (keys[0] if keys else None),
            )
            max_tokens = gr.Slider(
                1,
                1024,
                value=128,
                step=1,
                label="Max tokens per chunk",
                info="Content tokens; the model adds its special tokens on top.",
            )
            stride = gr.Slider(0, 512, value=0, step=1, label="Stride (overlap tokens, windows mode)")
            mode = gr.Radio(["sentences", "windows"], value="sentences", label="Mode")
            button = gr.Button("Show chunks", variant="primary", elem_id="chunks-button")
        with gr.Column():
            ran = gr.Markdown()
            viewer = gr.HTML(elem_id="chunks-viewer")
    gr.Examples(CHUNK_EXAMPLES, [text, max_tokens, stride, mode])
    button.click(
        plan_text, [text, model, max_tokens, stride, mode], [viewer, ran], api_name="chunks", concurrency_id=MODEL_WORK
    )


# -------------------------------------------------------------------- the app


def build_demo() -> gr.Blocks:
    with gr.Blocks(title=TITLE) as blocks:
        gr.Markdown(f"# {TITLE}\nTranslate, answer, summarize and look inside BERT-family models.")
        status = gr.Markdown(status_line())
        with gr.Tabs():
            with gr.Tab("Translate", id="translate"):
                build_translate_tab()
            with gr.Tab("Question answering", id="qa"):
                build_qa_tab()
            with gr.Tab("Summarize", id="summarize"):
                build_summarize_tab()
            with gr.Tab("Attention", id="attention"):
                build_attention_tab()
            with gr.Tab("Chunks", id="chunks"):
                build_chunks_tab()
        refresh = gr.Button("Refresh status", size="sm")
        refresh.click(status_line, None, status, api_name="status", queue=False)
        blocks.load(status_line, None, status, api_name=False, queue=False)  # fresh on every page load
    settings = get_settings()
    blocks.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.queue_size)
    return blocks


demo = build_demo()


class RateLimitMiddleware(BaseHTTPMiddleware):
    """Counts every request that starts work (queue joins and direct API calls) per client address."""

    def __init__(self, app: Any, per_minute: int) -> None:
        super().__init__(app)
        self.limiter = RateLimiter(per_minute)

    async def dispatch(self, request, call_next):
        starts_work = request.method == "POST" and ("/queue/join" in request.url.path or "/call/" in request.url.path)
        if starts_work:
            forwarded = request.headers.get("x-forwarded-for", "")
            client = forwarded.split(",")[0].strip() or (request.client.host if request.client else "unknown")
            if not self.limiter.allow(client):
                return JSONResponse(
                    {"detail": "Too many requests from your address; wait a minute and try again."}, status_code=429
                )
        return await call_next(request)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=TITLE)
    # unset: GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (Spaces sets them), else 127.0.0.1:7860
    parser.add_argument("--host", help="address to listen on (0.0.0.0 for a LAN)")
    parser.add_argument("--port", type=int)
    parser.add_argument("--share", action="store_true", help="open a public Gradio share link (needs auth)")
    parser.add_argument("--auth", help="user:password required to use the app (or TRANSLATOR_AUTH)")
    parser.add_argument("--auth-file", help="a file of user:password lines")
    parser.add_argument(
        "--public-without-auth",
        action="store_true",
        help="accept that --share makes an app anyone on the internet can use",
    )
    parser.add_argument("--precision", choices=PRECISIONS, help="default precision for models")
    parser.add_argument("--offline", action="store_true", default=None, help="never contact the Hugging Face Hub")
    parser.add_argument("--registry", help="a TOML or JSON file with extra models")
    parser.add_argument("--rate-limit", type=int, help="requests per minute per client (0: off)")
    return parser.parse_args(argv)


def read_auth(args: argparse.Namespace, env: dict[str, str]) -> list[tuple[str, str]]:
    """user:password pairs from --auth, --auth-file and TRANSLATOR_AUTH; a malformed pair stops the app."""
    entries = [args.auth, env.get("TRANSLATOR_AUTH")]
    if args.auth_file:
        entries += Path(args.auth_file).read_text(encoding="utf-8").splitlines()
    pairs = []
    for entry in filter(None, (e.strip() if e else e for e in entries)):
        user, sep, password = entry.partition(":")
        if not (sep and user and password):
            sys.exit("Auth entries must look like user:password.")
        pairs.append((user, password))
    return pairs


def main(argv: list[str] | None = None) -> None:
    global demo
    args = parse_args(argv)
    auth = read_auth(args, dict(os.environ))
    if args.share and not auth and not args.public_without_auth:
        sys.exit(
            "--share puts the app on the internet: add --auth user:password (or --auth-file, TRANSLATOR_AUTH),"
            " or --public-without-auth to accept a public app anyone can use."
        )
    rate_limit = args.rate_limit
    if rate_limit is None and (args.share or os.environ.get("SPACE_ID")):
        rate_limit = 30  # public by default there; locally the limit stays off
    settings = translator.configure(
        get_settings().replace(
            precision=args.precision,
            offline=args.offline,
            registry_file=args.registry,
            rate_limit_per_minute=rate_limit,
        )
    )
    logging.basicConfig(level=logging.INFO)
    demo = build_demo()  # again: the flags may have changed the registry and the limits
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        auth=auth or None,
        show_error=False,
        enable_monitoring=False,
        max_file_size="1mb",
        footer_links=["api"],
        app_kwargs={"middleware": [Middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute)]},
    )


if __name__ == "__main__":
    main()
