"""Diverse beam search (Vijayakumar et al. 2016) on transformers' own beam search, one beam group at a time.

transformers 5 moved group beam search out of ``generate()`` to a hub ``custom_generate`` repository, which
runs downloaded code (``trust_remote_code``): not here. The algorithm needs no special search: group g is a
plain beam search whose log-prob of a token drops by ``diversity_penalty`` x the times the beams of groups
0..g-1 chose that token at the same step. Earlier groups never look at later ones, so running the groups one
after another, each with ``GroupDiversity`` remembering what the groups before it chose, is the same search as
running them side by side. (Each group sees the tokens of the earlier groups' running beams; a beam's last
token, chosen at the step its search ended, is not seen: no later step of that search shows it.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import torch
from transformers import LogitsProcessor

from .base import GenerationOptions

# per step (the position of the token being chosen), how often earlier groups chose each token: (texts, vocab)
Counts = dict[int, torch.Tensor]


class GroupDiversity(LogitsProcessor):
    """Lowers the scores of tokens earlier groups chose at this step, and records the tokens this group chose."""

    def __init__(self, earlier: Counts, penalty: float, texts: int) -> None:
        self.earlier = earlier  # read only: what the groups before this one chose
        self.penalty = penalty
        self.texts = texts
        self.chosen: Counts = {}  # what this group chose, added to ``earlier`` once it has run (merge())

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        # input_ids: (texts x beams, steps so far); the last column holds what each running beam chose last step
        position = input_ids.shape[1]
        beams = input_ids.shape[0] // self.texts
        if position > 1:  # column 0 is the decoder start token, which nobody chose
            last = input_ids[:, -1].view(self.texts, beams)
            counts = torch.zeros(self.texts, scores.shape[-1], device=scores.device)
            self.chosen[position - 1] = counts.scatter_add_(1, last, torch.ones_like(last, dtype=counts.dtype))
        if position in self.earlier and self.penalty:
            penalty = self.earlier[position].to(scores.device).repeat_interleave(beams, dim=0)
            scores = scores - self.penalty * penalty
        return scores

    def merge(self) -> None:
        """Add this group's choices to ``earlier``, for the groups after it."""
        for position, counts in self.chosen.items():
            self.earlier[position] = self.earlier.get(position, 0) + counts


def group_runs(options: GenerationOptions, texts: int) -> Iterator[tuple[GenerationOptions, GroupDiversity]]:
    """Each group's run in order: its options (a plain beam search over its share of the beams, at most its beams
    returned) and its processor. Once the caller has run a group and asks for the next, that group's choices are
    merged for the groups after it. The engine and the beam tree both run diverse search through here."""
    size = options.num_beams // options.num_beam_groups
    group = dataclasses.replace(
        options, decoding="beam", num_beams=size, num_return_sequences=min(size, options.num_return_sequences)
    )
    earlier: Counts = {}
    for _ in range(options.num_beam_groups):
        diversity = GroupDiversity(earlier, options.diversity_penalty, texts)
        yield group, diversity
        diversity.merge()
