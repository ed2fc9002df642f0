"""summarize() throughput in sentences per second on a 1,000-sentence document, with the real bundled MiniLM.

The document is random sentences of 12-24 common words, ten to a paragraph. Each row is one
full summarize() call (segmentation, embedding, clustering, scores, elbow curve); the
embedding alone is timed too, so the clustering's share is visible. Rows alternate, best of
``--repeats`` each.

    .venv/bin/python benchmarks/summarize.py [--sentences 1000] [--repeats 3] [--smoke]

``--smoke``: 20 sentences, one round, a tiny random sentence encoder instead of MiniLM.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from timing import add_smoke_flag  # noqa: E402

from translator import OFFLINE_MINILM, summarize  # noqa: E402
from translator.tasks import embeddings  # noqa: E402
from translator.text.segment import sentences  # noqa: E402


def build_document(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    lines = [
        " ".join(rng.choice(builders.WORDS) for _ in range(rng.randint(12, 24))).capitalize() + "." for _ in range(n)
    ]
    return "\n\n".join(" ".join(lines[i : i + 10]) for i in range(0, n, 10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    add_smoke_flag(parser)
    args = parser.parse_args()
    if args.smoke:
        args.sentences, args.repeats = 20, 1
    with tempfile.TemporaryDirectory() as folder:
        model = str(builders.build_sentence_encoder(Path(folder) / "encoder")) if args.smoke else OFFLINE_MINILM
        measure(model, args.sentences, args.repeats)


def measure(model: str, n_sentences: int, repeats: int) -> None:
    text = build_document(n_sentences)
    spans = sentences(text)
    encoder = embeddings.sentence_encoder(model)
    # warm-up: loading and first-call costs out of the measurement
    summarize(text[:5_000], model=model, num_sentences=3)
    print(
        f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"torch {torch.__version__}, device {encoder.device_name}"
    )
    # the machines are shared: the load says how much else was running
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"document: {len(spans):,} sentences, {len(text):,} characters; model {model} "
        f"(all-MiniLM-L6-v2 unless --smoke, sentence-transformers); best of {repeats}"
    )
    texts = [s.text for s in spans]
    runs: dict[str, Callable[[], object]] = {
        "embedding only": lambda: embeddings.embed_sentences(texts, encoder),
        "summarize(): kmeans, ratio 0.2": lambda: summarize(text, model=model, algorithm="kmeans"),
        "summarize(): kmeans, 10 sentences": lambda: summarize(text, model=model, algorithm="kmeans", num_sentences=10),
        "summarize(): gmm, ratio 0.2": lambda: summarize(text, model=model, algorithm="gmm"),
        "summarize(): gmm, 10 sentences": lambda: summarize(text, model=model, algorithm="gmm", num_sentences=10),
    }
    best: dict[str, float] = {}
    results: dict[str, object] = {}
    for _ in range(repeats):  # alternating, so every row sees the same mix of quiet and busy moments
        for label, run in runs.items():
            started = time.perf_counter()
            results[label] = run()
            best[label] = min(best.get(label, float("inf")), time.perf_counter() - started)
    for label, seconds in best.items():
        result = results[label]
        picked = f" ({sum(s.selected for s in result.sentences)} picked)" if hasattr(result, "sentences") else ""
        print(f"{label:<40} {seconds:>7.2f} s {len(spans) / seconds:>8.0f} sentences/s{picked}")


if __name__ == "__main__":
    main()
