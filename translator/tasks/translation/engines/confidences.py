"""Token confidences from a CTranslate2 run: each token of the best hypothesis, its probability and the runners-up.

Greedy search hands back each step's logits itself (``return_logits_vocab``). CTranslate2 4.8's beam search
returns none, so the best hypotheses are read back through the decoder: the same call with each one as a
forced ``target_prefix`` and one beam, which runs the same logits processors on the same tokens, so its
logits are the ones the search saw along that path. The logits come after the processors (a banned token
is -inf) and before the softmax: log-softmaxed here, they are the log-probs the search ranked by.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from ..results import TokenScore
from .base import ALTERNATIVES, Decode, scored_tokens


def forced(best: Sequence[list[str]]) -> dict[str, Any]:
    """translate_batch arguments that read ``best`` (one token list per text) back and return its logits."""

    def stop(step: Any) -> bool:
        """Called after each token (forced ones too): True ends a text at the end of its hypothesis."""
        return step.step + 1 >= len(best[step.batch_id])

    return dict(target_prefix=list(best), beam_size=1, num_hypotheses=1, return_logits_vocab=True, callback=stop)


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
    steps = torch.stack([torch.from_numpy(_array(step)) for step in logits]).float()  # (tokens, vocab)
    log_probs = torch.log_softmax(steps, dim=-1)
    token_ids = [ids[t] for t in tokens]
    chosen = log_probs.gather(-1, torch.tensor(token_ids)[:, None]).squeeze(-1).tolist()
    top = log_probs.topk(min(ALTERNATIVES + 1, log_probs.shape[-1]), dim=-1)
    return scored_tokens(token_ids, chosen, top.indices.tolist(), top.values.tolist(), vocabulary, specials, decode)


def _array(step: Any) -> np.ndarray:
    """A StorageView as a float32 numpy array on the CPU (on CUDA it may live on the GPU, in fp16/bf16)."""
    import ctranslate2

    if step.device != "cpu":
        step = step.to_device(ctranslate2.Device.cpu)
    if step.dtype != ctranslate2.DataType.float32:
        step = step.to(ctranslate2.DataType.float32)
    return np.array(step, copy=True)
