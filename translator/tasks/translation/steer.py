"""steer(): "and if it had picked that word?" One chunk translated as the model would and with a forced start.

preprocess: the text must make one chunk (as the beam tree asks); the prefix is target tokens, from text
(the target tokenizer, no end token) or as token texts taken as they are (``TranslatedChunk.tokens[i].text``).
forward: the steered decode, and the model's own in the same call of the chosen engine unless the caller hands
it in (``original``: the translation it already shows, so a steer costs one decode), under the generate path's cap.
postprocess: the steered output's confidences, omission flags and its word diff against the original.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from ...core.checks import text_arg
from ...core.errors import InputError
from ...core.limits import content_limit, new_token_limit
from ...core.results import run_info
from ...core.settings import get_settings
from ...text.chunking import plan_chunks
from . import omissions
from .compare import word_diff
from .engines import prefix as forcing
from .engines.choice import load_translator
from .generation import generation_options, new_token_cap
from .results import Hypothesis, SteeredTranslation


def steer(
    text: str,
    *,
    prefix: str | None = None,
    prefix_tokens: Sequence[str] | None = None,
    model: str = "opus-mt-en-de",
    num_beams: int = 4,
    length_penalty: float = 1.0,
    no_repeat_ngram_size: int = 0,
    engine: str = "auto",
    precision: str = "auto",
    original: Hypothesis | None = None,
) -> SteeredTranslation:
    """Translate ``text`` (one sentence or one chunk) as the model would, and again starting with the given
    prefix, which the model continues with the same search. Give exactly one of ``prefix`` (the start of the
    translation as text) and ``prefix_tokens`` (target token texts, e.g. ``["▁Das", "▁Haus"]``).

    ``original``: the model's own translation of this chunk under these settings when the caller has it
    (``translate(...).chunks[i].hypotheses[0]``), taken as it is: then only the steered translation is decoded."""
    started = time.perf_counter()
    text_arg("text to steer", text, get_settings().max_chars_translate)
    if (prefix is None) == (prefix_tokens is None):
        raise InputError("Give exactly one of prefix (the start of the translation as text) and prefix_tokens.")
    if original is not None and not isinstance(original, Hypothesis):
        raise InputError(f"original must be a Hypothesis (a translated chunk's best), not {type(original).__name__}.")
    options = generation_options(num_beams, 1, length_penalty, no_repeat_ngram_size)
    loaded, notes = load_translator(model, precision, engine)
    languages = loaded.spec.languages or ("en", "en")
    chunks = plan_chunks(text, loaded.tokenizer, max_tokens=content_limit(loaded), language=languages[0], pack=True)
    if len(chunks) != 1:
        raise InputError(
            f"Steering takes one sentence or one chunk at a time and this text makes {len(chunks)}; "
            "pass a single sentence or one chunk of a translation."
        )
    chunk = chunks[0]
    cap = new_token_cap(chunk.n_tokens, new_token_limit(loaded.model.config, options.max_new_tokens))
    forced = forced_tokens(loaded.tokenizer, prefix, prefix_tokens, cap)
    own, steered = forcing.steered(loaded, chunk.text, cap, options, list(forced), own=original is None)
    original = original or own.hypotheses[0]
    best = steered.hypotheses[0].text
    warnings = [
        f"The steered translation stopped before the model ended the sentence (at {cap} new tokens, the limit for "
        "this sentence), so it may be cut short."
    ] * steered.truncated
    return SteeredTranslation(
        source=chunk.text,
        original=original,
        steered=steered.hypotheses[0],
        forced=forced,
        forced_logprob=math.fsum(forcing.log_probs(steered.tokens[: len(forced)])),
        tokens=steered.tokens,
        flags=omissions.omission_flags(
            chunk.text, best, source_sentences=1, truncated=steered.truncated, target_language=languages[1]
        ),
        changes=word_diff(original.text, best),
        truncated=steered.truncated,
        max_new_tokens=cap,
        num_beams=options.num_beams,
        length_penalty=options.length_penalty,
        **run_info(loaded, started, warnings, notes=notes),
    )


def forced_tokens(tokenizer: Any, prefix: str | None, prefix_tokens: Sequence[str] | None, cap: int) -> tuple[str, ...]:
    """The prefix as target token texts, each one the model's vocabulary has, no end-of-sequence token, shorter
    than ``cap`` (the chunk's new-token cap). Shared with beam_search_tree, which draws a steered run."""
    tokens = _prefix_tokens(tokenizer, prefix, prefix_tokens)
    if len(tokens) >= cap:
        raise InputError(
            f"The prefix is {len(tokens)} tokens and this chunk may generate {cap}: give a shorter prefix, "
            "so that the model has room to finish the sentence."
        )
    return tokens


def _prefix_tokens(tokenizer: Any, prefix: str | None, prefix_tokens: Sequence[str] | None) -> tuple[str, ...]:
    if prefix is not None:
        if not isinstance(prefix, str):
            raise InputError(f"The prefix must be text, not {type(prefix).__name__}.")
        if not prefix.strip():
            return ()
        ids = tokenizer(text_target=prefix, add_special_tokens=False)["input_ids"]
        return tuple(tokenizer.convert_ids_to_tokens(ids))
    if isinstance(prefix_tokens, str) or not all(isinstance(t, str) for t in prefix_tokens or ()):
        raise InputError("prefix_tokens must be a list of token texts, such as ['▁Das', '▁Haus'].")
    tokens = tuple(prefix_tokens or ())
    vocabulary = tokenizer.get_vocab()
    unknown = [t for t in tokens if t not in vocabulary]
    if unknown:
        raise InputError(f"The model's vocabulary has no token {unknown[0]!r}: use the token texts the model shows.")
    ends = set(tokenizer.all_special_tokens)
    if any(t in ends for t in tokens):
        raise InputError("The prefix can't hold special tokens such as the end of the sentence; leave them out.")
    return tokens
