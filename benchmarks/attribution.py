"""attribute() cost: integrated gradients on an opus-mt-sized MarianMT, by step count, with the completeness gap.

A MarianMT with opus-mt-en-de's layers (6+6, 8 heads, d_model 512) and random weights (the test vocabulary, as
benchmarks/attention.py explains), a 40-token source, and the model's own translation cut at 30 new tokens
(random weights rarely end a sentence, so the new-token setting is the cap). Torch runs on ``--threads`` threads.
Peak memory is the process's resident peak so far (ru_maxrss), so the runs go from fewest steps up.

    .venv/bin/python benchmarks/attribution.py [--steps 8 32 64] [--threads 2] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from attention import OPUS_MT, words_for  # noqa: E402
from timing import add_smoke_flag  # noqa: E402

import translator  # noqa: E402
from translator import attribute, get_settings, load_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--source-tokens", type=int, default=40)
    parser.add_argument("--target-tokens", type=int, default=30)
    add_smoke_flag(parser)
    args = parser.parse_args()
    sizes = OPUS_MT
    if args.smoke:
        args.steps, args.source_tokens, args.target_tokens, sizes = [2], 8, 5, {}
    torch.set_num_threads(args.threads)
    translator.configure(get_settings().replace(max_new_tokens=args.target_tokens, offline=True))
    with tempfile.TemporaryDirectory() as folder:
        marian = str(builders.build_marian(Path(folder) / "marian", **sizes))
        tokenizer = load_model(marian, "translation", attn="eager").tokenizer
        source = tokenizer.convert_tokens_to_string(
            tokenizer.tokenize(words_for(tokenizer, args.source_tokens))[: args.source_tokens - 1]
        )
        print(f"opus-mt-sized MarianMT (random weights), {args.threads} threads, integrated gradients")
        print("steps | source tokens | target tokens | seconds | progress updates | peak RSS | convergence delta")
        print("-----:|--------------:|--------------:|--------:|-----------------:|---------:|------------------:")
        for steps in sorted(args.steps):
            updates: list[float] = []
            started = time.perf_counter()
            result = attribute(
                source, model=marian, steps=steps, num_beams=1, progress=lambda f, _, u=updates: u.append(f)
            )
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            print(
                f"{steps} | {len(result.source_tokens)} | {len(result.target_tokens)} | {seconds:.1f} | "
                f"{len(updates)} | {peak:,.0f} MB | {result.convergence_delta:.2e}"
            )


if __name__ == "__main__":
    main()
