"""The one generate path: Translate, Attention's translation mode, the beam tree and evaluation all come here.

Same options, same per-chunk new-token caps, ``forced_eos_token_id=None`` (a forced ``</s>`` at the
cap would hide a cut), same truncation detection. ``generate_batch`` hands a batch of source texts to
an ``Engine`` (engines/transformers.py, the reference and 4-bit path; engines/ctranslate2.py, the fast one)
and gets back one ``Generated`` per text, best hypothesis first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...core.checks import bool_arg, choice_arg, float_arg, int_arg
from ...core.errors import InputError
from ...core.limits import new_token_limit
from ...core.settings import get_settings
from ...text.chunking import Chunk
from .engines import ctranslate2, transformers
from .engines.base import DECODINGS, Engine, Generated, GenerationOptions, Seq2Seq

# new tokens allowed per chunk: output length ~ input length for these language pairs, plus headroom
NEW_TOKENS_PER_INPUT_TOKEN = 1.5
NEW_TOKENS_HEADROOM = 10
# padded source tokens x beams per generate() call; bounds memory and keeps CPU matmuls large
BATCH_TOKEN_BUDGET = 8_192
# rows per generate() call, whatever their length
MAX_BATCH_ROWS = 64
LENGTH_PENALTY_RANGE = (-5.0, 5.0)
MAX_NO_REPEAT_NGRAM = 20
# sampling: a temperature near 0 is greedy decoding (and divides by ~0), past 5 every token is about as likely
TEMPERATURE_RANGE = (0.05, 5.0)
MAX_TOP_K = 1_000  # 0 turns top-k off
TOP_P_RANGE = (0.01, 1.0)  # 1.0 turns top-p off
MAX_SEED = 2**32 - 2  # CTranslate2's seeds are 32-bit, and 2**32 - 1 means "no seed" there
# log-prob units taken off per earlier group's choice of a token; past 10 no group repeats another's token
DIVERSITY_RANGE = (0.0, 10.0)


def generation_options(
    num_beams: object = 4,
    num_return_sequences: object = 1,
    length_penalty: object = 1.0,
    no_repeat_ngram_size: object = 0,
    *,
    decoding: object = "beam",
    temperature: object = 1.0,
    top_k: object = 0,
    top_p: object = 1.0,
    seed: object = None,
    num_beam_groups: object = 1,
    diversity_penalty: object = 0.0,
    confidences: object = True,
) -> GenerationOptions:
    """Options checked against the settings; each bad value is one sentence that says how to fix it.

    Sampling draws each token (one beam; ``num_beams`` is not used) and returns up to ``num_return_sequences``
    distinct samples. Diverse beam search splits ``num_beams`` into ``num_beam_groups`` equal groups.
    """
    settings = get_settings()
    mode = choice_arg("The decoding", decoding, DECODINGS)
    beams = 1 if mode == "sampling" else int_arg("The number of beams", num_beams, 1, settings.max_beams)
    most = settings.max_top_k if mode == "sampling" else min(beams, settings.max_top_k)
    n_best = int_arg("The number of translations per chunk (n-best)", num_return_sequences, 1, None)
    if n_best > most:
        raise InputError(
            "Greedy decoding (1 beam) makes one translation per chunk: set n-best to 1, or use more beams or "
            "sampling for several."
            if beams == 1 and mode == "beam"
            else f"The number of translations per chunk (n-best) must be between 1 and {most}, not {n_best}"
            + (" (at most the beams)." if most == beams else ".")
        )
    groups = int_arg("The number of beam groups", num_beam_groups, 1, beams) if mode == "diverse" else 1
    if mode == "diverse" and (groups < 2 or beams % groups):
        raise InputError(
            f"Diverse beam search needs at least 2 beam groups that split the {beams} beams evenly, not {groups}."
        )
    return GenerationOptions(
        num_beams=beams,
        num_return_sequences=n_best,
        length_penalty=float_arg("The length penalty", length_penalty, *LENGTH_PENALTY_RANGE),
        no_repeat_ngram_size=int_arg("The no-repeat n-gram size", no_repeat_ngram_size, 0, MAX_NO_REPEAT_NGRAM),
        max_new_tokens=settings.max_new_tokens,
        max_time=settings.max_generate_seconds,
        decoding=mode,
        temperature=float_arg("The temperature", temperature, *TEMPERATURE_RANGE) if mode == "sampling" else 1.0,
        top_k=int_arg("Top-k", top_k, 0, MAX_TOP_K) if mode == "sampling" else 0,
        top_p=float_arg("Top-p", top_p, *TOP_P_RANGE) if mode == "sampling" else 1.0,
        seed=None if seed is None or mode != "sampling" else int_arg("The seed", seed, 0, MAX_SEED),
        num_beam_groups=groups,
        diversity_penalty=float_arg("The diversity penalty", diversity_penalty, *DIVERSITY_RANGE)
        if mode == "diverse"
        else 0.0,
        confidences=bool_arg("The token confidences switch", confidences),
    )


def new_token_cap(n_tokens: int, ceiling: int) -> int:
    """New tokens a text of ``n_tokens`` source tokens may generate, at most ``ceiling``."""
    return max(1, min(ceiling, math.ceil(n_tokens * NEW_TOKENS_PER_INPUT_TOKEN) + NEW_TOKENS_HEADROOM))


def make_batches(
    chunks: Sequence[Chunk], num_beams: int, token_budget: int = BATCH_TOKEN_BUDGET, max_rows: int = MAX_BATCH_ROWS
) -> list[list[Chunk]]:
    """Chunks sorted longest first, cut into batches whose padded size x beams stays within ``token_budget``.

    Longest first: similar lengths share a batch (little padding), and the slowest batch runs first, so
    progress and any time limit show up early.
    """
    batches: list[list[Chunk]] = []
    current: list[Chunk] = []
    for chunk in sorted(chunks, key=lambda c: (-c.n_tokens, c.index)):
        width = max(current[0].n_tokens, 1) if current else max(chunk.n_tokens, 1)
        if current and ((len(current) + 1) * width * num_beams > token_budget or len(current) == max_rows):
            batches.append(current)
            current = []
        current.append(chunk)
    if current:
        batches.append(current)
    return batches


def generate_batch(
    loaded: Seq2Seq, texts: Sequence[str], n_tokens: Sequence[int], options: GenerationOptions
) -> list[Generated]:
    """Generate for each text under its own cap (from its source token count), best hypothesis first.

    The engine ``loaded`` was loaded for runs the batch; a text's output is the same in any batch as alone,
    because each text keeps its own cap.
    """
    ceiling = new_token_limit(loaded.model.config, options.max_new_tokens)
    caps = [new_token_cap(n, ceiling) for n in n_tokens]
    return engine_for(loaded).generate(loaded, list(texts), caps, options)


def engine_for(loaded: Seq2Seq) -> Engine:
    """The engine that runs ``loaded``, known by what its model is: a converted CTranslate2 model, else torch's."""
    return ctranslate2 if isinstance(loaded.model, ctranslate2.FastModel) else transformers


def truncation_warning(numbers: Sequence[int], options: GenerationOptions) -> str:
    """One sentence naming the (1-based) chunks whose best hypothesis stopped before ending."""
    listed = ", ".join(str(n) for n in numbers[:10]) + (" …" if len(numbers) > 10 else "")
    return (
        f"{len(numbers)} chunk(s) stopped before the model ended the sentence (chunk {listed}): they hit the "
        f"new-token limit or the {options.max_time:g}-second time limit, so their translation may be cut "
        "short. Try a smaller chunk size."
    )
