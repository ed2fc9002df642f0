"""The training loop: optimizer updates over accumulated micro-batches, and what happens at each checkpoint."""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import torch

from ..core.results import Progress, report
from ..text.formats.parallel import Pair
from .batches import IGNORE, token_limits
from .checkpoints import TrainState, latest_checkpoint, save_checkpoint, step_of
from .config import FinetuneConfig
from .evaluation import evaluate


def make_optimizer(model, config: FinetuneConfig) -> torch.optim.Optimizer:
    """AdamW with weight decay on the matrices only."""
    decay, no_decay = [], []
    for param in model.parameters():  # a shared tensor comes once
        if param.requires_grad:
            (no_decay if param.ndim < 2 else decay).append(param)  # biases and LayerNorm weights are 1-D
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.learning_rate)


def seq2seq_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Token-mean cross-entropy of the next target token (teacher forcing), computed by the model from the labels.

    EncoderDecoderModel shifts the labels right behind ``decoder_start_token_id`` to make the
    decoder's input, masks its [PAD]s, and skips the -100 labels in the loss.
    """
    return model(**batch, use_cache=False).loss


@contextmanager
def _no_label_loss_notice() -> Iterator[None]:
    """Hide the FutureWarning EncoderDecoderModel gives with every loss (that v4.12 moved it); nothing to act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Version v4.12.0 introduces", category=FutureWarning)
        yield


class TrainingLoop:
    """Runs the prepared model, optimizer and scheduler to ``config.steps``, scoring and saving on the way."""

    def __init__(
        self,
        accelerator,
        model,
        optimizer,
        scheduler,
        tokenizer,
        heldout: list[Pair],
        config: FinetuneConfig,
        fingerprint: dict[str, Any],
        progress: Progress | None,
    ) -> None:
        self.accelerator, self.model, self.optimizer, self.scheduler = accelerator, model, optimizer, scheduler
        self.tokenizer, self.heldout, self.config = tokenizer, heldout, config
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
            with _no_label_loss_notice():
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
                    report(
                        self.progress, state.step / config.steps, f"step {state.step}/{config.steps}, loss {loss:.3f}"
                    )
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
                loss = seq2seq_loss(model, batch)
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
            save_checkpoint(accelerator, state, self.fingerprint)
