"""translate() on each engine, and raw CTranslate2 as the ceiling, on a ~2,000-word document at beam 4.

An opus-mt-en-de-sized Marian (d_model 512, 6+6 layers, 8 heads, FFN 2048, vocabulary 58,101 ending in
<pad>, as CTranslate2's converter requires) with random weights. End-of-sequence is suppressed (both
engines honour the generation config's ``suppress_tokens``) and the new-token ceiling is ``--new-tokens``,
so every sentence generates exactly that many tokens on every side: the same arithmetic. One sentence per
chunk (translate()'s default). Rounds alternate (each round runs every variant once); the best round
counts. Raw CTranslate2 is one ``translate_batch`` over the same source tokens with the same options, split
between the same workers (one one-thread worker per thread, engines/ctranslate2.py), without our chunking,
batching, token bookkeeping or decoding; and once more on one worker of all the threads (CTranslate2's usual
setup, what the engine ran before).

Cases (``--case``): ``fixed`` (the above: every sentence generates ``--new-tokens``); ``capped`` (end-of-sequence
allowed but made unlikely, new-token ceiling lifted, sentences of real lengths, 4-60 words: every chunk runs to
its own cap, 1.5 x its source tokens + 10); ``mixed`` (the same sentences, end-of-sequence likely enough that some
chunks end early and some reach their cap). The share of translate()'s CPU time the token confidences take is
printed per variant: CTranslate2's forced pass after a beam search, and turning its logits into probabilities,
runners-up and the words they make (engines/confidences.py), the pass's own share in brackets; and
translate(confidences=False), which leaves them out (what files and corpora run).

    .venv/bin/python benchmarks/engines.py [--case fixed|capped|mixed] [--words 2000] [--sentences N] [--repeats 3]

``--bert2bert`` instead times a bert2bert_L-24-sized model (random weights): transformers fp32 and 4-bit,
CTranslate2 int8, on a ~300-word text at beam 4.

``--smoke`` runs both at the smallest size: tiny models, a few sentences, 4 new tokens, one round.
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

import ctranslate2
import sacrebleu
import torch
from transformers import GenerationConfig

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT.parent), str(ROOT.parent / "tests"), str(ROOT)]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from timing import add_smoke_flag  # noqa: E402
from translate_long import OPUS_MT_EN_DE, build_document  # noqa: E402

import translator  # noqa: E402
from translator import get_settings, load_model, translate  # noqa: E402
from translator.tasks.translation.engines import confidences  # noqa: E402
from translator.tasks.translation.engines import ctranslate2 as fast  # noqa: E402
from translator.tasks.translation.generation import new_token_cap  # noqa: E402
from translator.text.segment import sentences  # noqa: E402

REFERENCE = "translate(engine='transformers'), fp32"
FLOAT32 = "translate(engine='ctranslate2'), float32"
INT8 = "translate(engine='ctranslate2'), int8"
BARE = "translate(engine='ctranslate2', confidences=False)"  # what files and corpora run
RAW = {"float32": "raw translate_batch, float32", "int8": "raw translate_batch, int8"}
BERT2BERT_L24 = dict(hidden=1024, layers=24, heads=16, intermediate=4096, vocab_size=50_358)
# the end-of-sequence logit's bias per case: None suppresses it (fixed length); a large negative one leaves it
# allowed but never chosen (every chunk reaches its cap); in "mixed", some chunks end early (found by trying)
EOS_BIAS = {"fixed": None, "capped": -1e4, "mixed": 1.0}
# words per sentence in the capped and mixed cases: a real document's spread, short headings to long sentences
SENTENCE_WORDS = (4, 60)


def build_model(folder: Path, sizes: dict[str, int], eos_bias: float | None = None) -> Path:
    import torch as torch_
    from transformers import MarianMTModel

    builders.build_marian(folder, **sizes, pad_last=True)
    config = GenerationConfig.from_pretrained(folder)
    config.forced_eos_token_id = None
    if eos_bias is None:
        config.suppress_tokens = [config.eos_token_id]  # fixed output length: every row runs to its cap
    else:
        model = MarianMTModel.from_pretrained(folder)
        with torch_.no_grad():
            model.final_logits_bias[0, config.eos_token_id] = eos_bias
        model.save_pretrained(folder)
    config.save_pretrained(folder)
    return folder


def document(words: int, count: int | None, case: str = "fixed") -> str:
    """The document, or its first ``count`` sentences (to fit a time budget); sentences of real lengths for the
    capped and mixed cases."""
    if case == "fixed":
        text = build_document(words)
        return text if count is None else " ".join(s.text for s in sentences(text)[:count])
    rng = random.Random(1)
    picked = []
    for _ in range(count or max(1, words // 25)):
        n = rng.randint(*SENTENCE_WORDS)
        sentence = " ".join(rng.choice(builders.WORDS) for _ in range(n))
        picked.append(sentence[0].upper() + sentence[1:] + ".")
    return " ".join(picked)


class ConfidenceClock:
    """CPU seconds CTranslate2's token confidences take: the forced pass (the calls with a target_prefix) and the
    scoring of its logits (confidences.token_scores)."""

    def __init__(self, models: list[object]) -> None:
        self.passes = self.scoring = 0.0
        for model in models:
            object.__setattr__(model, "translator", _Clocked(model.translator, self))
        score = confidences.token_scores

        def scored(*args: object, **kwargs: object) -> object:
            started = time.process_time()
            try:
                return score(*args, **kwargs)
            finally:
                self.scoring += time.process_time() - started

        confidences.token_scores = scored

    def reset(self) -> None:
        self.passes = self.scoring = 0.0


class _Clocked:
    """A ctranslate2.Translator whose forced calls add to ``clock.passes`` (the C++ class takes no new attributes)."""

    def __init__(self, inner: object, clock: ConfidenceClock) -> None:
        self.inner, self.clock = inner, clock

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def translate_batch(self, sources: list[list[str]], **kwargs: object) -> object:
        if "target_prefix" not in kwargs:
            return self.inner.translate_batch(sources, **kwargs)
        started = time.process_time()
        try:
            return self.inner.translate_batch(sources, **kwargs)
        finally:
            self.clock.passes += time.process_time() - started


def raw_call(
    translator_: object, sources: list[list[str]], new_tokens: int, beams: int, suppress: bool
) -> Callable[[], list[str]]:
    """One translate_batch over every sentence, split between the translator's workers: what a CTranslate2 user
    writes, the ceiling for our engine (in the capped and mixed cases, one call at the longest cap: no per-chunk
    caps, so not the same output)."""

    def run() -> list[str]:
        results = translator_.translate_batch(
            sources,
            beam_size=beams,
            max_decoding_length=new_tokens,
            suppress_sequences=[["</s>"]] if suppress else None,
            max_input_length=0,
            max_batch_size=-(-len(sources) // translator_.num_translators),
        )
        return [" ".join(r.hypotheses[0]) for r in results]

    return run


def timed_rounds(
    variants: dict[str, Callable[[], object]], repeats: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict]:
    """Each round runs every variant once (alternating, so a noisy spell hits them alike): wall and CPU seconds."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    last: dict[str, object] = {}
    for round_ in range(repeats):
        for name, run in variants.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            last[name] = run()
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_started)
            print(f"  round {round_ + 1}: {name} {times[name][-1]:.1f} s", file=sys.stderr, flush=True)
    return times, cpu, last


def marian(args: argparse.Namespace) -> None:
    fixed = args.case == "fixed"
    ceiling = args.new_tokens if fixed else 512  # capped and mixed: each chunk's own cap decides
    translator.configure(
        get_settings().replace(
            offline=True,
            max_generate_seconds=3_600.0,
            max_new_tokens=ceiling,
            ctranslate2_dir=args.cache,
            threads=args.threads,
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        model = str(build_model(Path(tmp) / "marian-opus-size", args.marian_sizes, EOS_BIAS[args.case]))
        text = document(args.words, args.sentences, args.case)
        load_model(model, "translation", "fp32")  # every model loaded (and converted) before the clock starts
        f32, i8 = fast.load(model, "fp32"), fast.load(model, "8bit")
        encoded = f32.tokenizer([s.text for s in sentences(text)])["input_ids"]
        sources = [[f32.model.source_vocabulary[i] for i in ids] for ids in encoded]
        longest = max(new_token_cap(len(ids) - 1, ceiling) for ids in encoded)
        raw_raw = (f32.model.translator, i8.model.translator)
        one_worker = ctranslate2.Translator(
            str(f32.model.folder), compute_type="float32", intra_threads=args.threads, inter_threads=1
        )
        clock = ConfidenceClock([f32.model, i8.model])
        shares: dict[str, list[tuple[float, float]]] = {}

        def ours(engine: str, precision: str, name: str, confidences_: bool = True) -> Callable[[], object]:
            def run() -> object:
                clock.reset()
                started = time.process_time()
                result = translate(
                    text,
                    model=model,
                    num_beams=args.beams,
                    engine=engine,
                    precision=precision,
                    confidences=confidences_,
                )
                spent = time.process_time() - started
                shares.setdefault(name, []).append(((clock.passes + clock.scoring) / spent, clock.passes / spent))
                return result

            return run

        variants = {
            REFERENCE: ours("transformers", "fp32", REFERENCE),
            FLOAT32: ours("ctranslate2", "fp32", FLOAT32),
            INT8: ours("ctranslate2", "8bit", INT8),
            f"{BARE}, float32": ours("ctranslate2", "fp32", f"{BARE}, float32", False),
            f"{BARE}, int8": ours("ctranslate2", "8bit", f"{BARE}, int8", False),
            RAW["float32"]: raw_call(raw_raw[0], sources, longest, args.beams, fixed),
            RAW["int8"]: raw_call(raw_raw[1], sources, longest, args.beams, fixed),
            "raw translate_batch, one worker, float32": raw_call(one_worker, sources, longest, args.beams, fixed),
        }
        times, cpu, last = timed_rounds(variants, args.repeats)
    reference, full, eight = last[REFERENCE], last[FLOAT32], last[INT8]
    if fixed:
        assert all(c.new_tokens == args.new_tokens for r in (reference, full, eight) for c in r.chunks)
    best = {name: min(runs) for name, runs in times.items()}
    reached = [sum(c.new_tokens == c.max_new_tokens for c in r.chunks) for r in (reference, full)]
    caps = [c.max_new_tokens for c in full.chunks]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, load average at start {args.load:.1f}, at end {os.getloadavg()[0]:.1f}"
    )
    print(
        f"case: {args.case}; {len(reference.chunks)} sentences (one per chunk), {len(text.split()):,} words; "
        f"beam {args.beams}; caps {min(caps)}-{max(caps)} new tokens; chunks reaching their cap: transformers "
        f"{reached[0]}, CTranslate2 float32 {reached[1]}; model: Marian d512 6+6 layers vocab 58,101, random "
        f"weights; best of {args.repeats} alternating rounds"
    )
    print()
    print(
        "| way | precision | seconds (best) | all rounds | CPU seconds (best) | vs transformers (wall) | (CPU) "
        "| vs raw CTranslate2 (wall) | (CPU) | confidences' CPU share | footprint |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    best_cpu = {name: min(runs) for name, runs in cpu.items()}
    sizes = {"fp32": reference.footprint_bytes, "float32": full.footprint_bytes, "int8": eight.footprint_bytes}
    for name in variants:
        precision = "fp32" if "transformers" in name else name.rsplit(", ", 1)[1]
        raw = RAW.get(precision, "")
        ceiling_ = (
            f"{best[name] / best[raw]:.2f}x | {best_cpu[name] / best_cpu[raw]:.2f}x"
            if "translate(" in name and raw
            else " | "
        )
        share = f"{min(shares[name])[0]:.0%} ({min(shares[name])[1]:.0%})" if "ctranslate2'" in name else ""
        print(
            f"| {name} | {precision} | {best[name]:.1f} | {' / '.join(f'{t:.1f}' for t in times[name])} | "
            f"{best_cpu[name]:.1f} | {best[REFERENCE] / best[name]:.2f}x | {best_cpu[REFERENCE] / best_cpu[name]:.2f}x "
            f"| {ceiling_} | {share} | {sizes[precision] / 2**20:,.0f} MB |"
        )
    same = sum(a.hypotheses[0].text == b.hypotheses[0].text for a, b in zip(reference.chunks, full.chunks, strict=True))
    chrf = sacrebleu.corpus_chrf(
        [c.hypotheses[0].text for c in eight.chunks], [[c.hypotheses[0].text for c in full.chunks]]
    )
    print()
    print(f"outputs: CTranslate2 float32 = transformers on {same}/{len(full.chunks)} sentences; ", end="")
    print(f"int8 against float32: chrF {chrf.score:.1f}")
    same_text = [last[f"{BARE}, {p}"].text == last[with_].text for p, with_ in (("float32", FLOAT32), ("int8", INT8))]
    print(f"without confidences, the same text as with them (float32, int8): {same_text}")


def bert2bert(args: argparse.Namespace) -> None:
    """A bert2bert_L-24-sized EncoderDecoderModel (random weights): seconds and footprint per engine/precision."""
    translator.configure(
        get_settings().replace(
            offline=True, max_generate_seconds=3_600.0, ctranslate2_dir=args.cache, threads=args.threads
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        model = str(builders.build_bert2bert(Path(tmp) / "bert2bert-l24", **args.bert2bert_sizes))
        text = document(args.bert2bert_words, None)
        fast.load(model, "8bit")  # converted before the clock starts
        variants = {
            "transformers, fp32": lambda: translate(
                text, model=model, num_beams=4, engine="transformers", precision="fp32"
            ),
            "transformers, 4bit": lambda: translate(
                text, model=model, num_beams=4, engine="transformers", precision="4bit"
            ),
            "ctranslate2, int8": lambda: translate(
                text, model=model, num_beams=4, engine="ctranslate2", precision="8bit"
            ),
        }
        times, _, last = timed_rounds(variants, args.repeats)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads")
    print("document: 300 words; beam 4; model: BERT2BERT 24+24 layers, hidden 1024, vocab 50,358, random weights")
    print()
    print("| way | seconds (best) | all rounds | footprint | generated tokens |")
    print("|---|---|---|---|---|")
    for name, result in last.items():
        rounds = " / ".join(f"{t:.1f}" for t in times[name])
        tokens = sum(c.new_tokens for c in result.chunks)
        print(f"| {name} | {min(times[name]):.1f} | {rounds} | {result.footprint_bytes / 2**20:,.0f} MB | {tokens:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=tuple(EOS_BIAS), default="fixed", help="see the module's docstring")
    parser.add_argument("--words", type=int, default=2_000)
    parser.add_argument("--sentences", type=int, help="only the document's first N sentences (to fit a time budget)")
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--new-tokens", type=int, default=32, help="tokens every sentence generates, on every side")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch and CTranslate2 threads")
    parser.add_argument("--cache", help="folder for converted models (default: a temporary one)")
    parser.add_argument("--bert2bert", action="store_true", help="time the bert2bert_L-24-sized model instead")
    add_smoke_flag(parser)
    args = parser.parse_args()
    args.marian_sizes, args.bert2bert_sizes, args.bert2bert_words = OPUS_MT_EN_DE, BERT2BERT_L24, 300
    if args.smoke:  # the builders' defaults are tiny
        args.marian_sizes, args.bert2bert_sizes, args.bert2bert_words = {}, {}, 20
        args.words, args.beams, args.new_tokens, args.repeats = 40, 2, 4, 1
    torch.set_num_threads(
        args.threads
    )  # for the model building; the runs take the settings' (torch's and CTranslate2's)
    args.load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as cache:
        args.cache = args.cache or cache
        runs = [marian, bert2bert] if args.smoke else [bert2bert if args.bert2bert else marian]
        for run in runs:
            run(args)


if __name__ == "__main__":
    main()
