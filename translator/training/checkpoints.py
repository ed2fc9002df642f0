"""Training checkpoints: Accelerate's state (model, optimizer, scheduler, RNG of every process) plus the step.

Accelerate names and rotates them (``ProjectConfiguration`` with automatic naming and
``total_limit``): a checkpoint is ``<output>/checkpoints/checkpoint_<step>``, and before a save
the oldest are deleted so that ``keep_checkpoints`` remain. Its ``trainer_state.json`` (the
step, the loss history, the held-out scores and the settings that fix the data order) is
written last, so a folder without it is an interrupted save and is never resumed from.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from ..text.formats.parallel import ParallelCorpusReport
from .config import FinetuneConfig
from .evaluation import Evaluation

CHECKPOINTS = "checkpoints"  # Accelerate's folder under the project directory
PREFIX = "checkpoint_"  # Accelerate's automatic name: checkpoint_<iteration>; the iteration is set to the step
STATE_FILE = "trainer_state.json"


@dataclass
class TrainState:
    """What a checkpoint needs beyond Accelerate's own state: the step and the history so far."""

    step: int = 0
    losses: list[float] = field(default_factory=list)  # mean loss of each step, from step 1
    evaluations: list[Evaluation] = field(default_factory=list)

    def to_json(self, fingerprint: dict[str, Any]) -> str:
        return json.dumps(
            {
                "step": self.step,
                "losses": self.losses,
                "fingerprint": fingerprint,
                "evaluations": [dataclasses.asdict(e) for e in self.evaluations],
            }
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainState:
        evaluations = [Evaluation(**{**e, "samples": tuple(map(tuple, e["samples"]))}) for e in data["evaluations"]]
        return cls(int(data["step"]), [float(x) for x in data["losses"]], evaluations)


def project_configuration(output: Path, keep: int):
    """Accelerate's checkpoint naming and rotation for a run writing to ``output``."""
    from accelerate.utils import ProjectConfiguration

    return ProjectConfiguration(project_dir=str(output), automatic_checkpoint_naming=True, total_limit=keep)


def checkpoint_folder(output: Path, step: int) -> Path:
    return output / CHECKPOINTS / f"{PREFIX}{step}"


def latest_checkpoint(output: Path) -> Path | None:
    complete = [folder for folder in (output / CHECKPOINTS).glob(f"{PREFIX}*") if (folder / STATE_FILE).is_file()]
    return max(complete, key=step_of, default=None)


def step_of(folder: Path) -> int:
    return int(folder.name.removeprefix(PREFIX))


def save_checkpoint(accelerator, state: TrainState, fingerprint: dict[str, Any]) -> Path:
    """Save a checkpoint at ``state.step``; Accelerate first deletes the oldest beyond its ``total_limit``."""
    folder = checkpoint_folder(Path(accelerator.project_dir), state.step)
    if accelerator.is_main_process and folder.exists():
        # an unfinished save of this step, or one of a run that was resumed from an earlier checkpoint
        shutil.rmtree(folder)
    accelerator.wait_for_everyone()
    accelerator.project_configuration.iteration = state.step
    # Accelerate warns that it stores tied tensors once (what restore() expects) and logs each rotation
    with _quiet("accelerate.utils.other"), _quiet("accelerate.accelerator"):
        accelerator.save_state()
    if accelerator.is_main_process:
        (folder / STATE_FILE).write_text(state.to_json(fingerprint), encoding="utf-8")
    accelerator.wait_for_everyone()
    return folder


def restore(accelerator, folder: Path, fingerprint: dict[str, Any]) -> TrainState:
    """Load a checkpoint into the prepared objects, after checking it was made with the same settings."""
    saved = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    changed = [name for name, value in fingerprint.items() if saved["fingerprint"].get(name) != value]
    if changed:
        was = ", ".join(f"{name}={saved['fingerprint'].get(name)!r}" for name in changed)
        raise InputError(
            f"The checkpoint {folder} was made with {was}; resume with the same settings "
            "or start a new output directory."
        )
    # tensors tied to another (the LM head, shared BERT2BERT weights) are stored once, so not every key is there
    accelerator.load_state(str(folder), strict=False)
    return TrainState.from_json(saved)


def checkpoint_to_resume(config: FinetuneConfig) -> Path | None:
    """The checkpoint ``config.resume`` asks for (None: start afresh), after checking the output directory."""
    output = Path(config.output_dir)
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


def fingerprint(config: FinetuneConfig, report: ParallelCorpusReport, processes: int) -> dict[str, Any]:
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
    settings = {name: getattr(config, name) for name in names}
    settings.update(corpus=str(Path(config.corpus).resolve()), train_rows=report.train, processes=processes)
    return settings


@contextmanager
def _quiet(logger: str) -> Iterator[None]:
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)
