"""GPU memory and speed: transformers fp16 / 4-bit / 8-bit and CTranslate2 float16 / int8_float16 decoding, and
the attention, QA and summary backends at fp32, the GPU's own precision and 4-bit.

Two translation architectures with random weights (the arithmetic of the released checkpoints without the
download): an opus-mt-en-de-sized Marian (d512, 6+6 layers, vocab 58,101) and a google/bert2bert_L-24-sized
EncoderDecoderModel (BertGeneration halves, hidden 1024, 24+24 layers, 16 heads, FFN 4096, vocab 50,358).
Each decode runs exactly ``--new-tokens`` steps (end-of-sequence suppressed), greedy and beam 4, so every
engine does the same work; tokens/s counts output tokens (batch x new tokens), not beams. Batch-1 greedy speed
is also given as a fraction of the memory-bandwidth limit: tokens/s x bytes of decoder weights read per step /
the copy bandwidth measured on this GPU. The backends run on a bert-base-sized BERT (hidden 768, 12 layers) and
a distilbert-base-sized QA model (dim 768, 6 layers), random weights.

    python benchmarks/gpu.py [--new-tokens 64] [--models marian,bert2bert,backends]
        [--engines transformers,ctranslate2] [--out gpu.md] [--smoke]

The report is rewritten after every row, so a run stopped early keeps what it measured. ``--smoke``: tiny
models and 4 new tokens. Without a CUDA GPU the script says so and measures nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from timing import add_smoke_flag  # noqa: E402

from translator import answer, attend, get_cache, load_model, summarize  # noqa: E402

# pad_last: the vocabulary ends in <pad>, as released opus-mt does (CTranslate2's Marian converter needs it)
MARIAN = dict(d_model=512, layers=6, heads=8, ffn=2048, vocab_size=58_101, spm_vocab=1_000, pad_last=True)
BERT2BERT_L24 = dict(hidden=1024, layers=24, heads=16, intermediate=4096, vocab_size=50_358)
BERT_BASE = dict(hidden=768, layers=12, heads=12)
DISTILBERT_BASE = dict(dim=768, layers=6, heads=12)
SOURCE_TOKENS = 32
BATCHES = (1, 64)
BEAMS = (1, 4)
SPEEDS = [(beams, batch) for beams in BEAMS for batch in BATCHES]


def copy_bandwidth() -> float:
    """Bytes per second a device-to-device copy moves (read + written): the practical memory-bandwidth limit."""
    size = 2**30
    a = torch.empty(size, dtype=torch.uint8, device="cuda")
    b = torch.empty_like(a)
    return 2 * size / timed(lambda: b.copy_(a), repeats=10)


def decoder_bytes(model: torch.nn.Module) -> int:
    """Bytes of the weights one decode step reads: the decoder's parameters and buffers (LM head included)."""
    decoder = model.get_decoder()
    head = model.get_output_embeddings()
    tensors = {id(t): t for t in [*decoder.parameters(), *decoder.buffers()]}
    if head is not None:
        tensors.update({id(t): t for t in head.parameters()})
    return sum(t.numel() * t.element_size() for t in tensors.values())


def timed(run: Callable[[], object], repeats: int = 2, warm_up: bool = True) -> float:
    """The best of ``repeats`` synchronized runs, after one warm-up (kernels chosen, caches filled) unless the
    caller ran one."""
    if warm_up:
        run()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - started)
    return best


def transformers_speed(model: torch.nn.Module, beams: int, batch: int, new_tokens: int) -> float:
    vocab = model.get_input_embeddings().num_embeddings
    ids = torch.randint(10, min(1000, vocab), (batch, SOURCE_TOKENS), device="cuda")
    mask = torch.ones_like(ids)

    def run() -> None:
        with torch.inference_mode():
            model.generate(
                input_ids=ids,
                attention_mask=mask,
                num_beams=beams,
                do_sample=False,
                min_new_tokens=new_tokens,
                max_new_tokens=new_tokens,
                forced_eos_token_id=None,
            )

    return batch * new_tokens / timed(run)


def ctranslate2_speed(translator, tokens: list[str], beams: int, batch: int, new_tokens: int) -> float:
    def run() -> None:
        translator.translate_batch(
            [tokens] * batch, beam_size=beams, min_decoding_length=new_tokens, max_decoding_length=new_tokens
        )

    return batch * new_tokens / timed(run)


def source_tokens(folder: Path) -> list[str]:
    """SOURCE_TOKENS ordinary tokens from the converted model's own vocabulary, then its end token."""
    name = next(n for n in ("source_vocabulary.json", "shared_vocabulary.json") if (folder / n).is_file())
    vocab = json.loads((folder / name).read_text(encoding="utf-8"))
    words = [t for t in vocab[100:] if t.isalpha()][:SOURCE_TOKENS]
    return words + ["</s>"]


def failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


def transformers_rows(name: str, folder: Path, new_tokens: int, bandwidth: float, save: Callable) -> None:
    for precision in ("fp16", "4bit", "8bit"):
        get_cache().clear()
        row = {"model": name, "engine": "transformers", "precision": precision}
        try:
            loaded = load_model(str(folder), "translation", precision)
            row["footprint_mb"] = loaded.footprint_bytes / 2**20
            step_bytes = decoder_bytes(loaded.model)
            for beams, batch in SPEEDS:
                row[f"tok_s_beam{beams}_b{batch}"] = transformers_speed(loaded.model, beams, batch, new_tokens)
            row["bandwidth_fraction_b1"] = row["tok_s_beam1_b1"] * step_bytes / bandwidth
            del loaded
        except Exception as exc:  # report what failed on this GPU and go on with the rest
            row["error"] = failure(exc)
        save(row)
        get_cache().clear()
        gc.collect()
        torch.cuda.empty_cache()


def ctranslate2_rows(name: str, folder: Path, new_tokens: int, save: Callable) -> None:
    """CTranslate2 float16 and int8_float16 rows, or rows that say why they could not run."""
    for compute_type in ("float16", "int8_float16"):
        row = {"model": name, "engine": "ctranslate2", "precision": compute_type}
        try:
            import ctranslate2

            from translator.tasks.translation.engines import convert

            converted = convert.convert_model(str(folder), quantization=compute_type)
            free_before = torch.cuda.mem_get_info()[0]
            translator = ctranslate2.Translator(str(converted), device="cuda", compute_type=compute_type)
            row["footprint_mb"] = (free_before - torch.cuda.mem_get_info()[0]) / 2**20
            tokens = source_tokens(converted)
            for beams, batch in SPEEDS:
                row[f"tok_s_beam{beams}_b{batch}"] = ctranslate2_speed(translator, tokens, beams, batch, new_tokens)
            del translator
        except Exception as exc:  # a missing CUDA library or converter: say so in the table
            row["error"] = failure(exc)
        save(row)


def backend_rows(tmp: Path, smoke: bool, save: Callable) -> None:
    """Seconds per call of attend (one 512-token text), answer (a 3,000-word context, span mode) and
    summarize (200 sentences, 10 picked) at fp32, the GPU's own precision and 4-bit: best of 2 after a warm-up."""
    bert = builders.build_bert(tmp / "bert", **({} if smoke else BERT_BASE))
    qa = builders.build_distilbert_qa(tmp / "qa", **({} if smoke else DISTILBERT_BASE))
    sentences = builders.sentences(20 if smoke else 200)
    text = " ".join(sentences)
    attended = " ".join(sentences[:60])[:3_900]  # attend() takes 4,000 characters; 512 tokens are cut from it
    calls = {
        "attend, 512 tokens": lambda precision: attend(attended, model=str(bert), precision=precision, max_tokens=512),
        "answer, span mode": lambda precision: answer(
            "Where is the museum?", text, model=str(qa), precision=precision, mode="span"
        ),
        "summarize, 10 of 200 sentences": lambda precision: summarize(
            text, model=str(bert), num_sentences=10, precision=precision
        ),
    }
    for name, call in calls.items():
        row = {"model": name, "engine": "transformers"}
        for precision in ("fp32", "auto", "4bit"):
            try:
                row[f"precision_{precision}"] = call(precision).precision  # the warm-up run
                row[f"seconds_{precision}"] = timed(partial(call, precision), warm_up=False)
            except Exception as exc:
                row[f"error_{precision}"] = failure(exc)
            get_cache().clear()
            torch.cuda.empty_cache()
        save(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--models", default="marian,bert2bert,backends", help="which parts to run, in order")
    parser.add_argument("--engines", default="transformers,ctranslate2", help="which decoding engines to measure")
    parser.add_argument("--out", type=Path, default=None)
    add_smoke_flag(parser)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA GPU: nothing to measure (benchmarks/gpu.py measures GPU memory and decode speed)")
        return
    sizes = {"marian": {}, "bert2bert": {}} if args.smoke else {"marian": MARIAN, "bert2bert": BERT2BERT_L24}
    if args.smoke:
        args.new_tokens = 4
    bandwidth = copy_bandwidth()
    report = {
        "gpu": torch.cuda.get_device_name(0),
        "copy_bandwidth_gb_s": bandwidth / 1e9,
        "new_tokens": args.new_tokens,
        "rows": [],
    }

    def save(row: dict) -> None:
        report["rows"].append(row)
        print(json.dumps(row), flush=True)
        if args.out:
            text = markdown(report) + "\n\n```json\n" + json.dumps(report, indent=1) + "\n```\n"
            args.out.write_text(text, encoding="utf-8")

    builds = {
        "marian": ("opus-mt-sized Marian", builders.build_marian),
        "bert2bert": ("bert2bert_L-24-sized", builders.build_bert2bert),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for part in args.models.split(","):
            if part == "backends":
                backend_rows(Path(tmp), args.smoke, save)
                continue
            name, build = builds[part]
            started = time.perf_counter()
            folder = build(Path(tmp) / part, **sizes[part])
            print(f"{name} built in {time.perf_counter() - started:.0f} s", flush=True)
            if "transformers" in args.engines:
                transformers_rows(name, folder, args.new_tokens, bandwidth, save)
            if "ctranslate2" in args.engines:
                ctranslate2_rows(name, folder, args.new_tokens, save)
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = [
        f"GPU: {report['gpu']}; device-to-device copy {report['copy_bandwidth_gb_s']:,.0f} GB/s "
        f"(read + written); {report['new_tokens']} new tokens per row, {SOURCE_TOKENS} source tokens.",
        "",
        "| model | engine | precision | memory (MB) | greedy b1 | greedy b64 | beam 4 b1 | beam 4 b64 | "
        "greedy b1 vs bandwidth limit |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    backends = [row for row in report["rows"] if "precision" not in row]
    for row in report["rows"]:
        if row in backends:
            continue
        if "error" in row:
            lines.append(f"| {row['model']} | {row['engine']} | {row['precision']} | failed: {row['error']} |||||")
            continue
        fraction = row.get("bandwidth_fraction_b1")
        speeds = " | ".join(f"{row[f'tok_s_beam{beams}_b{batch}']:,.0f}" for beams, batch in SPEEDS)
        lines.append(
            f"| {row['model']} | {row['engine']} | {row['precision']} | {row['footprint_mb']:,.0f} | {speeds} | "
            f"{'' if fraction is None else f'{fraction:.0%}'} |"
        )
    if backends:
        lines += ["", "| backend call | fp32 (s) | GPU's own precision (s) | 4-bit (s) |", "|---|---:|---:|---:|"]
        for row in backends:
            cells = []
            for precision in ("fp32", "auto", "4bit"):
                seconds = row.get(f"seconds_{precision}")
                ran = row.get(f"precision_{precision}", "")
                cells.append(
                    f"{seconds:.3f} ({ran})" if seconds is not None else f"failed: {row[f'error_{precision}']}"
                )
            lines.append(f"| {row['model']} | {' | '.join(cells)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
