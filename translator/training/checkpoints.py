"""Training checkpoints: Accelerate's state (model, optimizer, scheduler, RNG of every process) plus the step.

A checkpoint is ``<output>/checkpoints/step-NNNNNNN``. Its ``trainer_state.json`` (the step,
the loss history, the held-out scores and the settings that fix the data order) is written
last, so a folder without it is an interrupted save and is never resumed from.
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
from .evaluation import Evaluation

CHECKPOINTS = "checkpoints"
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


def latest_checkpoint(output: Path) -> Path | None:
    complete = [folder for folder in (output / CHECKPOINTS).glob("step-*") if (folder / STATE_FILE).is_file()]
    return max(complete, key=step_of, default=None)


def step_of(folder: Path) -> int:
    return int(folder.name.removeprefix("step-"))


def save_checkpoint(accelerator, output: Path, state: TrainState, fingerprint: dict[str, Any], keep: int) -> None:
    """Save a checkpoint at ``state.step`` and delete all but the newest ``keep``."""
    folder = output / CHECKPOINTS / f"step-{state.step:07d}"
    # Accelerate warns that it stores tied tensors once, which is what restore() expects
    with _quiet("accelerate.utils.other"):
        accelerator.save_state(str(folder))
    if accelerator.is_main_process:
        (folder / STATE_FILE).write_text(state.to_json(fingerprint), encoding="utf-8")
        for old in sorted((output / CHECKPOINTS).glob("step-*"), key=step_of)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


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


@contextmanager
def _quiet(logger: str) -> Iterator[None]:
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)
