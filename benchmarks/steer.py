"""steer() against translate() of the same chunk, on both engines: does steering cost more than one translation?

steer(original=...), as the Steer view calls it with the translation it shows, decodes only the steered row
(engines/prefix.py): the row the target is judged by. Without the original, steer() decodes the chunk twice in one
call (as the model would, and with the forced start: a batch of two), kept for reference. On CTranslate2 both
steer() and translate() read their output back once for the token confidences. An opus-mt-en-de-sized Marian (random
weights, benchmarks/engines.py's build_model) with end-of-sequence suppressed, so every call writes exactly its
cap of new tokens (``--new-tokens``): the same arithmetic on every side. The forced start is the runner-up of the
first word (what the Steer view offers). Rounds alternate (each round runs every variant once over the same
sentences, one call per sentence); the best round counts.

    .venv/bin/python benchmarks/steer.py [--sentences 4] [--words 25] [--new-tokens 40] [--beams 4] [--repeats 5]

``--smoke``: a tiny Marian, one short sentence, 4 new tokens, one round.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT.parent), str(ROOT.parent / "tests"), str(ROOT)]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from engines import build_model, timed_rounds  # noqa: E402
from timing import add_smoke_flag  # noqa: E402
from translate_long import OPUS_MT_EN_DE  # noqa: E402

import translator  # noqa: E402
from translator import get_settings, load_model, steer, translate  # noqa: E402
from translator.tasks.translation.engines import ctranslate2 as fast  # noqa: E402

ENGINES = ("transformers", "ctranslate2")
WITH_ORIGINAL = "steer(original=...)"  # as the Steer view calls it: the target's row
DECODING_ORIGINAL = "steer()"  # the original decoded beside the steered row: for reference


def chunks(count: int, words: int) -> list[str]:
    """``count`` one-sentence chunks of ``words`` words each."""
    rng = random.Random(3)
    picked = [" ".join(rng.choice(builders.WORDS) for _ in range(words)) for _ in range(count)]
    return [s[0].upper() + s[1:] + "." for s in picked]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=4, help="chunks per round, one call each")
    parser.add_argument("--words", type=int, default=25, help="words per chunk")
    parser.add_argument("--new-tokens", type=int, default=40, help="tokens every call writes, on every side")
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="torch and CTranslate2 threads")
    add_smoke_flag(parser)
    args = parser.parse_args()
    sizes = OPUS_MT_EN_DE
    if args.smoke:  # the builder's defaults are tiny
        sizes, args.sentences, args.words, args.new_tokens, args.beams, args.repeats = {}, 1, 4, 4, 2, 1
    torch.set_num_threads(args.threads)  # CTranslate2 takes torch's thread count (engines/ctranslate2.py)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        translator.configure(
            get_settings().replace(
                offline=True, max_generate_seconds=3_600.0, max_new_tokens=args.new_tokens, ctranslate2_dir=tmp
            )
        )
        model = str(build_model(Path(tmp) / "marian-opus-size", sizes))
        texts = chunks(args.sentences, args.words)
        load_model(model, "translation", "fp32")  # both loaded (and converted) before the clock starts
        fast.load(model, "fp32")
        # a CTranslate2 load may leave this thread's OpenMP pool at its workers' size: torch runs on --threads
        torch.set_num_threads(args.threads)
        common = dict(model=model, num_beams=args.beams, precision="fp32")
        # each chunk's forced start: the runner-up of its first word, as the transformers engine ranks it
        starts = [[translate(t, engine="transformers", **common).chunks[0].tokens[0].alternatives[0][0]] for t in texts]
        # each engine's own translation of each chunk, as the Steer view holds it
        originals = {e: [translate(t, engine=e, **common).chunks[0].hypotheses[0] for t in texts] for e in ENGINES}

        def translating(engine: str) -> Callable[[], object]:
            return lambda: [translate(t, engine=engine, **common) for t in texts]

        def steering(engine: str, given: bool) -> Callable[[], object]:
            held = originals[engine] if given else [None] * len(texts)
            return lambda: [
                steer(t, prefix_tokens=s, engine=engine, original=o, **common)
                for t, s, o in zip(texts, starts, held, strict=True)
            ]

        variants = {}
        for engine in ENGINES:
            variants |= {
                f"translate(), {engine}": translating(engine),
                f"{WITH_ORIGINAL}, {engine}": steering(engine, True),
                f"{DECODING_ORIGINAL}, {engine}": steering(engine, False),
            }
        times, cpu, last = timed_rounds(variants, args.repeats)
    for engine, kind in itertools.product(ENGINES, (WITH_ORIGINAL, DECODING_ORIGINAL)):
        # the forced start kept on every side: the steered runs did steer
        assert all(r.tokens[0].text == s[0] for r, s in zip(last[f"{kind}, {engine}"], starts, strict=True))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, load average at start {load:.1f}, at end {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{len(texts)} one-sentence chunks of {args.words} words, one call each; every call writes "
        f"{args.new_tokens} new tokens (end-of-sequence suppressed); beam {args.beams}; fp32; model: "
        f"{'a tiny Marian' if args.smoke else 'Marian d512 6+6 layers vocab 58,101'}, random weights; "
        f"best of {args.repeats} alternating rounds"
    )
    print()
    print(
        "| engine | call | translate() s/call (best) | steer s/call (best) | steer / translate (wall) | (CPU) "
        "| all rounds, steer |"
    )
    print("|---|---|---|---|---|---|---|")
    for engine, kind in itertools.product(ENGINES, (WITH_ORIGINAL, DECODING_ORIGINAL)):
        a, b = f"translate(), {engine}", f"{kind}, {engine}"
        wall, cpu_ = (min(d[b]) / min(d[a]) for d in (times, cpu))
        rounds = " / ".join(f"{t / len(texts):.3f}" for t in times[b])
        print(
            f"| {engine} | {kind} | {min(times[a]) / len(texts):.3f} | {min(times[b]) / len(texts):.3f} | "
            f"{wall:.2f}x | {cpu_:.2f}x | {rounds} |"
        )


if __name__ == "__main__":
    main()
