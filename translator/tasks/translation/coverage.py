"""coverage(): which source tokens the model barely looked at while translating one chunk.

The translation runs through attend_translation(), i.e. the same generate path as translate(), then
one teacher-forced pass gives the cross-attention on the generated text, ``(layers, heads, target,
source)``. Each decoder step that predicts a token (every row but the last: the last row reads the
final token and predicts nothing) hands out one unit of attention over the source; averaged over
layers and heads and summed over steps, that is what each source token *received*. Special tokens
(Marian's ``</s>``) soak up much of it as a resting place, so shares are taken over the content
tokens only. A token whose share is below ``threshold`` times an even share (1 / content tokens)
received almost no attention: a hint, not proof, that its meaning is missing from the output.
Attention is not alignment; read the drawing next to the translation.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np

from ...core.checks import float_arg, int_arg
from ...core.loading import load_model
from ...core.results import Progress, run_info
from ...text.chunking import token_offsets
from ..attention.extract import attend_translation
from .engines.choice import explaining
from .results import Coverage, TranslationResult

# a token under a fifth of an even share received "almost no" attention; one that merely shares its
# attention with a neighbouring sub-word piece or with punctuation stays above it
LOW_SHARE = 0.2


def coverage(
    source: str,
    *,
    model: str = "opus-mt-en-de",
    num_beams: int = 1,
    precision: str = "auto",
    threshold: float = LOW_SHARE,
    progress: Progress | None = None,
) -> Coverage:
    """Translate ``source`` (one chunk) and say how much cross-attention each of its tokens received."""
    started = time.perf_counter()
    threshold = float_arg("The coverage threshold", threshold, 0.0, 1.0)
    attention = attend_translation(source, model=model, num_beams=num_beams, precision=precision, progress=progress)
    content = [i for i, special in enumerate(attention.source_special) if not special]
    received = received_shares(attention.cross, attention.source_special)
    loaded = load_model(model, "translation", precision=precision, attn="eager")  # the copy attention used
    # the same tokenization attend_translation used; a token cap keeps a prefix of it
    spans = token_offsets(source, loaded.tokenizer)[: len(content)]
    even = 1.0 / max(1, len(content))
    return Coverage(
        source=source,
        translation=attention.translation,
        tokens=[attention.source_tokens[i] for i in content],
        spans=spans,
        received=[float(r) for r in received],
        low=[bool(r < threshold * even) for r in received],
        threshold=threshold,
        num_beams=attention.num_beams,
        cut=attention.cut,
        **{**run_info(loaded, started), "warnings": attention.warnings},
    )


def received_shares(cross: np.ndarray, special: Sequence[bool]) -> np.ndarray:
    """Each content (non-special) source token's share of the cross-attention of the steps that predicted
    a token; ``cross`` is ``(layers, heads, target, source)``. Shares sum to 1."""
    content = [i for i, is_special in enumerate(special) if not is_special]
    steps = cross[:, :, :-1, :] if cross.shape[2] > 1 else cross  # the last row predicts nothing
    mass = steps.mean(axis=(0, 1)).sum(axis=0)[content]  # (content tokens,)
    total = float(mass.sum())
    return mass / total if total > 0 else np.full(len(content), 1.0 / max(1, len(content)))


def chunk_coverage(result: TranslationResult, index: int, *, threshold: float = LOW_SHARE) -> Coverage:
    """coverage() of chunk ``index`` (0-based) of a translate() result, with the model and beams it ran with, at
    the precision that explains it (engines/choice.py: the same numbers, except CTranslate2's int8); a note says
    so when the numbers or the translation here differ from the chunk's."""
    chunk = result.chunks[int_arg("The chunk number", index, 0, len(result.chunks) - 1)]
    precision, note = explaining(result.engine, result.precision)
    found = coverage(
        chunk.source, model=result.model, num_beams=result.num_beams, precision=precision, threshold=threshold
    )
    notes = [note] if note else []
    if found.translation != chunk.best:
        notes.append(
            f"This translation differs from the one of chunk {index + 1} ({result.engine} engine); "
            "the coverage shown is that of the translation here."
        )
    return dataclasses.replace(found, warnings=(*found.warnings, *notes)) if notes else found
