"""The transformers engine's bookkeeping: where a row ended, and whether it was cut."""

from __future__ import annotations

import torch

from translator.tasks.translation.engines.transformers import generated_lengths

EOS, PAD, START = 2, 0, 1


def test_an_end_token_past_a_rows_own_cap_is_a_cut_not_an_end():
    # column 0 is the start token; row 0 (cap 3) got a </s> one past its cap, as beam search finalizes a row that a
    # stopping criterion cut; row 1 (cap 5) really ended at its 2nd token; row 2 (cap 4) ran to its cap
    sequences = torch.tensor(
        [
            [START, 7, 8, 9, EOS, PAD],
            [START, 7, EOS, PAD, PAD, PAD],
            [START, 7, 8, 9, 6, 5],
        ]
    )
    lengths, ended = generated_lengths(sequences, caps=[3, 5, 4], n_best=1, eos_token_id=EOS)
    assert lengths == [3, 2, 4]
    assert ended == [False, True, False]


def test_n_best_rows_share_their_texts_cap():
    sequences = torch.tensor([[START, 7, EOS, PAD], [START, 7, 8, EOS]])
    lengths, ended = generated_lengths(sequences, caps=[2], n_best=2, eos_token_id=[EOS, 99])
    assert lengths == [2, 2] and ended == [True, False]
