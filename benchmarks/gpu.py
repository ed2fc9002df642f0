"""GPU memory and decode speed: transformers fp16 / 4-bit / 8-bit and CTranslate2 float16 / int8_float16.

Two architectures with random weights (the arithmetic of the released checkpoints without the download):
an opus-mt-en-de-sized Marian (d512, 6+6 layers, vocab 58,101) and a google/bert2bert_L-24-sized
EncoderDecoderModel (BertGeneration halves, hidden 1024, 24+24 layers, 16 heads, FFN 4096, vocab 50,358).
Each decode step is greedy and forced to run exactly ``--new-tokens`` steps (end-of-sequence suppressed), so
every engine does the same work. Batch-1 speed is also given as a fraction of the memory-bandwidth limit:
tokens/s x bytes of decoder weights read per step / the copy bandwidth measured on this GPU.

    python benchmarks/gpu.py [--new-tokens 64] [--out gpu.md] [--smoke]

``--smoke``: tiny models and 4 new tokens. Without a CUDA GPU the script says so and measures nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
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

from translator import get_cache, load_model  # noqa: E402

MARIAN = dict(d_model=512, layers=6, heads=8, ffn=2048, vocab_size=58_101, spm_vocab=1_000)
BERT2BERT_L24 = dict(hidden=1024, layers=24, heads=16, intermediate=4096, vocab_size=50_358)
SOURCE_TOKENS = 32
BATCHES = (1, 64)


def copy_bandwidth() -> float:
    """Bytes per second a device-to-device copy moves (read + written): the practical memory-bandwidth limit."""
    size = 2**30
    a = torch.empty(size, dtype=torch.uint8, device="cuda")
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(10):
        b.copy_(a)
    torch.cuda.synchronize()
    return 2 * size * 10 / (time.perf_counter() - started)


def decoder_bytes(model: torch.nn.Module) -> int:
    """Bytes of the weights one decode step reads: the decoder's parameters and buffers (LM head included)."""
    decoder = model.get_decoder()
    head = model.get_output_embeddings()
    tensors = {id(t): t for t in [*decoder.parameters(), *decoder.buffers()]}
    if head is not None:
        tensors.update({id(t): t for t in head.parameters()})
    return sum(t.numel() * t.element_size() for t in tensors.values())


def timed(run, repeats: int = 3) -> float:
    run()  # warm-up: kernels chosen, caches filled
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - started)
    return best


def transformers_speed(model: torch.nn.Module, batch: int, new_tokens: int) -> float:
    vocab = model.get_input_embeddings().num_embeddings
    ids = torch.randint(10, min(1000, vocab), (batch, SOURCE_TOKENS), device="cuda")
    mask = torch.ones_like(ids)

    def run() -> None:
        with torch.inference_mode():
            model.generate(
                input_ids=ids,
                attention_mask=mask,
                num_beams=1,
                do_sample=False,
                min_new_tokens=new_tokens,
                max_new_tokens=new_tokens,
                forced_eos_token_id=None,
            )

    return batch * new_tokens / timed(run)


def ctranslate2_speed(translator, tokens: list[str], batch: int, new_tokens: int) -> float:
    def run() -> None:
        translator.translate_batch(
            [tokens] * batch, beam_size=1, min_decoding_length=new_tokens, max_decoding_length=new_tokens
        )

    return batch * new_tokens / timed(run)


def source_tokens(folder: Path) -> list[str]:
    """SOURCE_TOKENS ordinary tokens from the converted model's own vocabulary, then its end token."""
    name = next(n for n in ("source_vocabulary.json", "shared_vocabulary.json") if (folder / n).is_file())
    vocab = json.loads((folder / name).read_text(encoding="utf-8"))
    words = [t for t in vocab[100:] if t.isalpha()][:SOURCE_TOKENS]
    return words + ["</s>"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--out", type=Path, default=None)
    add_smoke_flag(parser)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA GPU: nothing to measure (benchmarks/gpu.py measures GPU memory and decode speed)")
        return
    sizes = {"marian": {}, "bert2bert": {}} if args.smoke else {"marian": MARIAN, "bert2bert": BERT2BERT_L24}
    if args.smoke:
        args.new_tokens = 4
    gpu = torch.cuda.get_device_name(0)
    bandwidth = copy_bandwidth()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = {
            "opus-mt-sized Marian": builders.build_marian(Path(tmp) / "marian", **sizes["marian"]),
            "bert2bert_L-24-sized": builders.build_bert2bert(Path(tmp) / "b2b", **sizes["bert2bert"]),
        }
        for name, folder in folders.items():
            for precision in ("fp16", "4bit", "8bit"):
                get_cache().clear()
                row = {"model": name, "engine": "transformers", "precision": precision}
                try:
                    loaded = load_model(str(folder), "translation", precision)
                    row["footprint_mb"] = loaded.footprint_bytes / 2**20
                    step_bytes = decoder_bytes(loaded.model)
                    for batch in BATCHES:
                        row[f"tok_s_b{batch}"] = transformers_speed(loaded.model, batch, args.new_tokens)
                    row["bandwidth_fraction_b1"] = row["tok_s_b1"] * step_bytes / bandwidth
                    del loaded
                except Exception as exc:  # report what failed on this GPU and go on with the rest
                    row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                rows.append(row)
                get_cache().clear()
                gc.collect()
                torch.cuda.empty_cache()
            rows += ctranslate2_rows(name, folder, args.new_tokens, bandwidth)
    report = {"gpu": gpu, "copy_bandwidth_gb_s": bandwidth / 1e9, "new_tokens": args.new_tokens, "rows": rows}
    text = markdown(report)
    print(text)
    if args.out:
        args.out.write_text(text + "\n\n```json\n" + json.dumps(report, indent=1) + "\n```\n", encoding="utf-8")


def ctranslate2_rows(name: str, folder: Path, new_tokens: int, bandwidth: float) -> list[dict]:
    """CTranslate2 float16 and int8_float16 rows, or one row that says why they could not run."""
    rows = []
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
            for batch in BATCHES:
                row[f"tok_s_b{batch}"] = ctranslate2_speed(translator, tokens, batch, new_tokens)
            del translator
        except Exception as exc:  # a missing CUDA library or converter: say so in the table
            row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        rows.append(row)
    return rows


def markdown(report: dict) -> str:
    lines = [
        f"GPU: {report['gpu']}; device-to-device copy {report['copy_bandwidth_gb_s']:,.0f} GB/s "
        f"(read + written); greedy, {report['new_tokens']} new tokens per row, {SOURCE_TOKENS} source tokens.",
        "",
        "| model | engine | precision | memory (MB) | tokens/s batch 1 | tokens/s batch 64 | "
        "batch 1 vs bandwidth limit |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for row in report["rows"]:
        if "error" in row:
            lines.append(f"| {row['model']} | {row['engine']} | {row['precision']} | failed: {row['error']} ||||")
            continue
        fraction = row.get("bandwidth_fraction_b1")
        lines.append(
            f"| {row['model']} | {row['engine']} | {row['precision']} | {row['footprint_mb']:,.0f} | "
            f"{row['tok_s_b1']:,.0f} | {row['tok_s_b64']:,.0f} | "
            f"{'' if fraction is None else f'{fraction:.0%}'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
