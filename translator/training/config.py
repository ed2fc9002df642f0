"""The settings of a fine-tuning run (``FinetuneConfig``) and what the run returns (``FinetuneResult``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InputError
from ..core.registry import OFFLINE_MINILM
from ..text.formats.parallel import ParallelCorpusReport
from .evaluation import Evaluation

MIXED_PRECISIONS = ("no", "fp16", "bf16")


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
    corpus: ParallelCorpusReport
    device: str
    precision: str  # the mixed precision actually used: no | fp16 | bf16
    seconds: float
    target_tokens_per_second: float  # training throughput of this run, evaluation and checkpoints excluded
    train_seconds: float = 0.0  # time this run spent in training steps
    warnings: tuple[str, ...] = ()
