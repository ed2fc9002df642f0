"""The thread policy (settings.threads): the app against the Python API, and fine-tuning at the default threads.

1. The same translation (opus-mt-en-de-sized Marian, random weights, end-of-sequence suppressed so every
   sentence writes ``--new-tokens`` tokens; beam 8, CTranslate2 fp32 as ``engine="auto"`` picks it) through
   ``translate()`` in this process and through the running app (``python app.py``, gradio_client, the
   ``/translate`` endpoint), alternating, best of ``--repeats``. Both run at the default ``threads``.
2. Fine-tuning s/step (benchmarks/finetune.py's setting "fp32, batch 16") at the default threads and at each
   thread count from 1 to the CPUs, each in its own process.

    .venv/bin/python benchmarks/threads.py [--words 120] [--new-tokens 24] [--repeats 3] [--steps 4]

``--smoke``: a tiny Marian, one round, one fine-tune step at the default threads.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT.parent), str(ROOT.parent / "tests"), str(ROOT)]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from engines import build_model, document  # noqa: E402
from finetune import run_isolated, write_corpus  # noqa: E402
from servers import free_port, stop, wait_for_port  # noqa: E402
from timing import add_smoke_flag  # noqa: E402
from translate_long import OPUS_MT_EN_DE  # noqa: E402

import translator  # noqa: E402
from translator import OFFLINE_MINILM  # noqa: E402

BEAMS = 8  # the case: an 8-beam translation took 12x longer in the app


def app_against_api(args: argparse.Namespace, folder: Path) -> None:
    from gradio_client import Client

    sizes = {} if args.smoke else OPUS_MT_EN_DE
    model = build_model(folder / "marian", sizes)
    registry = folder / "registry.toml"
    registry.write_text(f'[models.bench-marian]\npath = "{model}"\ntasks = ["translation"]\n', encoding="utf-8")
    env = {**os.environ, "TRANSLATOR_MAX_NEW_TOKENS": str(args.new_tokens), "TRANSLATOR_REGISTRY_FILE": str(registry)}
    env.pop("OMP_NUM_THREADS", None)  # the default threads: the physical cores
    os.environ.update({k: env[k] for k in ("TRANSLATOR_MAX_NEW_TOKENS", "TRANSLATOR_REGISTRY_FILE")})
    os.environ.pop("OMP_NUM_THREADS", None)
    translator.configure(translator.Settings.from_env())
    text = document(args.words, None)
    port = free_port()
    log = (folder / "app.log").open("w")
    app = subprocess.Popen(
        [sys.executable, str(ROOT.parent / "app.py"), "--host", "127.0.0.1", "--port", str(port), "--offline"],
        cwd=ROOT.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, app)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        options = dict(model="bench-marian", num_beams=BEAMS, engine="auto", precision="auto")

        def through_app() -> str:
            return client.predict(text=text, n_best=1, api_name="/translate", **options)[0]

        def through_api() -> str:
            return translator.translate(text, **options).text

        through_app(), through_api()  # load and convert once on each side
        times: dict[str, list[float]] = {"Python API": [], "app": []}
        for _ in range(1 if args.smoke else args.repeats):
            for name, run in (("Python API", through_api), ("app", through_app)):
                started = time.perf_counter()
                output = run()
                times[name].append(time.perf_counter() - started)
        assert through_app() == through_api() == output  # the same translation on both sides
    finally:
        stop(app)
    api, served = min(times["Python API"]), min(times["app"])
    print(f"Translate, {args.words} words, beam {BEAMS}, {args.new_tokens} new tokens a sentence, engine auto, ")
    print(f"{translator.get_settings().threads} threads (the default); best of {len(times['app'])}\n")
    print("| path | seconds |\n|---|---:|")
    print(f"| Python API | {api:.2f} |\n| app (gradio_client) | {served:.2f} ({served / api:.2f}x) |\n")


def finetune_threads(args: argparse.Namespace, folder: Path) -> None:
    corpus = folder / "corpus.tsv"
    write_corpus(corpus, 8 if args.smoke else 400)
    encoder = str(builders.build_bert(folder / "bert")) if args.smoke else OFFLINE_MINILM
    counts = [None] if args.smoke else [None, *range(1, (os.cpu_count() or 1) + 1)]
    print(
        f"Fine-tuning MiniLM2MiniLM, fp32, batch {4 if args.smoke else 16}, {1 if args.smoke else args.steps} steps\n"
    )
    print("| threads | s/step |\n|---|---:|")
    for threads in counts:
        measured = run_isolated(
            {
                "label": "default" if threads is None else f"{threads}",
                "corpus": str(corpus),
                "encoder": encoder,
                "steps": 1 if args.smoke else args.steps,
                "batch": 4 if args.smoke else 16,
                "precision": "no",
                "share": False,
                "threads": threads,
            }
        )
        label = f"default ({measured['threads']})" if threads is None else str(threads)
        print(f"| {label} | {measured['seconds_per_step']:.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=120)
    parser.add_argument("--new-tokens", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--skip-app", action="store_true", help="only the fine-tuning part")
    add_smoke_flag(parser)
    args = parser.parse_args()
    if args.smoke:
        args.words, args.new_tokens = 12, 4
    print(f"load average at start {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs\n")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_app:
            app_against_api(args, Path(tmp))
        finetune_threads(args, Path(tmp))
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
