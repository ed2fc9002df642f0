"""Token confidences from a CTranslate2 run: each token of the best hypothesis, its probability and the runners-up.

Greedy search hands back each step's logits itself (``return_logits_vocab``). CTranslate2 4.8's beam search
returns none (one vector per hypothesis, not one per step; its pull requests 2018 and 2025, after 4.8.5, address
it), so the best hypotheses are read back through the decoder: the same call with each one as a forced
``target_prefix`` and one beam, which runs the same logits processors on the same tokens, so its logits are the
ones the search saw along that path. The logits come after the processors (a banned token is -inf) and before
the softmax: log-softmaxed here, they are the log-probs the search ranked by.

Why this pass and no cheaper one: CTranslate2's Translator has no forward pass that returns logits for every
position at once (``score_batch`` does one, but returns only the given tokens' log-probs, without the runners-up
or the processors), and ``return_alternatives`` decodes each text on its own.

A forced step reads every weight once per batch, whatever its rows: split between two workers, a float32 pass
reads its weights twice for little gain (20 texts of the opus-mt-sized Marian on 2 cores: 1.9 s on one worker;
3.4 CPU seconds, 1.75 s wall on two), an int8 pass, a quarter of the bytes, gains (0.76 s; 1.0, 0.53 s). So
float passes run as one batch and int8 ones split (``forced(split=...)``).

The arithmetic is numpy's, on one thread: a few vectors per token, too little for torch's thread pool, which
stalls on each small op while another process holds a core (stacking 20 texts' step logits: 0.02-0.04 s in
either on an idle 2-core machine; at load 3, 5 s in torch, 0.02 s in numpy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..results import TokenScore
from .base import ALTERNATIVES, Decode, scored_tokens


def forced(best: Sequence[list[str]], split: bool = False) -> dict[str, Any]:
    """translate_batch arguments that read ``best`` (one token list per text) back and return its logits; with
    ``split``, the texts shared between the workers, else in one batch (see the module's docstring)."""

    def stop(step: Any) -> bool:
        """Called after each token (forced ones too): True ends a text at the end of its hypothesis."""
        return step.step + 1 >= len(best[step.batch_id])

    return dict(
        target_prefix=list(best),
        beam_size=1,
        num_hypotheses=1,
        return_logits_vocab=True,
        callback=stop,
        **({} if split else {"max_batch_size": 0}),
    )


def token_scores(
    vocabulary: Sequence[str],
    ids: Mapping[str, int],
    tokens: list[str],
    logits: Sequence[Any],
    specials: set[int],
    decode: Decode | None = None,
) -> tuple[TokenScore, ...]:
    """Each of ``tokens`` with its probability and the step's top other tokens; ``logits`` holds one vector per
    token (CTranslate2 StorageViews over ``vocabulary``). Empty where the two don't line up (the time limit).
    ``decode``: the tokenizer's (base.decoder), for the text each token shows (scored_tokens)."""
    if not tokens or len(logits) != len(tokens):
        return ()
    steps = np.stack([_array(step) for step in logits])  # (tokens, vocab)
    top_ids, top_logits = top_k(steps, ALTERNATIVES + 1)
    # log-softmax = logit - log-sum-exp, shifted by each step's largest logit so no exp overflows
    peak = top_logits[:, :1]
    normalizer = peak[:, 0] + np.log(np.exp(steps - peak).sum(axis=-1))  # (tokens,)
    token_ids = [ids[t] for t in tokens]
    chosen = steps[np.arange(len(token_ids)), token_ids] - normalizer
    top_log_probs = top_logits - normalizer[:, None]
    return scored_tokens(
        token_ids, chosen.tolist(), top_ids.tolist(), top_log_probs.tolist(), vocabulary, specials, decode
    )


def top_k(steps: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest entries of each row of ``steps`` (rows, vocab), largest first: (ids, values), each
    (rows, k). A few argmax passes: a sort or argpartition of a vocabulary-wide row costs far more for k of 4."""
    k = min(k, steps.shape[-1])
    rows = np.arange(len(steps))
    rest = steps.copy()
    picked = []
    for _ in range(k):
        best = rest.argmax(axis=-1)
        picked.append(best)
        rest[rows, best] = -np.inf
    top = np.stack(picked, axis=1)
    return top, steps[rows[:, None], top]


def _array(step: Any) -> np.ndarray:
    """A StorageView as a float32 numpy array on the CPU (on CUDA it may live on the GPU, in fp16/bf16); on the CPU
    in float32 a view of it, not a copy (the caller's stack copies it once)."""
    import ctranslate2

    if step.device != "cpu":
        step = step.to_device(ctranslate2.Device.cpu)
    if step.dtype != ctranslate2.DataType.float32:
        step = step.to(ctranslate2.DataType.float32)
    return np.asarray(step)
