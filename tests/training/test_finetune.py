"""Fine-tuning on the toy cipher: it learns, writes its outputs, resumes exactly; the finetune command."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from toy_cipher import encipher, toy_sentences

from translator import InputError, load_model, translate
from translator.__main__ import main
from translator.core.registry import read_registry_file
from translator.training.checkpoints import step_of
from translator.training.finetune import FinetuneConfig, finetune


@pytest.fixture(scope="module")
def trained(toy, tmp_path_factory):
    config = FinetuneConfig(
        corpus=str(toy["corpus"]),
        output_dir=str(tmp_path_factory.mktemp("run") / "toy-cipher"),
        encoder=str(toy["bert"]),
        steps=150,
        batch_size=16,
        learning_rate=1e-3,
        save_every=75,
        heldout_fraction=0.1,
        max_heldout=40,
        eval_batch_size=64,
        languages=("xx", "yy"),
    )
    return config, finetune(config)


def test_fine_tuning_learns_the_cipher(toy, trained):
    _, result = trained
    assert result.steps == len(result.losses) == 150 and result.resumed_from == 0
    first, last = sum(result.losses[:10]) / 10, sum(result.losses[-10:]) / 10
    assert last < first / 3
    assert [e.step for e in result.evaluations] == [75, 150]
    assert result.evaluations[-1].bleu > 50 and result.evaluations[-1].chrf > 50
    assert result.evaluations[-1].sentences == 40 and not result.evaluations[-1].lowercase
    assert (result.corpus.rows, result.corpus.train, result.corpus.heldout) == (600, 560, 40)
    # 150 updates of 16 rows, each target 3-6 words and [SEP]
    trained_tokens = round(result.target_tokens_per_second * result.train_seconds)
    assert 150 * 16 * 4 <= trained_tokens <= 150 * 16 * 7
    assert result.device == (torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU")

    # sentences that are in neither split, through the app's own translate()
    seen = frozenset(line.split("\t")[0] for line in toy["corpus"].read_text().splitlines())
    unseen = toy_sentences(20, seed=7, exclude=seen)
    correct = sum(
        translate(s, model=result.output_dir, num_beams=1, precision="fp32").text == encipher(s) for s in unseen
    )
    assert correct >= 10, f"{correct}/20 correct"  # chance is (1/16) per word


def test_outputs_register_the_model_and_describe_it(trained):
    config, result = trained
    output = Path(result.output_dir)
    (spec,) = read_registry_file(result.registry_entry)
    assert (spec.key, spec.path, spec.tasks, spec.languages) == (
        "toy-cipher",
        str(output),
        ("translation",),
        ("xx", "yy"),
    )
    assert f"BLEU {result.evaluations[-1].bleu:.1f}" in spec.description
    card = (output / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "# toy-cipher" in card
    for fact in ("600 rows", "560 for training, 40", "150 steps", "| 150 | ", "--registry registry-entry.toml"):
        assert fact in card, fact
    folders = sorted((output / "checkpoints").iterdir(), key=step_of)
    assert [p.name for p in folders] == ["checkpoint_75", "checkpoint_150"]
    assert [json.loads((p / "trainer_state.json").read_text())["step"] for p in folders] == [75, 150]
    assert (output / "model.safetensors").is_file() and (output / "finetune.json").is_file()
    assert not list(output.glob("*.bin"))
    loaded = load_model(str(output), "translation", precision="fp32")
    assert type(loaded.model).__name__ == "EncoderDecoderModel"
    assert "[CLS]" not in translate("ka ke", model=str(output), num_beams=2).text


def test_resumed_run_continues_from_the_saved_step(toy, tmp_path):
    # 32 training rows in batches of 8, 2 batches per update: the checkpoint at step 3 falls inside epoch 2
    config = FinetuneConfig(
        corpus=str(toy["small"]),
        output_dir=str(tmp_path / "full"),
        encoder=str(toy["bert"]),
        steps=6,
        batch_size=8,
        grad_accum=2,
        learning_rate=1e-3,
        save_every=3,
        heldout_fraction=0.2,
        eval_batch_size=8,
        max_target_tokens=16,
        keep_checkpoints=1,  # the resumed run's save at step 6 deletes the checkpoint it resumed from
    )
    full = finetune(config)

    def stop_after_step_4(fraction: float, message: str) -> None:
        if fraction >= 4 / 6:
            raise KeyboardInterrupt

    interrupted = dataclasses.replace(config, output_dir=str(tmp_path / "cut"))
    with pytest.raises(KeyboardInterrupt):
        finetune(interrupted, progress=stop_after_step_4)
    assert not (tmp_path / "cut" / "model.safetensors").exists()
    with pytest.raises(InputError, match="not empty"):
        finetune(interrupted)
    with pytest.raises(InputError, match="batch_size=8"):
        finetune(dataclasses.replace(interrupted, resume=True, batch_size=4))

    resumed = finetune(dataclasses.replace(interrupted, resume=True))
    assert (resumed.resumed_from, resumed.steps, len(resumed.losses)) == (3, 6, 6)
    # the same batches, dropout masks and optimizer state as the run that was never stopped
    assert resumed.losses == pytest.approx(full.losses, rel=1e-5)
    assert [e.step for e in resumed.evaluations] == [3, 6]
    assert [p.name for p in (tmp_path / "cut" / "checkpoints").iterdir()] == ["checkpoint_6"]
    assert resumed.evaluations[-1].bleu == pytest.approx(full.evaluations[-1].bleu)
    full_weights = load_file(Path(full.output_dir) / "model.safetensors")
    resumed_weights = load_file(Path(resumed.output_dir) / "model.safetensors")
    for key, tensor in full_weights.items():
        torch.testing.assert_close(resumed_weights[key], tensor, rtol=1e-5, atol=1e-6)


# -------------------------------------------------------------------- the command


def test_finetune_command(toy, tmp_path, capsys):
    output = tmp_path / "cli"
    code = main(
        [
            "finetune",
            str(toy["small"]),
            "--output",
            str(output),
            "--encoder",
            str(toy["bert"]),
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--max-heldout",
            "2",
            "--eval-beams",
            "2",
            "--name",
            "cli-toy",
            "--languages",
            "xx",
            "yy",
            "--share",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert f"--registry {output / 'registry-entry.toml'}" in out.out
    assert "Saved the translator" in out.out and "held-out BLEU" in out.out
    (spec,) = read_registry_file(output / "registry-entry.toml")
    assert spec.key == "cli-toy"
    assert '"share": true' in (output / "finetune.json").read_text()


@pytest.mark.slow
def test_module_entry_point_trains_with_bf16_autocast(toy, tmp_path):
    # its own process: Accelerate fixes the mixed precision once per process
    output = tmp_path / "bf16"
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "translator",
            "finetune",
            str(toy["small"]),
            "--output",
            str(output),
            "--encoder",
            str(toy["bert"]),
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--max-heldout",
            "2",
            "--save-every",
            "0",
            "--mixed-precision",
            "bf16",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    summary = json.loads((output / "finetune.json").read_text())
    assert summary["precision"] == "bf16" and summary["steps"] == 2
    assert not (output / "checkpoints").exists()  # --save-every 0: the model and its scores, no checkpoints
    assert len(summary["evaluations"]) == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.tsv", b"", "is empty"),
        ("columns.tsv", b"ka ke\tzo zu\nki only\n", "Line 2 has 1 field"),
        ("latin1.tsv", "ka\tzo\nk\xe9\tz\xe9\n".encode("latin-1"), "not UTF-8 text: line 2"),
        ("fields.jsonl", b'{"source": "ka", "translation": "zo"}\n', "Line 1 has no 'target' field"),
    ],
)
def test_finetune_command_reports_bad_data(toy, tmp_path, capsys, name, content, message):
    corpus = tmp_path / name
    corpus.write_bytes(content)
    code = main(["finetune", str(corpus), "--output", str(tmp_path / "out"), "--encoder", str(toy["bert"])])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_rows_too_long_are_skipped_and_counted(toy, tmp_path):
    corpus = tmp_path / "long.tsv"
    rows = [f"{s}\t{encipher(s)}" for s in toy_sentences(12, seed=3)] + ["ka " * 40 + "\tzo"]
    corpus.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = finetune(
        FinetuneConfig(
            corpus=str(corpus),
            output_dir=str(tmp_path / "out"),
            encoder=str(toy["bert"]),
            steps=1,
            batch_size=4,
            max_source_tokens=16,
            heldout_fraction=0,
        )
    )
    assert (result.corpus.rows, result.corpus.skipped_too_long, result.corpus.train) == (13, 1, 12)
    assert result.evaluations == []
    with pytest.raises(InputError, match="longer than 4 source"):
        finetune(
            FinetuneConfig(
                corpus=str(corpus), output_dir=str(tmp_path / "none"), encoder=str(toy["bert"]), max_source_tokens=4
            )
        )
