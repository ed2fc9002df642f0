"""Fine-tuning throughput of MiniLM2MiniLM (target tokens per second), measured through finetune() itself.

Both halves warm-start from the real all-MiniLM-L6-v2 bundled with the app (offline): 49M
parameters, or 26M with BERT2BERT-share. The corpus is synthetic: sentences of 12-24 words
from the test vocabulary, the target the same words reversed (content does not change the
arithmetic). Each setting runs in its own process, since Accelerate fixes the mixed precision
once per process, for ``--steps`` optimizer steps without a held-out split. The figure is
finetune()'s own ``target_tokens_per_second``: training steps only, no evaluation or
checkpoint time. On a CUDA machine the GPU settings run too.

    .venv/bin/python benchmarks/finetune.py [--steps 8] [--rows 400]

``--smoke``: one CPU setting, one step of batch 4, warm-started from a tiny random BERT instead of MiniLM.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from timing import add_smoke_flag  # noqa: E402

from translator import OFFLINE_MINILM  # noqa: E402

# (label, batch size, mixed precision, share, threads; None = the default, settings.threads)
CPU_SETTINGS = [
    ("fp32, batch 8", 8, "no", False, None),
    ("fp32, batch 16", 16, "no", False, None),
    ("fp32, batch 16, 1 thread", 16, "no", False, 1),
    ("bf16 autocast, batch 16", 16, "bf16", False, None),
    ("fp32, batch 16, shared", 16, "no", True, None),
]
GPU_SETTINGS = [
    ("GPU fp32, batch 32", 32, "no", False, None),
    ("GPU bf16, batch 32", 32, "bf16", False, None),
    ("GPU fp16, batch 32", 32, "fp16", False, None),
    ("GPU bf16, batch 64", 64, "bf16", False, None),
]


def write_corpus(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    lines = []
    for _ in range(rows):
        words = [rng.choice(builders.WORDS) for _ in range(rng.randint(12, 24))]
        lines.append(f"{' '.join(words)}\t{' '.join(reversed(words))}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_one(setting: dict) -> dict:
    """One setting, in this process; what finetune() measured."""
    from translator import FinetuneConfig, finetune

    with tempfile.TemporaryDirectory() as folder:
        result = finetune(
            FinetuneConfig(
                corpus=setting["corpus"],
                output_dir=str(Path(folder) / "out"),
                encoder=setting["encoder"],
                share=setting["share"],
                steps=setting["steps"],
                batch_size=setting["batch"],
                mixed_precision=setting["precision"],
                heldout_fraction=0,
                save_every=0,
                keep_checkpoints=1,
            )
        )
    return {
        "tokens_per_second": result.target_tokens_per_second,
        "seconds_per_step": result.train_seconds / result.steps,
        "device": result.device,
        "precision": result.precision,
        "threads": torch.get_num_threads(),
    }


def run_isolated(setting: dict) -> dict:
    env = {**os.environ, "TQDM_DISABLE": "1"}
    env.pop("OMP_NUM_THREADS", None)  # finetune() runs on settings.threads: the physical cores, or this
    if setting["threads"]:
        env["TRANSLATOR_THREADS"] = str(setting["threads"])
    if not setting["label"].startswith("GPU"):
        env["CUDA_VISIBLE_DEVICES"] = ""  # Accelerate takes a visible GPU; the CPU rows must not
    completed = subprocess.run(
        [sys.executable, __file__, "--one", json.dumps(setting)], capture_output=True, text=True, check=False, env=env
    )
    if completed.returncode:
        raise RuntimeError(f"{setting['label']} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one setting given as JSON
    add_smoke_flag(parser)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        return
    settings = CPU_SETTINGS + (GPU_SETTINGS if torch.cuda.is_available() else [])
    if args.smoke:
        args.steps, args.rows, settings = 1, 8, [("fp32, batch 4", 4, "no", False, 1)]
    print(
        f"MiniLM2MiniLM fine-tuning, {args.steps} steps per setting, synthetic 12-24-word rows; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}"
    )
    print()
    print("| setting | device | precision used | s/step | target tokens/s |")
    print("|---|---|---|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus.tsv"
        write_corpus(corpus, args.rows)
        encoder = str(builders.build_bert(Path(folder) / "bert")) if args.smoke else OFFLINE_MINILM
        for label, batch, precision, share, threads in settings:
            setting = {
                "label": label,
                "corpus": str(corpus),
                "encoder": encoder,
                "steps": args.steps,
                "batch": batch,
                "precision": precision,
                "share": share,
                "threads": threads,
            }
            measured = run_isolated(setting)
            threads = f"{measured['threads']} thread" + "s" * (measured["threads"] != 1)
            print(
                f"| {label} | {measured['device']} ({threads}) | {measured['precision']} | "
                f"{measured['seconds_per_step']:.2f} | {measured['tokens_per_second']:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
