"""A toy language pair for training tests, and helpers that compare model states.

Each source word has one target word (a cipher), so a tiny BERT2BERT learns the mapping in seconds.
"""

from __future__ import annotations

import random
from pathlib import Path

import builders
import torch

SOURCE_WORDS = "ka ke ki ko ku la le li lo lu ma me mi mo mu na".split()
TARGET_WORDS = "zo zu za ze zi ro ru ra re ri po pu pa pe pi to".split()
CIPHER = dict(zip(SOURCE_WORDS, random.Random(1).sample(TARGET_WORDS, len(TARGET_WORDS)), strict=True))


def encipher(sentence: str) -> str:
    return " ".join(CIPHER[word] for word in sentence.split())


def toy_sentences(count: int, seed: int, exclude: frozenset[str] = frozenset()) -> list[str]:
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        sentence = " ".join(rng.choice(SOURCE_WORDS) for _ in range(rng.randint(3, 6)))
        if sentence not in exclude:
            found.add(sentence)
    return sorted(found)


def build_toy_bert(folder: Path, hidden: int = 128) -> Path:
    """A small random BERT whose vocabulary holds the toy words whole."""
    from transformers import BertConfig, BertModel

    tokenizer = builders.build_bert_tokenizer(folder, extra=(*SOURCE_WORDS, *TARGET_WORDS))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=hidden * 2,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def state_of(model) -> dict[str, torch.Tensor]:
    return {key: tensor.detach().cpu().clone() for key, tensor in model.state_dict().items()}


def assert_same_state(left: dict[str, torch.Tensor], right: dict[str, torch.Tensor]) -> None:
    assert left.keys() == right.keys()
    for key in left:
        assert torch.equal(left[key], right[key]), key


def checkpoint_state(folder: Path) -> dict[str, torch.Tensor]:
    from transformers import AutoModel

    return state_of(AutoModel.from_pretrained(folder))
