"""Fine-tune a warm-started BERT2BERT on a parallel corpus (``python -m translator finetune``).

Training runs through Accelerate, so one command trains on a CPU, a GPU, or many GPUs and
nodes (``accelerate launch -m translator finetune ...``), with fp16/bf16 mixed precision if
asked. Every ``save_every`` steps the run scores the held-out split (sacreBLEU BLEU and chrF)
and saves a checkpoint (model, optimizer, scheduler, RNG states and the step). A resumed run
continues from that step: the data order depends only on (seed, epoch), so the batches already
consumed are skipped, not repeated, and the remaining steps are the ones the first run would
have taken. The output directory is a translation model ``load_model`` and ``translate()``
accept, with a registry entry for the app and a model card.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..core.errors import InputError
from ..core.registry import OFFLINE_MINILM
from .checkpoints import STATE_FILE, TrainState, latest_checkpoint, restore, save_checkpoint, step_of
from .evaluation import Evaluation, evaluate
from .model_card import model_card, registry_entry
from .parallel_data import CorpusReport, Pair, ParallelCorpus, read_parallel, split_heldout
from .warmstart import WarmStart, save_translator, warm_start

MIXED_PRECISIONS = ("no", "fp16", "bf16")
SUMMARY_FILE = "finetune.json"
IGNORE = -100  # label id that cross_entropy skips (padding)

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class FinetuneConfig:
    corpus: str  # TSV, CSV or JSON lines of (source, target)
    output_dir: str
    # the checkpoints to warm-start from: registry key, hub id or BERT directory; decoder None = the encoder's
    encoder: str = OFFLINE_MINILM
    decoder: str | None = None
    # BERT2BERT-share: the decoder reuses the encoder's tensors; half the parameters, often as good
    share: bool = False
    source_column: str = "source"
    target_column: str = "target"
    format: str = "auto"  # auto (from the extension) | tsv | csv | jsonl
    # rows longer than this many tokens (with [CLS]/[SEP]) are skipped, never cut: a cut pair is a wrong pair
    max_source_tokens: int = 128
    max_target_tokens: int = 128
    # held-out split for BLEU/chrF: this fraction of the rows, at most max_heldout of them
    heldout_fraction: float = 0.05
    max_heldout: int = 500
    steps: int = 1000  # optimizer updates
    batch_size: int = 16  # rows per process per forward pass; one update sees batch_size * grad_accum * processes
    grad_accum: int = 1
    learning_rate: float = 5e-5  # AdamW; the usual fine-tuning rate for BERT-size models
    warmup_steps: int | None = None  # linear warm-up, then linear decay to 0; None = a tenth of the steps
    weight_decay: float = 0.01  # not on biases and LayerNorm weights
    max_grad_norm: float = 1.0  # 0 turns clipping off
    # "no" | "fp16" | "bf16"; None takes Accelerate's setting (accelerate config / launch --mixed_precision)
    mixed_precision: str | None = None
    # checkpoint and held-out scores every this many steps and at the last one; 0 = scores at the end, no checkpoints
    save_every: int = 200
    keep_checkpoints: int = 2  # older checkpoints are deleted
    eval_beams: int = 1  # beam width when scoring the held-out split (1 = greedy, the quickest)
    eval_batch_size: int = 32
    seed: int = 0
    # True: continue from the newest checkpoint in output_dir (or start if there is none); a path: that checkpoint
    resume: bool | str = False
    name: str | None = None  # registry key of the result; None = the output directory's name
    languages: tuple[str, str] | None = None  # (source, target) codes for the registry entry and model card

    def __post_init__(self) -> None:
        positive = {
            "steps": self.steps,
            "batch_size": self.batch_size,
            "grad_accum": self.grad_accum,
            "keep_checkpoints": self.keep_checkpoints,
            "eval_beams": self.eval_beams,
            "eval_batch_size": self.eval_batch_size,
        }
        for name, value in positive.items():
            if value < 1:
                raise InputError(f"{name} must be at least 1, not {value}.")
        for name in ("max_source_tokens", "max_target_tokens"):
            if getattr(self, name) < 3:
                raise InputError(f"{name} must be at least 3 (room for [CLS], a token and [SEP]).")
        if self.learning_rate <= 0:
            raise InputError(f"The learning rate must be positive, not {self.learning_rate}.")
        if self.save_every < 0 or (self.warmup_steps or 0) < 0:
            raise InputError("save_every and warmup_steps can't be negative.")
        if self.mixed_precision not in (None, *MIXED_PRECISIONS):
            raise InputError(
                f"Mixed precision must be one of {', '.join(MIXED_PRECISIONS)}, not {self.mixed_precision!r}."
            )

    @property
    def key(self) -> str:
        return self.name or Path(self.output_dir).resolve().name

    @property
    def warmup(self) -> int:
        return self.steps // 10 if self.warmup_steps is None else min(self.warmup_steps, self.steps)


@dataclass(frozen=True)
class FinetuneResult:
    output_dir: str
    registry_entry: str  # the TOML file to pass to the app's --registry
    steps: int
    resumed_from: int  # the checkpoint step this run started at; 0 for a fresh run
    losses: list[float]  # mean training loss of steps 1..steps (across resumes)
    evaluations: list[Evaluation]
    corpus: CorpusReport
    device: str
    precision: str  # the mixed precision actually used: no | fp16 | bf16
    seconds: float
    target_tokens_per_second: float  # training throughput of this run, evaluation and checkpoints excluded
    train_seconds: float = 0.0  # time this run spent in training steps
    warnings: tuple[str, ...] = ()


# -------------------------------------------------------------------- the run


def finetune(config: FinetuneConfig, *, progress: Progress | None = None) -> FinetuneResult:
    """Warm-start, train, score and save; see the module docstring. Interrupting keeps the last checkpoint."""
    from accelerate.utils import set_seed
    from transformers import get_linear_schedule_with_warmup

    started = time.perf_counter()
    output = Path(config.output_dir)
    checkpoint = _checkpoint_to_resume(config, output)
    # the corpus is read first: a bad row should not wait for a model to load
    corpus = read_parallel(
        config.corpus, source_column=config.source_column, target_column=config.target_column, format=config.format
    )
    accelerator, notes = _accelerator(config)
    set_seed(config.seed)  # the new cross-attention weights and dropout are reproducible
    warm = warm_start(config.encoder, config.decoder, share=config.share)
    train, heldout, report = _prepare_data(config, corpus, warm.tokenizer, token_limits(config, warm.model))
    accelerator.print(warm.describe())
    accelerator.print(f"Corpus {config.corpus}: {report.describe()}.")
    fingerprint = _fingerprint(config, report, accelerator.num_processes)

    loader, sampler = _loader(train, warm.tokenizer, config)
    optimizer = _optimizer(warm.model, config)
    scheduler = get_linear_schedule_with_warmup(optimizer, config.warmup, config.steps)
    model, optimizer, loader, scheduler = accelerator.prepare(warm.model, optimizer, loader, scheduler)
    state = TrainState()
    if checkpoint is not None:
        state = restore(accelerator, checkpoint, fingerprint)
        accelerator.print(f"Resuming from {checkpoint} at step {state.step}.")
    run = _Run(accelerator, model, optimizer, scheduler, warm, heldout, config, fingerprint, progress)
    resumed_from = state.step
    tokens, train_seconds = run.train(state, _batches(accelerator, loader, sampler, state.step * config.grad_accum))
    if accelerator.is_main_process:
        _write_outputs(accelerator, warm, config, state, report, resumed_from)
    accelerator.wait_for_everyone()
    return FinetuneResult(
        output_dir=str(output.resolve()),
        registry_entry=str((output / "registry-entry.toml").resolve()),
        steps=state.step,
        resumed_from=resumed_from,
        losses=state.losses,
        evaluations=state.evaluations,
        corpus=report,
        device=_device_name(accelerator),
        precision=_precision(accelerator),
        seconds=time.perf_counter() - started,
        target_tokens_per_second=tokens / train_seconds if train_seconds else 0.0,
        train_seconds=train_seconds,
        warnings=tuple(notes),
    )


def _accelerator(config: FinetuneConfig):
    from accelerate import Accelerator

    try:
        # the scheduler steps once per update (not once per process, Accelerate's default)
        accelerator = Accelerator(mixed_precision=config.mixed_precision, step_scheduler_with_optimizer=False)
    except ValueError:
        # Accelerate's state is per process: one mixed precision per process
        raise InputError(
            f"This process already trained with another mixed precision; run the "
            f"{config.mixed_precision} training in a new process."
        ) from None
    notes = []
    if accelerator.mixed_precision == "fp16" and accelerator.device.type == "cpu":
        notes.append("fp16 mixed precision needs a CUDA GPU; trained in fp32 (bf16 works on a CPU).")
    for note in notes:
        accelerator.print(note)
    return accelerator, notes


def _precision(accelerator) -> str:
    if accelerator.mixed_precision == "fp16" and accelerator.device.type == "cpu":
        return "no"
    return str(accelerator.mixed_precision)


def _device_name(accelerator) -> str:
    device = accelerator.device
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    return f"{accelerator.num_processes} × {name}" if accelerator.num_processes > 1 else name


class _Run:
    """The training loop and what it does at each checkpoint."""

    def __init__(
        self,
        accelerator,
        model,
        optimizer,
        scheduler,
        warm: WarmStart,
        heldout: list[Pair],
        config: FinetuneConfig,
        fingerprint: dict[str, Any],
        progress: Progress | None,
    ) -> None:
        self.accelerator, self.model, self.optimizer, self.scheduler = accelerator, model, optimizer, scheduler
        self.tokenizer, self.heldout, self.config = warm.tokenizer, heldout, config
        self.fingerprint, self.progress = fingerprint, progress

    def train(self, state: TrainState, batches: Iterator[dict[str, torch.Tensor]]) -> tuple[int, float]:
        """Run to config.steps; (target tokens trained on, seconds spent in training steps)."""
        from tqdm.auto import tqdm

        config, accelerator = self.config, self.accelerator
        bar = tqdm(
            total=config.steps,
            initial=state.step,
            desc="fine-tuning",
            unit="step",
            dynamic_ncols=True,
            disable=not accelerator.is_local_main_process,
        )
        tokens, seconds = 0, 0.0
        self.model.train()
        try:
            while state.step < config.steps:
                began = time.perf_counter()
                loss, step_tokens = self._step(batches)
                seconds += time.perf_counter() - began
                tokens += step_tokens
                state.step += 1
                state.losses.append(loss)
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.3f}", lr=f"{self.scheduler.get_last_lr()[0]:.1e}")
                if state.step == config.steps or (config.save_every and state.step % config.save_every == 0):
                    self._checkpoint(state, bar)
                if self.progress:
                    self.progress(state.step / config.steps, f"step {state.step}/{config.steps}, loss {loss:.3f}")
        except KeyboardInterrupt:
            last = latest_checkpoint(Path(config.output_dir))
            where = f"from step {step_of(last)}" if last else "from the start (no checkpoint yet)"
            bar.write(
                f"Interrupted at step {state.step}; run again with --resume to continue {where}.", file=sys.stderr
            )
            raise
        finally:
            bar.close()
        return tokens, seconds

    def _step(self, batches: Iterator[dict[str, torch.Tensor]]) -> tuple[float, int]:
        """One optimizer update over grad_accum micro-batches; (mean loss across processes, target tokens)."""
        config, accelerator, model = self.config, self.accelerator, self.model
        totals = torch.zeros(2, device=accelerator.device)  # (summed loss, target tokens)
        for micro in range(config.grad_accum):
            batch = next(batches)
            last = micro == config.grad_accum - 1
            with nullcontext() if last else accelerator.no_sync(model):  # all-reduce gradients once per update
                loss = _loss(model, batch)
                accelerator.backward(loss / config.grad_accum)
            totals += torch.stack([loss.detach().float(), (batch["labels"] != IGNORE).sum().float()])
        if config.max_grad_norm:
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        totals = accelerator.reduce(totals, reduction="sum")
        return totals[0].item() / (config.grad_accum * accelerator.num_processes), int(totals[1].item())

    def _checkpoint(self, state: TrainState, bar) -> None:
        """Score the held-out split, then save a checkpoint (unless checkpoints are off)."""
        accelerator = self.accelerator
        if self.heldout and accelerator.is_main_process:
            config, model = self.config, accelerator.unwrap_model(self.model)
            evaluation = evaluate(
                model,
                self.tokenizer,
                self.heldout,
                num_beams=config.eval_beams,
                batch_size=config.eval_batch_size,
                max_new_tokens=token_limits(config, model)[1] - 1,  # [CLS] takes a position
                step=state.step,
                autocast=accelerator.autocast,
            )
            state.evaluations.append(evaluation)
            bar.write(
                f"step {state.step}: held-out BLEU {evaluation.bleu:.1f}, chrF {evaluation.chrf:.1f} "
                f"({evaluation.sentences} sentences)"
            )
        self.model.train()
        if self.config.save_every:
            save_checkpoint(
                accelerator, Path(self.config.output_dir), state, self.fingerprint, self.config.keep_checkpoints
            )


def _loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Token-mean cross-entropy of the next target token (teacher forcing)."""
    logits = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        decoder_input_ids=batch["decoder_input_ids"],
        decoder_attention_mask=batch["decoder_attention_mask"],
        use_cache=False,
    ).logits
    # logits: (batch, target, vocab)
    return F.cross_entropy(logits.flatten(0, 1).float(), batch["labels"].flatten(), ignore_index=IGNORE)


def _optimizer(model, config: FinetuneConfig) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for param in model.parameters():  # a shared tensor comes once
        if param.requires_grad:
            (no_decay if param.ndim < 2 else decay).append(param)  # biases and LayerNorm weights are 1-D
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.learning_rate)


# -------------------------------------------------------------------- data


Example = tuple[list[int], list[int]]  # (source ids with [CLS]/[SEP], target ids without special tokens)


def token_limits(config: FinetuneConfig, model) -> tuple[int, int]:
    """(source, target) tokens a row may have: the configured limits within the encoder's and decoder's positions.

    A target of n tokens takes n + 1 decoder positions: [CLS] t1..tn in, t1..tn [SEP] out.
    """
    return (
        min(config.max_source_tokens, model.config.encoder.max_position_embeddings),
        min(config.max_target_tokens, model.config.decoder.max_position_embeddings),
    )


def _prepare_data(
    config: FinetuneConfig, corpus: ParallelCorpus, tokenizer, limits: tuple[int, int]
) -> tuple[list[Example], list[Pair], CorpusReport]:
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
    ids = {pair.line: (s, t) for pair, s, t in zip(corpus.pairs, sources, targets, strict=True)}
    report = CorpusReport(
        rows=corpus.rows,
        skipped_empty=corpus.skipped_empty,
        skipped_too_long=len(corpus.pairs) - len(kept),
        train=len(train),
        heldout=len(heldout),
        overlap_dropped=overlap,
    )
    return [ids[pair.line] for pair in train], heldout, report


class _EpochShuffle(torch.utils.data.Sampler[int]):
    """A new permutation each epoch, fixed by (seed, epoch) alone: a resumed run replays the same order."""

    def __init__(self, size: int, seed: int) -> None:
        self.size, self.seed, self.epoch = size, seed, 0

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return iter(torch.randperm(self.size, generator=generator).tolist())

    def __len__(self) -> int:
        return self.size


def _loader(examples: list[Example], tokenizer, config: FinetuneConfig):
    sampler = _EpochShuffle(len(examples), config.seed)
    collate = partial(_collate, pad=tokenizer.pad_token_id, start=tokenizer.cls_token_id, end=tokenizer.sep_token_id)
    batches = torch.utils.data.BatchSampler(sampler, config.batch_size, drop_last=False)
    # its own generator, so starting an epoch never draws from the global RNG that dropout uses
    loader = torch.utils.data.DataLoader(
        examples, batch_sampler=batches, collate_fn=collate, generator=torch.Generator().manual_seed(config.seed)
    )
    return loader, sampler


def _collate(rows: Sequence[Example], *, pad: int, start: int, end: int) -> dict[str, torch.Tensor]:
    """Teacher forcing: the decoder reads [CLS] t1..tn and learns to write t1..tn [SEP]."""
    input_ids, attention_mask = _pad([source for source, _ in rows], pad)
    decoder_input_ids, decoder_attention_mask = _pad([[start, *target] for _, target in rows], pad)
    labels, _ = _pad([[*target, end] for _, target in rows], IGNORE)
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "decoder_input_ids": decoder_input_ids,
        "decoder_attention_mask": decoder_attention_mask,
        "labels": labels,
    }


def _pad(sequences: Sequence[Sequence[int]], value: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, sequences))
    ids = torch.full((len(sequences), width), value, dtype=torch.long)  # (batch, width)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        mask[row, : len(sequence)] = 1
    return ids, mask


def _batches(accelerator, loader, sampler: _EpochShuffle, consumed: int) -> Iterator[dict[str, torch.Tensor]]:
    """Micro-batches without end, epoch after epoch, starting after the first ``consumed`` of them."""
    epoch, skip = divmod(consumed, len(loader))
    while True:
        sampler.epoch = epoch
        yield from accelerator.skip_first_batches(loader, skip) if skip else loader
        epoch, skip = epoch + 1, 0


# -------------------------------------------------------------------- checkpoints


def _checkpoint_to_resume(config: FinetuneConfig, output: Path) -> Path | None:
    if isinstance(config.resume, str):
        folder = Path(config.resume)
        if not (folder / STATE_FILE).is_file():
            raise InputError(f"{folder} is not a complete checkpoint (it has no {STATE_FILE}).")
        return folder
    latest = latest_checkpoint(output) if config.resume else None
    if latest is None and output.exists() and any(output.iterdir()):
        hint = "it has no checkpoint to resume" if config.resume else "pass --resume to continue its training"
        raise InputError(f"The output directory {output} is not empty and {hint}; choose a new directory.")
    return latest


def _fingerprint(config: FinetuneConfig, report: CorpusReport, processes: int) -> dict[str, Any]:
    """The settings that fix the model and the data order; a resumed run must match them."""
    names = (
        "encoder",
        "decoder",
        "share",
        "source_column",
        "target_column",
        "max_source_tokens",
        "max_target_tokens",
        "heldout_fraction",
        "max_heldout",
        "batch_size",
        "grad_accum",
        "seed",
    )
    fingerprint = {name: getattr(config, name) for name in names}
    fingerprint.update(corpus=str(Path(config.corpus).resolve()), train_rows=report.train, processes=processes)
    return fingerprint


# -------------------------------------------------------------------- outputs


def _write_outputs(
    accelerator, warm: WarmStart, config: FinetuneConfig, state: TrainState, report: CorpusReport, resumed_from: int
) -> None:
    output = Path(config.output_dir)
    save_translator(accelerator.unwrap_model(warm.model), warm.tokenizer, output)
    last = state.evaluations[-1] if state.evaluations else None
    description = f"BERT2BERT from {config.encoder}" + (f", held-out BLEU {last.bleu:.1f}" if last else "")
    (output / "registry-entry.toml").write_text(
        registry_entry(config.key, description, config.languages), encoding="utf-8"
    )
    summary = {
        "config": dataclasses.asdict(config),
        "corpus": dataclasses.asdict(report),
        "steps": state.step,
        "resumed_from": resumed_from,
        "final_loss": _tail_mean(state.losses),
        "device": _device_name(accelerator),
        "precision": _precision(accelerator),
        "processes": accelerator.num_processes,
        "shared_tensors": warm.shared_tensors,
        "parameters": sum(p.numel() for p in warm.model.parameters()),
        "evaluations": [dataclasses.asdict(e) for e in state.evaluations],
    }
    (output / SUMMARY_FILE).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (output / "README.md").write_text(model_card(config, summary), encoding="utf-8")


def _tail_mean(losses: list[float], window: int = 50) -> float | None:
    tail = losses[-window:]
    return sum(tail) / len(tail) if tail else None
