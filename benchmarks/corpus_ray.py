"""Sentences per second of ``python -m translator translate`` on a .jsonl corpus: in process, and on a local Ray.

An opus-mt-en-de-sized Marian with random weights (benchmarks/translate_long.py builds it; end-of-sequence
suppressed, so every sentence generates exactly ``--new-tokens`` tokens), one sentence per row. Each run
is timed whole: Ray's start-up and each actor's model load are part of what a user waits for. The time
to the first finished batch shows how much of it that start-up is.

    .venv/bin/python benchmarks/corpus_ray.py [--sentences 240] [--beams 2] [--new-tokens 24] [--actors 1 2] [--smoke]

``--smoke``: a tiny Marian, a few sentences, in process only (a local Ray's start costs more than the rest together;
tests/tasks/files run translate_corpus on Ray).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from timing import add_smoke_flag  # noqa: E402
from translate_long import OPUS_MT_EN_DE, build_model  # noqa: E402

import translator  # noqa: E402
from translator import get_settings, translate_corpus  # noqa: E402


def build_corpus(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as file:
        for i in range(n):
            words = " ".join(rng.choice(builders.WORDS) for _ in range(rng.randint(12, 18)))
            file.write(json.dumps({"id": i, "text": words.capitalize() + "."}) + "\n")


def timed(corpus: Path, out: Path, **options) -> tuple[float, float]:
    """(whole seconds, seconds to the first finished batch)."""
    marks: list[tuple[float, int]] = []
    started = time.perf_counter()
    translate_corpus(
        [corpus], out, on_progress=lambda done, total: marks.append((time.perf_counter(), done)), **options
    )
    return time.perf_counter() - started, next(t for t, done in marks if done > 0) - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=240)
    parser.add_argument("--beams", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=24)
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    add_smoke_flag(parser)
    args = parser.parse_args()
    if args.smoke:
        args.sentences, args.beams, args.new_tokens, args.actors = 6, 1, 4, []
    settings = get_settings().replace(offline=True, max_generate_seconds=3_600.0, max_new_tokens=args.new_tokens)
    translator.configure(settings)
    with tempfile.TemporaryDirectory() as tmp:
        model = build_model(Path(tmp) / "marian-opus-size", {} if args.smoke else OPUS_MT_EN_DE)
        corpus = Path(tmp) / "corpus.jsonl"
        build_corpus(corpus, args.sentences)
        options = {"model": str(model), "num_beams": args.beams, "engine": "transformers", "precision": "fp32"}
        print(
            f"{args.sentences} sentences of 12-18 words, {args.new_tokens} new tokens each, {args.beams} beams; "
            f"Marian d512 6+6 layers, fp32, transformers engine; {os.cpu_count()} cores, "
            f"load average at start {os.getloadavg()[0]:.1f}\n"
        )
        print("| run | seconds | sentences/s | seconds to the first batch |")
        print("|---|---|---|---|")
        runs = [("in process", {})] + [
            (f"Ray, {n} actor(s)", {"ray_address": "local", "ray_actors": n}) for n in args.actors
        ]
        for number, (name, extra) in enumerate(runs):
            whole, first = timed(corpus, Path(tmp) / f"out{number}.jsonl", **options, **extra)
            print(f"| {name} | {whole:.1f} | {args.sentences / whole:.2f} | {first:.1f} |", flush=True)
        print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
