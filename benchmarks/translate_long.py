"""translate() against the plain per-sentence generate() loop on a ~2,000-word document.

An opus-mt-en-de-sized Marian (d_model 512, 6+6 layers, 8 heads, FFN 2048, vocab ~58k) with
random weights: the arithmetic of the real checkpoint without the download. End-of-sequence
is suppressed and the settings' new-token ceiling is ``--new-tokens``, so every sentence
generates exactly that many tokens both ways and the two sides do the same decoding work. The chunk
budget is set to one sentence per chunk, so both sides translate the same inputs.

    .venv/bin/python benchmarks/translate_long.py [--words 2000] [--beams 1 4] [--new-tokens 32] [--threads N]

``--packing`` instead times translate() sentence by sentence (the default) against packed chunks
(``pack_sentences=True``, ``--pack-tokens`` per chunk), both on the transformers engine. There the
new-token ceiling is lifted, so each chunk generates exactly its own cap (1.5 x its source tokens + 10,
end-of-sequence suppressed): output length follows input length in both modes, as with a real model.

    .venv/bin/python benchmarks/translate_long.py --packing [--words 600] [--beams 1 4] [--pack-tokens 96]

``--smoke`` runs both at the smallest size: a tiny Marian, a few sentences, 4 new tokens, greedy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import torch
from transformers import GenerationConfig

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from timing import add_smoke_flag  # noqa: E402

import translator  # noqa: E402
from translator import get_settings, load_model, translate  # noqa: E402
from translator.tasks.translation.translate import new_token_cap  # noqa: E402
from translator.text.segment import sentences  # noqa: E402

OPUS_MT_EN_DE = dict(d_model=512, layers=6, heads=8, ffn=2048, vocab_size=58_101, spm_vocab=1_000)


def build_model(folder: Path, sizes: dict[str, int] = OPUS_MT_EN_DE) -> Path:
    """A Marian of these sizes (the builder's tiny defaults for any left out) whose every output runs to its cap."""
    builders.build_marian(folder, **sizes)
    if "vocab_size" in sizes:  # give every embedding row a vocabulary entry, as in the real 58k, so any output decodes
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        vocab.update({f"\u2581w{i}": i for i in range(len(vocab), sizes["vocab_size"])})
        (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    config = GenerationConfig.from_pretrained(folder)
    config.forced_eos_token_id = None
    config.suppress_tokens = [config.eos_token_id]  # fixed output length: every row runs to its cap
    config.save_pretrained(folder)
    return folder


def build_document(words: int, seed: int = 0) -> str:
    """Sentences of 18-22 words from the tokenizer's own vocabulary, six to a paragraph."""
    rng = random.Random(seed)
    paragraphs, sentences_, count = [], [], 0
    while count < words:
        n = rng.randint(18, 22)
        sentence = " ".join(rng.choice(builders.WORDS) for _ in range(n))
        sentences_.append(sentence[0].upper() + sentence[1:] + ".")
        count += n
        if len(sentences_) == 6:
            paragraphs.append(" ".join(sentences_))
            sentences_ = []
    paragraphs.append(" ".join(sentences_))
    return "\n\n".join(p for p in paragraphs if p)


def naive_loop(loaded, text: str, beams: int) -> tuple[list[str], int, float, float, int]:
    """What a transformers user writes: one generate() per sentence, in order (same caps as translate())."""
    tokenizer, model = loaded.tokenizer, loaded.model
    outputs, generated = [], 0
    started, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        for span in sentences(text):
            encoded = tokenizer(span.text, return_tensors="pt")
            n_tokens = len(tokenizer(span.text, add_special_tokens=False)["input_ids"])
            cap = new_token_cap(n_tokens, get_settings().max_new_tokens)
            out = model.generate(**encoded, num_beams=beams, max_new_tokens=cap, forced_eos_token_id=None)
            generated += out.shape[1] - 1
            outputs.append(tokenizer.decode(out[0], skip_special_tokens=True).strip())
    return outputs, generated, time.perf_counter() - started, time.process_time() - cpu, len(outputs)


def batched(model_dir: Path, text: str, beams: int, budget: int) -> tuple[list[str], int, float, float, int]:
    started, cpu = time.perf_counter(), time.process_time()
    result = translate(text, model=str(model_dir), num_beams=beams, precision="fp32", max_chunk_tokens=budget)
    return (
        [c.hypotheses[0].text for c in result.chunks],
        sum(c.new_tokens for c in result.chunks),
        time.perf_counter() - started,
        time.process_time() - cpu,
        result.batches,
    )


def packing_rows(model_dir: Path, text: str, beams: int, pack_tokens: int) -> None:
    """One table row per chunking mode: sentence by sentence (the default), then packed."""
    base = base_cpu = None
    for pack in (False, True):
        started, cpu = time.perf_counter(), time.process_time()
        result = translate(
            text,
            model=str(model_dir),
            num_beams=beams,
            precision="fp32",
            engine="transformers",
            pack_sentences=pack,
            max_chunk_tokens=pack_tokens if pack else None,
        )
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        base, base_cpu = base or wall, base_cpu or cpu
        tokens = sum(c.new_tokens for c in result.chunks)
        mode = f"packed, {pack_tokens} tokens" if pack else "sentence by sentence"
        print(
            f"| {beams} | {mode} | {len(result.chunks)} | {len(sentences(text)) / len(result.chunks):.1f} | "
            f"{result.batches} | {wall:.1f} | {cpu:.1f} | {tokens:,} | {tokens / wall:.0f} | {base / wall:.2f}x | "
            f"{base_cpu / cpu:.2f}x |",
            flush=True,
        )


def one_sentence_budget(loaded, text: str) -> int:
    """The largest sentence's token count: with 18-22-word sentences no two fit together."""
    counts = [len(loaded.tokenizer(s.text, add_special_tokens=False)["input_ids"]) for s in sentences(text)]
    assert 2 * min(counts) > max(counts), "sentence lengths too spread for one sentence per chunk"
    return max(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=2_000)
    parser.add_argument("--beams", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--new-tokens", type=int, default=32, help="tokens every sentence generates, both ways")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--packing", action="store_true", help="sentence by sentence vs packed chunks instead")
    parser.add_argument("--pack-tokens", type=int, default=96, help="chunk budget when packing")
    add_smoke_flag(parser)
    args = parser.parse_args()
    args.sizes = {} if args.smoke else OPUS_MT_EN_DE
    if args.smoke:
        args.words, args.beams, args.new_tokens, args.pack_tokens = 60, [1], 4, 110
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.packing or args.smoke:
        packing(args)
    if not args.packing:
        per_sentence(args)


def per_sentence(args: argparse.Namespace) -> None:
    # the settings' ceiling caps every sentence at exactly --new-tokens (sentences here are longer than that)
    translator.configure(
        get_settings().replace(offline=True, max_generate_seconds=3_600.0, max_new_tokens=args.new_tokens)
    )
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_model(Path(tmp) / "marian-opus-size", args.sizes)
        text = build_document(args.words)
        loaded = load_model(str(model_dir), "translation", "fp32")
        budget = one_sentence_budget(loaded, text)
        n_sentences = len(sentences(text))
        batched(model_dir, text[:200], 1, budget)  # warm-up: load, first-call overheads
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads, load average at start {os.getloadavg()[0]:.1f}"
        )
        print(
            f"document: {len(text.split()):,} words, {n_sentences} sentences, {len(text):,} characters; "
            f"model: Marian d512 6+6 layers vocab {loaded.model.config.vocab_size:,}, fp32, random weights; "
            f"chunk budget {budget} tokens (one sentence per chunk)"
        )
        print()
        print(
            "| beams | way | seconds | CPU seconds | generated tokens | tokens/s | generate() calls | speed-up "
            "(wall) | speed-up (CPU) | same outputs |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for beams in args.beams:
            plain, plain_tokens, plain_wall, plain_cpu, plain_calls = naive_loop(loaded, text, beams)
            ours, our_tokens, our_wall, our_cpu, our_calls = batched(model_dir, text, beams, budget)
            same = sum(a == b for a, b in zip(plain, ours, strict=True))
            print(
                f"| {beams} | per-sentence loop | {plain_wall:.1f} | {plain_cpu:.1f} | {plain_tokens:,} | "
                f"{plain_tokens / plain_wall:.0f} | {plain_calls} | 1.0x | 1.0x | |"
            )
            print(
                f"| {beams} | translate() | {our_wall:.1f} | {our_cpu:.1f} | {our_tokens:,} | "
                f"{our_tokens / our_wall:.0f} | {our_calls} | {plain_wall / our_wall:.1f}x | "
                f"{plain_cpu / our_cpu:.1f}x | {same}/{len(plain)} |",
                flush=True,
            )
        print(f"\nload average at end {os.getloadavg()[0]:.1f}")


def packing(args: argparse.Namespace) -> None:
    # the ceiling stays out of the way: each chunk runs to its own cap, which follows its length
    ceiling = args.new_tokens if args.smoke else 512
    translator.configure(get_settings().replace(offline=True, max_generate_seconds=3_600.0, max_new_tokens=ceiling))
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_model(Path(tmp) / "marian-opus-size", args.sizes)
        text = build_document(args.words)
        translate(text[:200], model=str(model_dir), num_beams=1, precision="fp32", engine="transformers")  # warm-up
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads, load average at start {os.getloadavg()[0]:.1f}"
        )
        print(
            f"document: {len(text.split()):,} words, {len(sentences(text))} sentences; model: Marian d512 6+6 layers "
            "vocab 58,101, fp32, random weights, transformers engine"
        )
        print()
        print(
            "| beams | chunking | chunks | sentences per chunk | generate() calls | seconds | CPU seconds | "
            "generated tokens | tokens/s | speed vs sentence by sentence (wall) | (CPU) |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for beams in args.beams:
            packing_rows(model_dir, text, beams, args.pack_tokens)
        print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
