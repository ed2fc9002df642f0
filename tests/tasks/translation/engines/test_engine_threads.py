"""CTranslate2 takes the settings' threads: one translator, one batch at a time."""

from __future__ import annotations

from translator.tasks.translation.engines import ctranslate2 as fast


def test_ctranslate2_runs_one_batch_on_the_settings_threads(fast_settings):
    fast_settings(threads=1)
    one = fast.load("tiny-marian", "fp32")
    fast_settings(threads=2)
    two = fast.load("tiny-marian", "fp32")
    assert one is not two  # another thread count is another translator, not the cached one
    assert one.model.translator.num_translators == two.model.translator.num_translators == 1
