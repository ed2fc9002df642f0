"""answer() on a 10,000-token context: all windows in batches against one forward per window, in one run.

A distilbert-base-sized QA model (dim 768, 6 layers, 12 heads, FFN 3072) with random weights:
the arithmetic of distilbert-base-cased-distilled-squad without the download (its vocabulary
is the small test one; the embedding lookup costs nothing next to the layers). Both sides run
the same answer() code on the same windows; only ``batch_size`` differs, and the answers must
agree. Each setting runs ``--repeats`` times, alternating, and the best time counts.

    .venv/bin/python benchmarks/qa_long.py [--tokens 10000] [--batch-sizes 1 4 16 32] [--repeats 3]
        [--max-seq-len 384] [--doc-stride 128] [--smoke]

``--smoke``: a tiny model on a 300-token context in 64-token windows, one round.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from timing import add_smoke_flag  # noqa: E402

from translator import answer, load_model  # noqa: E402
from translator.tasks.qa import WINDOW_BATCH  # noqa: E402

DISTILBERT_BASE = dict(dim=768, layers=6, heads=12)
QUESTION = "Which river runs through the city?"


def build_context(tokenizer, tokens: int, seed: int = 0) -> str:
    """Sentences of 12-24 vocabulary words until the context is ``tokens`` tokens long."""
    rng = random.Random(seed)
    sentences: list[str] = []
    while len(tokenizer(" ".join(sentences), add_special_tokens=False, verbose=False)["input_ids"]) < tokens:
        words = [rng.choice(builders.WORDS) for _ in range(rng.randint(12, 24))]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def timed(model: str, context: str, batch_size: int, max_seq_len: int, doc_stride: int):
    started = time.perf_counter()
    result = answer(
        QUESTION,
        context,
        model=model,
        top_k=5,
        batch_size=batch_size,
        mode="span",
        max_seq_len=max_seq_len,
        doc_stride=doc_stride,
    )
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 4, WINDOW_BATCH, 32])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-seq-len", type=int, default=384)
    parser.add_argument("--doc-stride", type=int, default=128)
    add_smoke_flag(parser)
    args = parser.parse_args()
    sizes = {} if args.smoke else DISTILBERT_BASE  # the builder's defaults are tiny
    if args.smoke:
        args.tokens, args.batch_sizes, args.repeats = 300, [1, WINDOW_BATCH], 1
        args.max_seq_len, args.doc_stride = 64, 16

    with tempfile.TemporaryDirectory() as tmp:
        folder = str(builders.build_distilbert_qa(Path(tmp) / "qa", **sizes))
        loaded = load_model(folder, "qa")
        context = build_context(loaded.tokenizer, args.tokens)
        n_tokens = len(loaded.tokenizer(context, add_special_tokens=False, verbose=False)["input_ids"])
        window = (args.max_seq_len, args.doc_stride)
        timed(folder, context[:2_000], WINDOW_BATCH, *window)  # warm-up: first-call costs out of the measurement
        best: dict[int, float] = {}
        results = {}
        for _ in range(args.repeats):
            for batch_size in args.batch_sizes:
                seconds, results[batch_size] = timed(folder, context, batch_size, *window)
                best[batch_size] = min(best.get(batch_size, float("inf")), seconds)

    reference = results[args.batch_sizes[0]]
    windows = len(reference.windows)
    print(
        f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"torch {torch.__version__}, device {loaded.device_name}"
    )
    # the machines are shared: the load says how much else was running
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"model: distilbert-base-sized QA (dim 768, 6 layers, 12 heads), {loaded.precision}, random weights")
    print(
        f"context: {n_tokens:,} tokens, {len(context):,} characters -> {windows} windows "
        f"(max_seq_len {args.max_seq_len}, doc_stride {args.doc_stride}); best of {args.repeats}"
    )
    print(f"{'batch_size':>10} {'seconds':>8} {'windows/s':>10} {'speed-up':>9}  same answers")
    for batch_size in args.batch_sizes:
        same = [(a.text, a.start, a.end) for a in results[batch_size].answers] == [
            (a.text, a.start, a.end) for a in reference.answers
        ]
        print(
            f"{batch_size:>10} {best[batch_size]:>8.2f} {windows / best[batch_size]:>10.1f} "
            f"{best[args.batch_sizes[0]] / best[batch_size]:>8.2f}x  {'yes' if same else 'NO'}"
        )
    print(
        f"default batch_size {WINDOW_BATCH} vs one window per forward: "
        f"{best[args.batch_sizes[0]] / best[WINDOW_BATCH]:.2f}x (target >= 1.5x)"
    )


if __name__ == "__main__":
    main()
