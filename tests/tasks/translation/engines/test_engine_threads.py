"""CTranslate2 takes the settings' threads: one one-thread worker per thread, each on its share of a call's texts."""

from __future__ import annotations

import pytest
from builders import sentences

from translator.tasks.translation.engines import ctranslate2 as fast
from translator.tasks.translation.engines.base import GenerationOptions
from translator.tasks.translation.generation import generate_batch


def test_ctranslate2_runs_one_worker_per_settings_thread(fast_settings):
    fast_settings(threads=1)
    one = fast.load("tiny-marian", "fp32")
    fast_settings(threads=2)
    two = fast.load("tiny-marian", "fp32")
    assert one is not two  # another thread count is another translator, not the cached one
    assert (one.model.translator.num_translators, two.model.translator.num_translators) == (1, 2)


def test_torch_keeps_the_settings_threads_after_ctranslate2_loads(fast_settings):
    """CTranslate2's one-thread workers set the loading thread's OpenMP count to 1, torch's with it."""
    import torch

    fast_settings(threads=2)
    assert torch.get_num_threads() == 2
    loaded = fast.load("tiny-marian", "fp32")
    with fast._seeded(loaded.model, 7):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == 2


def test_a_seeded_sampler_runs_on_one_worker(fast_settings):
    """Each worker would start from the seed, and which texts each took would be down to timing."""
    fast_settings(threads=2)
    loaded = fast.load("tiny-marian", "fp32")
    with fast._seeded(loaded.model, 7) as sampler:
        assert sampler.num_translators == 1


@pytest.mark.parametrize(("num_beams", "precision"), [(1, "fp32"), (4, "fp32"), (4, "8bit")])
def test_two_workers_give_each_text_what_one_worker_gives(ending_models, fast_settings, num_beams, precision):
    """The texts split between the workers (the per-cap calls queued at once, an int8 read-back split) change no
    output."""
    texts = sentences(10, seed=5)
    n_tokens = [len(t.split()) + 3 for t in texts]  # caps from 13 up: several per-cap calls
    outputs = []
    for threads in (1, 2):
        fast_settings(threads=threads)
        loaded = fast.load(str(ending_models["marian"]), precision)
        assert loaded.model.translator.num_translators == threads
        outputs.append(generate_batch(loaded, texts, n_tokens, GenerationOptions(num_beams=num_beams, max_time=1e6)))
    one, two = outputs
    assert len({g.max_new_tokens for g in two}) > 2
    for alone, shared in zip(one, two, strict=True):
        assert shared.ids == alone.ids and [h.text for h in shared.hypotheses] == [h.text for h in alone.hypotheses]
        # a batch of another size sums in another order: the last float32 digits may differ
        assert [h.score for h in shared.hypotheses] == pytest.approx([h.score for h in alone.hypotheses], abs=1e-5)
        assert [t.prob for t in shared.tokens] == pytest.approx([t.prob for t in alone.tokens], abs=1e-5)
