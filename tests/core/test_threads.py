"""The thread policy: one ``threads`` setting, taken by torch, CTranslate2 and fine-tuning alike."""

from __future__ import annotations

import pytest
import torch

import translator
from translator.core.settings import Settings
from translator.core.threads import default_threads, physical_cores


def test_the_default_is_the_physical_cores_unless_omp_num_threads_says_otherwise(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert Settings().threads == physical_cores() >= 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert default_threads() == 3 == Settings().threads
    assert Settings.from_env({"TRANSLATOR_THREADS": "5"}).threads == 5


def test_fewer_than_one_thread_is_refused():
    with pytest.raises(ValueError, match="threads must be at least 1, not 0"):
        Settings(threads=0)


def test_configure_gives_torch_the_settings_threads():
    before = translator.get_settings()
    try:
        translator.configure(before.replace(threads=2))
        assert torch.get_num_threads() == 2
    finally:
        translator.configure(before)
    assert torch.get_num_threads() == before.threads
