"""attribute_answer(): which question and context tokens made the model pick an answer.

Span mode (a QA checkpoint): the chosen span's start + end logits, attributed to the tokens of the window the
answer came from (question, that window's context, special tokens). Retrieval mode (no QA checkpoint here, the
bundled MiniLM instead, as answer() falls back): the cosine similarity between the question and the chosen
sentence, attributed to the sentence's tokens with the question's vector held fixed, and to the question's tokens
with the sentence's vector held fixed (two runs, each complete on its own; the delta is the larger gap).
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import numpy as np
import torch

from ...core.checks import bool_arg, int_arg, text_arg
from ...core.errors import InputError, ModelUnavailableError
from ...core.limits import model_input_limit
from ...core.loading import LoadedModel, load_model
from ...core.results import Progress, report, run_info
from ...core.settings import get_settings
from .. import embeddings
from ..qa import DEFAULT_MODEL, answer
from .attribution import attribution_words, mean_or_nan, method_and_steps
from .gradients import Objective, attribute_layers
from .results import Attribution
from .tokens import Axis, axis_from_encoding, axis_from_ids, tokens_and_special


def _baseline(ids: list[int], special: list[bool], pad_id: int) -> list[int]:
    """Integrated gradients' starting point: special tokens kept, everything else padding."""
    return [i if flag else pad_id for i, flag in zip(ids, special, strict=True)]


def _span_objective(loaded: LoadedModel, encoding: Any, axis: Axis, start: int, end: int) -> Objective:
    """start_logits[start] + end_logits[end] as a function of the window's ids; the other inputs held."""
    net, device = loaded.model, loaded.device
    accepted = inspect.signature(net.forward).parameters
    extra = {
        n: torch.tensor([encoding[n]], device=device) for n in ("token_type_ids",) if n in encoding and n in accepted
    }

    def forward(input_ids: torch.Tensor) -> torch.Tensor:
        held = {name: value.expand(input_ids.shape[0], -1) for name, value in extra.items()}
        output = net(input_ids=input_ids, **held)
        return (output.start_logits[:, start] + output.end_logits[:, end])[:, None]  # (batch, 1)

    ids = encoding["input_ids"]
    return Objective(
        forward=forward,
        layers=[net.get_input_embeddings()],
        inputs=[torch.tensor([ids], device=device)],
        baselines=[torch.tensor([_baseline(ids, axis.special, loaded.tokenizer.pad_token_id)], device=device)],
        outputs=[0],
    )


def _span_rows(
    loaded: LoadedModel,
    question: str,
    context: str,
    chosen: Any,
    window: Any,
    method: str,
    steps: int,
    progress: Progress | None,
) -> tuple[Axis, np.ndarray, np.ndarray | None]:
    """Attribution over the answer's window, re-read as one question/context pair."""
    tokenizer = loaded.tokenizer
    piece = context[window.char_start : window.char_end]
    question_first = tokenizer.padding_side == "right"  # answer()'s rule: left-padding tokenizers read context first
    texts = [question, piece] if question_first else [piece, question]
    encoding = tokenizer(*texts, return_offsets_mapping=True, verbose=False)
    axis = axis_from_encoding(tokenizer, encoding, texts)
    sequence = 1 if question_first else 0
    start_char, end_char = chosen.start - window.char_start, chosen.end - window.char_start
    inside = [
        i
        for i, ((a, b), s) in enumerate(zip(encoding["offset_mapping"], encoding.sequence_ids(), strict=True))
        if s == sequence and b > start_char and a < end_char
    ]
    if not inside:
        raise InputError("This answer covers no token of its window; choose another answer.")
    found = attribute_layers(_span_objective(loaded, encoding, axis, inside[0], inside[-1]), method, steps, progress)
    return axis, found.per_input[0], found.deltas


def _retrieval_rows(
    encoder: LoadedModel, question: str, sentence: str, method: str, steps: int, progress: Progress | None
) -> tuple[Axis, np.ndarray, np.ndarray | None]:
    """Cosine(question, sentence) attributed to each side's tokens with the other side's vector held."""
    model, tokenizer, device = encoder.model, encoder.tokenizer, encoder.device
    limit = min(model.max_seq_length, model_input_limit(tokenizer))
    sides = []
    for text in (question, sentence):
        ids = tokenizer(text, verbose=False)["input_ids"]
        if len(ids) > limit:
            raise InputError(f"The answer sentence is {len(ids):,} tokens long; {encoder.key} reads at most {limit}.")
        sides.append(torch.tensor([ids], device=device))

    def embed(ids: torch.Tensor) -> torch.Tensor:
        return model({"input_ids": ids, "attention_mask": torch.ones_like(ids)})["sentence_embedding"]

    def similarity_to(other: torch.Tensor):
        def forward(ids: torch.Tensor) -> torch.Tensor:
            return torch.cosine_similarity(embed(ids), other.expand(len(ids), -1))[:, None]  # (batch, 1)

        return forward

    with torch.inference_mode():
        fixed = [embed(ids).clone() for ids in sides]  # (1, dim) each
    rows, deltas = [], []
    for index, ids in enumerate(sides):
        special = tokens_and_special(tokenizer, ids[0].tolist())[1]
        objective = Objective(
            forward=similarity_to(fixed[1 - index]),
            layers=[model[0].auto_model.get_input_embeddings()],
            inputs=[ids],
            baselines=[torch.tensor([_baseline(ids[0].tolist(), special, tokenizer.pad_token_id)], device=device)],
            outputs=[0],
        )
        found = attribute_layers(objective, method, steps, progress)
        rows.append(found.per_input[0])
        deltas.append(found.deltas)
    both = torch.cat(sides, dim=1)[0].tolist()
    axis = axis_from_ids(tokenizer, both)
    return axis, np.concatenate(rows, axis=1), None if deltas[0] is None else np.maximum(*np.abs(deltas))


def attribute_answer(
    question: str,
    context: str,
    *,
    model: str = DEFAULT_MODEL,
    answer_index: int = 0,
    method: str = "integrated_gradients",
    steps: int = 32,
    precision: str = "auto",
    mode: str = "auto",
    word_level: bool = False,
    progress: Progress | None = None,
) -> Attribution:
    """Explain answer ``answer_index`` (0 = the best) that answer() gives, by the tokens that led to it.

    ``mode`` as answer(): "auto" falls back to sentence retrieval when ``model`` can't be loaded.
    """
    started = time.perf_counter()
    if method == "attention":
        raise InputError("Extractive QA has no cross-attention; choose integrated_gradients or input_x_gradient.")
    method, steps = method_and_steps(method, steps, precision)
    settings = get_settings()
    question = text_arg("question", question, settings.max_chars_question)
    context = text_arg("context", context, settings.max_chars_qa)
    word_level = bool_arg("word_level", word_level)
    index = int_arg("answer_index", answer_index, 0, settings.max_top_k - 1)
    report(progress, 0.02, "finding the answer")
    found = answer(question, context, model=model, top_k=index + 1, precision=precision, mode=mode)
    if index >= len(found.answers):
        raise InputError(f"There are {len(found.answers)} answers; answer_index must be below that.")
    chosen = found.answers[index]
    if not chosen.text:
        raise InputError("The chosen answer is “no answer”, which no token span produced; choose another answer.")
    report(progress, 0.15, "attributing the answer")
    if found.mode == "span":
        loaded = load_model(model, "qa", precision)
        axis, scores, deltas = _span_rows(
            loaded, question, context, chosen, found.windows[chosen.window], method, steps, progress
        )
    else:
        loaded = embeddings.sentence_encoder(embeddings.default_embedding_model())
        if loaded.model[0].auto_model is None:
            raise ModelUnavailableError(f"{loaded.key} has no transformer to take gradients through.")
        axis, scores, deltas = _retrieval_rows(loaded, question, chosen.text, method, steps, progress)
    result = Attribution(
        kind=found.mode if found.mode == "retrieval" else "qa",
        method=method,
        steps=steps,
        source_tokens=axis.tokens,
        target_tokens=[chosen.text],
        prefix_tokens=[],
        positions=[0],
        scores=scores.astype(np.float32),
        deltas=deltas,
        convergence_delta=None if deltas is None else float(np.abs(deltas).max()),
        attention=None,
        rank_correlation=[float("nan")],
        mean_rank_correlation=mean_or_nan([]),
        contrast="",
        alternatives=[()],
        translation=chosen.text,
        source_special=axis.special,
        prefix_special=[],
        target_special=[False],
        source_words=axis.words,
        prefix_words=[],
        target_words=[0],
        source_word_labels=axis.word_labels,
        prefix_word_labels=[],
        target_word_labels=[chosen.text],
        word_level=False,
        **run_info(loaded, started, found.warnings),
    )
    return attribution_words(result) if word_level else result
