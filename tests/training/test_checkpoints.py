"""Checkpoints: Accelerate's rotation keeps the newest, an unfinished save is skipped, a restore checks settings."""

from __future__ import annotations

import pytest
import torch

from translator import InputError
from translator.training.checkpoints import (
    TrainState,
    checkpoint_folder,
    latest_checkpoint,
    project_configuration,
    restore,
    save_checkpoint,
    step_of,
)


def test_checkpoints_keep_the_newest_and_resume_from_the_newest_complete_one(tmp_path):
    from accelerate import Accelerator

    accelerator = Accelerator(project_config=project_configuration(tmp_path, keep=2))
    model = torch.nn.Linear(2, 2)
    model, optimizer = accelerator.prepare(model, torch.optim.SGD(model.parameters(), lr=0.1))
    state, settings = TrainState(), {"seed": 0}
    for step in range(1, 5):
        with torch.no_grad():
            model.weight.fill_(step)
        state.step, state.losses = step, [*state.losses, float(step)]
        save_checkpoint(accelerator, state, settings)
    assert sorted(step_of(folder) for folder in (tmp_path / "checkpoints").iterdir()) == [3, 4]
    assert latest_checkpoint(tmp_path) == checkpoint_folder(tmp_path, 4)

    # a save interrupted before its trainer_state.json is never resumed from; a new save of its step replaces it
    checkpoint_folder(tmp_path, 6).mkdir()
    assert latest_checkpoint(tmp_path) == checkpoint_folder(tmp_path, 4)
    with pytest.raises(InputError, match="seed=0"):
        restore(accelerator, checkpoint_folder(tmp_path, 3), {"seed": 1})
    restored = restore(accelerator, checkpoint_folder(tmp_path, 3), settings)
    assert (restored.step, restored.losses) == (3, [1.0, 2.0, 3.0])
    assert torch.equal(model.weight.cpu(), torch.full((2, 2), 3.0))
    state.step = 6
    save_checkpoint(accelerator, state, settings)
    assert sorted(step_of(folder) for folder in (tmp_path / "checkpoints").iterdir()) == [4, 6]
    assert latest_checkpoint(tmp_path) == checkpoint_folder(tmp_path, 6)
