"""summarize() throughput in sentences per second on a 1,000-sentence document, with the real bundled MiniLM.

The document is random sentences of 12-24 common words, ten to a paragraph. Each row is one
full summarize() call (segmentation, embedding, clustering, scores, elbow curve); the
embedding alone is timed too, so the clustering's share is visible. Best of ``--repeats``.

    .venv/bin/python benchmarks/summarize.py [--sentences 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402

from translator import embeddings, summarize  # noqa: E402
from translator.registry import OFFLINE_MINILM  # noqa: E402
from translator.segment import sentences  # noqa: E402


def build_document(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    lines = [" ".join(rng.choice(builders.WORDS) for _ in range(rng.randint(12, 24))).capitalize() + "."
             for _ in range(n)]
    return "\n\n".join(" ".join(lines[i:i + 10]) for i in range(0, n, 10))


def best_of(repeats: int, run: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    text = build_document(args.sentences)
    spans = sentences(text)
    encoder = embeddings.sentence_encoder(OFFLINE_MINILM)
    summarize(text[:5_000], num_sentences=3)  # warm-up: loading and first-call costs out of the measurement
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}, device {encoder.device_name}")
    # the machines are shared: the load says how much else was running
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"document: {len(spans):,} sentences, {len(text):,} characters; model {OFFLINE_MINILM} "
          f"(all-MiniLM-L6-v2, sentence-transformers); best of {args.repeats}")
    seconds, _ = best_of(args.repeats, lambda: embeddings.embed_sentences([s.text for s in spans], encoder))
    print(f"{'embedding only':<40} {seconds:>7.2f} s {len(spans) / seconds:>8.0f} sentences/s")
    runs = [("kmeans, ratio 0.2", dict(algorithm="kmeans")),
            ("kmeans, 10 sentences", dict(algorithm="kmeans", num_sentences=10)),
            ("gmm, ratio 0.2", dict(algorithm="gmm")),
            ("gmm, 10 sentences", dict(algorithm="gmm", num_sentences=10))]
    for label, kwargs in runs:
        seconds, result = best_of(args.repeats, lambda kwargs=kwargs: summarize(text, **kwargs))
        picked = sum(s.selected for s in result.sentences)
        print(f"{'summarize(): ' + label:<40} {seconds:>7.2f} s {len(spans) / seconds:>8.0f} sentences/s "
              f"({picked} picked)")


if __name__ == "__main__":
    main()
