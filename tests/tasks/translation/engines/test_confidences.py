"""CTranslate2's token confidences from step logits: the log-softmax and top-k torch would give, in numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from translator.tasks.translation.engines import confidences

ctranslate2 = pytest.importorskip("ctranslate2")


def test_token_scores_are_the_log_softmax_and_top_tokens_of_each_step():
    rng = np.random.default_rng(0)
    steps = (rng.normal(size=(6, 50)) * 4).astype(np.float32)
    steps[:, 7] = -np.inf  # a token the logits processors banned
    steps[2, :45] = -np.inf  # a step that left five tokens
    vocabulary = [f"t{i}" for i in range(50)]
    ids = {token: i for i, token in enumerate(vocabulary)}
    chosen = [int(i) for i in steps.argmax(axis=-1)]
    chosen[4] = int(np.argsort(steps[4])[-3])  # not the step's most likely token
    views = [ctranslate2.StorageView.from_array(np.ascontiguousarray(row)) for row in steps]
    scored = confidences.token_scores(vocabulary, ids, [vocabulary[i] for i in chosen], views, set())
    expected = torch.log_softmax(torch.from_numpy(steps), dim=-1)
    assert len(scored) == len(chosen)
    for t, score in enumerate(scored):
        assert math.log(score.prob) == pytest.approx(expected[t, chosen[t]].item(), abs=1e-5)
        top = expected[t].topk(4)
        others = [(i, v) for i, v in zip(top.indices.tolist(), top.values.tolist(), strict=True) if i != chosen[t]]
        assert [a for a, _ in score.alternatives] == [vocabulary[i] for i, _ in others[:3]]
        assert [p for _, p in score.alternatives] == pytest.approx([math.exp(v) for _, v in others[:3]], abs=1e-6)


def test_top_k_orders_the_largest_first_and_keeps_the_input():
    steps = np.array([[0.0, 3.0, -np.inf, 2.0, 5.0], [1.0, -1.0, 4.0, 4.5, 0.5]], dtype=np.float32)
    before = steps.copy()
    ids, values = confidences.top_k(steps, 3)
    assert ids.tolist() == [[4, 1, 3], [3, 2, 0]]
    assert values.tolist() == [[5.0, 3.0, 2.0], [4.5, 4.0, 1.0]]
    assert np.array_equal(steps, before)
