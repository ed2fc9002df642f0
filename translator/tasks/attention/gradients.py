"""Captum's layer methods over embedding outputs: one attribution row per explained output, many rows per call.

Each explained output (a target token's log-probability, an answer's start + end logits) is one row. The inputs
are repeated once per row and Captum's ``target`` picks each row's own output, so every row gets its own
gradient while the forward passes stay batched (``internal_batch_size``: interpolation steps x rows per pass).
Attributions are taken at the output of the embedding lookups (``LayerIntegratedGradients``,
``LayerGradientXActivation``) and summed over the hidden size: one signed number per token.

The cached model is shared: Captum's hooks live only for the call, and the UI's per-model lock keeps two calls
on one model from overlapping.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ...core.results import Progress, report

# tokens (rows x steps x sequence length) per forward + backward pass: ~1 GB of activations on an opus-mt-sized
# model, and large enough matmuls to keep a CPU busy
BATCH_TOKENS = 2_048
GRADIENT_METHODS = ("integrated_gradients", "input_x_gradient")

# forward(*id tensors, each (batch, n_i)) -> (batch, outputs): the numbers explained
Forward = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class Objective:
    """What to explain: a forward over id tensors, the embedding module each id tensor goes through, the ids."""

    forward: Forward
    layers: Sequence[torch.nn.Module]  # one per input, each run once per forward
    inputs: Sequence[torch.Tensor]  # (1, n_i) ids
    baselines: Sequence[torch.Tensor]  # (1, n_i) ids: content replaced by padding, special tokens kept
    outputs: Sequence[int]  # the forward's output column each row explains


@dataclass(frozen=True)
class Gradients:
    per_input: list[np.ndarray]  # one (rows, n_i) float32 per input
    deltas: np.ndarray | None  # (rows,): sum of a row - (f(input) - f(baseline)); integrated gradients only


def _counting(forward: Forward, total: int, progress: Progress | None) -> Forward:
    """``forward`` reporting through ``progress`` how many of ``total`` rows x steps have gone through with grad."""
    done = [0]

    def counted(*ids: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():  # the no-grad passes are Captum's completeness check, not steps
            done[0] += ids[0].shape[0]
            report(progress, 0.2 + 0.75 * min(1.0, done[0] / total), f"gradients: {done[0]:,} of {total:,} steps")
        return forward(*ids)

    return counted


def attribute_layers(objective: Objective, method: str, steps: int, progress: Progress | None = None) -> Gradients:
    """Per-token attributions of every output row to every input (method: GRADIENT_METHODS)."""
    from captum.attr import LayerGradientXActivation, LayerIntegratedGradients

    rows = len(objective.outputs)
    inputs = tuple(ids.expand(rows, -1) for ids in objective.inputs)  # (rows, n_i): one copy per explained output
    baselines = tuple(ids.expand(rows, -1) for ids in objective.baselines)
    target = list(objective.outputs)
    layers = list(objective.layers)
    length = sum(ids.shape[1] for ids in inputs)
    passes = rows * (steps if method == "integrated_gradients" else 1)
    forward = _counting(objective.forward, passes, progress)
    with warnings.catch_warnings():
        # Captum warns whenever several layers are given; encoder and decoder embeddings don't feed each other
        warnings.filterwarnings("ignore", message="Multiple layers provided")
        if method == "integrated_gradients":
            attributions, deltas = LayerIntegratedGradients(forward, layers).attribute(
                inputs,
                baselines=baselines,
                target=target,
                n_steps=steps,
                internal_batch_size=max(rows, BATCH_TOKENS // length),  # Captum takes no fewer than the rows
                return_convergence_delta=True,
            )
        else:
            attributions, deltas = LayerGradientXActivation(forward, layers).attribute(inputs, target=target), None
    if not isinstance(attributions, list):  # one layer: Captum returns its tensor alone
        attributions = [attributions]
    # (rows, n_i, hidden) -> (rows, n_i): one signed number per token, whose sum keeps completeness
    per_input = [a.sum(-1).float().detach().cpu().numpy() for a in attributions]
    report(progress, 0.97, "gradients done")
    return Gradients(per_input, None if deltas is None else deltas.float().detach().cpu().numpy())
