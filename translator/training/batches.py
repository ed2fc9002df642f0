"""What a run trains on: the token ids of the rows that fit, an epoch order fixed by the seed, and padded batches.

Teacher forcing: the encoder reads ``[CLS] s1..sm [SEP]``; the labels are ``t1..tn [SEP]``,
padded with -100 by transformers' ``DataCollatorForSeq2Seq``. The model shifts the labels
right behind ``decoder_start_token_id`` ([CLS]), so the decoder reads ``[CLS] t1..tn``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from ..core.errors import InputError
from ..core.limits import model_input_limit
from ..text.formats.parallel import Pair, ParallelCorpus, ParallelCorpusReport, split_heldout
from .config import FinetuneConfig

IGNORE = -100  # label id the loss skips: DataCollatorForSeq2Seq pads labels with it

Example = dict[str, list[int]]  # {"input_ids": source with [CLS]/[SEP], "labels": target then [SEP]}


def token_limits(config: FinetuneConfig, model) -> tuple[int, int]:
    """(source, target) tokens a row may have: the configured limits within the encoder's and decoder's positions.

    A target of n tokens takes n + 1 decoder positions: [CLS] t1..tn in, t1..tn [SEP] out.
    """
    return (
        min(config.max_source_tokens, model_input_limit(None, model.config, side="encoder")),
        min(config.max_target_tokens, model_input_limit(None, model.config, side="decoder")),
    )


def prepare_data(
    config: FinetuneConfig, corpus: ParallelCorpus, tokenizer, limits: tuple[int, int]
) -> tuple[list[Example], list[Pair], ParallelCorpusReport]:
    """Token ids of the training rows, the held-out pairs, and what became of every row."""
    sources = tokenizer([p.source for p in corpus.pairs], add_special_tokens=True)["input_ids"]
    targets = tokenizer([p.target for p in corpus.pairs], add_special_tokens=False)["input_ids"]
    fits = [len(s) <= limits[0] and len(t) + 1 <= limits[1] for s, t in zip(sources, targets, strict=True)]
    kept = [pair for pair, ok in zip(corpus.pairs, fits, strict=True) if ok]
    if not kept:
        raise InputError(
            f"Every row of {config.corpus} is longer than {limits[0]} source or {limits[1]} target "
            "tokens; raise --max-source-tokens / --max-target-tokens (within the model's positions)."
        )
    train, heldout, overlap = split_heldout(
        kept, fraction=config.heldout_fraction, max_heldout=config.max_heldout, seed=config.seed
    )
    end = tokenizer.sep_token_id
    ids = {
        pair.line: {"input_ids": s, "labels": [*t, end]}
        for pair, s, t in zip(corpus.pairs, sources, targets, strict=True)
    }
    report = ParallelCorpusReport(
        rows=corpus.rows,
        skipped_empty=corpus.skipped_empty,
        skipped_too_long=len(corpus.pairs) - len(kept),
        train=len(train),
        heldout=len(heldout),
        overlap_dropped=overlap,
    )
    return [ids[pair.line] for pair in train], heldout, report


class EpochShuffle(torch.utils.data.Sampler[int]):
    """A new permutation each epoch, fixed by (seed, epoch) alone: a resumed run replays the same order."""

    def __init__(self, size: int, seed: int) -> None:
        self.size, self.seed, self.epoch = size, seed, 0

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return iter(torch.randperm(self.size, generator=generator).tolist())

    def __len__(self) -> int:
        return self.size


def collator(tokenizer):
    """Pads input_ids (with an attention mask) with [PAD] and labels with -100, both on the right."""
    from transformers import DataCollatorForSeq2Seq

    # no model: the model's forward makes the decoder input from the labels itself
    return DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=IGNORE, return_tensors="pt")


def make_loader(
    examples: list[Example], tokenizer, config: FinetuneConfig
) -> tuple[torch.utils.data.DataLoader, EpochShuffle]:
    sampler = EpochShuffle(len(examples), config.seed)
    batches = torch.utils.data.BatchSampler(sampler, config.batch_size, drop_last=False)
    # its own generator, so starting an epoch never draws from the global RNG that dropout uses
    loader = torch.utils.data.DataLoader(
        examples,
        batch_sampler=batches,
        collate_fn=collator(tokenizer),
        generator=torch.Generator().manual_seed(config.seed),
    )
    return loader, sampler


def endless_batches(accelerator, loader, sampler: EpochShuffle, consumed: int) -> Iterator[dict[str, Any]]:
    """Micro-batches without end, epoch after epoch, starting after the first ``consumed`` of them."""
    epoch, skip = divmod(consumed, len(loader))
    while True:
        sampler.epoch = epoch
        yield from accelerator.skip_first_batches(loader, skip) if skip else loader
        epoch, skip = epoch + 1, 0
