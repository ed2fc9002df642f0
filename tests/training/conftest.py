"""Fixtures of the training tests: one torch thread, and the toy cipher corpus with its BERT."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from toy_cipher import build_toy_bert, encipher, toy_sentences


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Models this small train fastest on one thread, and many times faster when other work shares the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def toy(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("toy")
    corpus = root / "toy.tsv"
    corpus.write_text("".join(f"{s}\t{encipher(s)}\n" for s in toy_sentences(600, seed=0)), encoding="utf-8")
    small = root / "small.tsv"
    small.write_text("".join(f"{s}\t{encipher(s)}\n" for s in toy_sentences(40, seed=2)), encoding="utf-8")
    return {"bert": build_toy_bert(root / "bert"), "corpus": corpus, "small": small}
