"""Fine-tune a warm-started BERT2BERT on a parallel corpus (``python -m translator finetune``).

Training runs through Accelerate, so one command trains on a CPU, a GPU, or many GPUs and
nodes (``accelerate launch -m translator finetune ...``), with fp16/bf16 mixed precision if
asked. Every ``save_every`` steps the run scores the held-out split (sacreBLEU BLEU and chrF)
and saves a checkpoint (model, optimizer, scheduler, RNG states and the step). A resumed run
continues from that step: the data order depends only on (seed, epoch), so the batches already
consumed are skipped, not repeated, and the remaining steps are the ones the first run would
have taken. The output directory is a translation model ``load_model`` and ``translate()``
accept, with a registry entry for the app and a model card.

The pieces: config (settings and result), batches (data), loop (training), checkpoints,
evaluation, model_card; this module puts them together and writes the outputs.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import torch

from ..core.errors import InputError
from ..core.results import Progress
from ..core.settings import get_settings
from ..core.threads import apply_threads
from ..text.formats.parallel import ParallelCorpusReport, read_parallel
from .batches import endless_batches, make_loader, prepare_data, token_limits
from .checkpoints import TrainState, checkpoint_to_resume, fingerprint, project_configuration, restore
from .config import MIXED_PRECISIONS, FinetuneConfig, FinetuneResult
from .evaluation import Evaluation
from .loop import TrainingLoop, make_optimizer
from .model_card import model_card, registry_entry
from .warmstart import WarmStart, save_translator, warm_start

# the fine-tuning API, imported from here by the package and the command line
__all__ = ["MIXED_PRECISIONS", "Evaluation", "FinetuneConfig", "FinetuneResult", "finetune"]

SUMMARY_FILE = "finetune.json"


def finetune(config: FinetuneConfig, *, progress: Progress | None = None) -> FinetuneResult:
    """Warm-start, train, score and save; see the module docstring. Interrupting keeps the last checkpoint."""
    from accelerate.utils import set_seed
    from transformers import get_linear_schedule_with_warmup

    started = time.perf_counter()
    output = Path(config.output_dir)
    checkpoint = checkpoint_to_resume(config)
    # the corpus is read first: a bad row should not wait for a model to load
    corpus = read_parallel(
        config.corpus, source_column=config.source_column, target_column=config.target_column, format=config.format
    )
    accelerator, notes = _accelerator(config)
    apply_threads(get_settings().threads)  # the CPU share of a step (all of it on a CPU): the settings' threads
    set_seed(config.seed)  # the new cross-attention weights and dropout are reproducible
    warm = warm_start(config.encoder, config.decoder, share=config.share)
    train, heldout, report = prepare_data(config, corpus, warm.tokenizer, token_limits(config, warm.model))
    accelerator.print(warm.describe())
    accelerator.print(f"Corpus {config.corpus}: {report.describe()}.")
    settings = fingerprint(config, report, accelerator.num_processes)

    loader, sampler = make_loader(train, warm.tokenizer, config)
    optimizer = make_optimizer(warm.model, config)
    scheduler = get_linear_schedule_with_warmup(optimizer, config.warmup, config.steps)
    model, optimizer, loader, scheduler = accelerator.prepare(warm.model, optimizer, loader, scheduler)
    state = TrainState()
    if checkpoint is not None:
        state = restore(accelerator, checkpoint, settings)
        accelerator.print(f"Resuming from {checkpoint} at step {state.step}.")
    loop = TrainingLoop(accelerator, model, optimizer, scheduler, warm.tokenizer, heldout, config, settings, progress)
    resumed_from = state.step
    batches = endless_batches(accelerator, loader, sampler, state.step * config.grad_accum)
    tokens, train_seconds = loop.train(state, batches)
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
        accelerator = Accelerator(
            mixed_precision=config.mixed_precision,
            step_scheduler_with_optimizer=False,  # the scheduler steps once per update, not once per process
            project_config=project_configuration(Path(config.output_dir), config.keep_checkpoints),
        )
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


def _write_outputs(
    accelerator,
    warm: WarmStart,
    config: FinetuneConfig,
    state: TrainState,
    report: ParallelCorpusReport,
    resumed_from: int,
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
