"""Attention tab costs: attend() and each view (HTML on screen, PNG export) by input length, and output sizes.

Encoders: the real bundled all-MiniLM-L6-v2 (6 layers x 12 heads) and a bert-base-sized BertModel
(12 x 12, hidden 768) with random weights, the arithmetic of bert-base-uncased without the
download. Translation: a MarianMT with opus-mt-en-de's layers (6+6, 8 heads, d_model 512) and random
weights; random weights rarely say </s>, so the target usually runs to the token cap, and each row
is "generate N tokens, then one teacher-forced pass over them" (N is printed). Text is random words from
the test vocabulary. Best of ``--repeats``.

    .venv/bin/python benchmarks/attention.py [--lengths 32 128 512] [--repeats 3] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
from functools import partial
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builders  # noqa: E402
from timing import add_smoke_flag, best_of  # noqa: E402

from translator import OFFLINE_MINILM, AttentionOptions, attend, attend_translation, load_model  # noqa: E402
from translator.render.attention_view import attention_png, attention_view  # noqa: E402

BERT_BASE = dict(hidden=768, layers=12, heads=12)
# opus-mt-en-de's layers; the vocabulary stays the test one (300 pieces, not 58,101): a padded embedding
# would let random weights pick ids the tokenizer can't name, and the smaller output layer makes these
# generation times a lower bound
OPUS_MT = dict(d_model=512, layers=6, heads=8, ffn=2048)
VIEWS = ("head", "model", "heatmap", "rollout")


def words_for(tokenizer, tokens: int, seed: int = 0) -> str:
    """Random vocabulary words until the text fills ``tokens`` tokens (the cap cuts any excess)."""
    rng = random.Random(seed)
    words: list[str] = []
    while len(tokenizer(" ".join(words), verbose=False)["input_ids"]) < tokens:
        words += [rng.choice(builders.WORDS) for _ in range(16)]
    return " ".join(words)


def encoder_rows(model: str, label: str, lengths: list[int], repeats: int) -> None:
    tokenizer = load_model(model, "encoder", attn="eager").tokenizer
    print(f"\n{label}")
    print("tokens | attend() | view  | HTML shown | PNG export | HTML size | PNG size")
    print("------:|---------:|-------|-----------:|-----------:|----------:|---------:")
    for tokens in lengths:
        text = words_for(tokenizer, tokens)
        seconds, result = best_of(repeats, partial(attend, text, model=model, max_tokens=tokens))
        for view in VIEWS:
            options = AttentionOptions(view=view, layer=2)
            shown, rendered = best_of(repeats, partial(attention_view, result, options))
            exported, png = best_of(repeats, partial(attention_png, rendered))
            print(
                f"{len(result.tokens)} | {seconds:.3f} s | {view} | {shown:.3f} s | {exported:.3f} s | "
                f"{len(rendered.html.encode()) / 1024:,.0f} KB | {len(png) / 1024:,.0f} KB"
            )


def translation_rows(folder: Path, lengths: list[int], repeats: int, sizes: dict[str, int]) -> None:
    marian = builders.build_marian(folder / "marian", **sizes)
    source = "the house is in the city by the river and the museum was built in the last century"
    print("\nopus-mt-sized MarianMT (random weights): attend_translation(), target runs to the cap")
    print("token cap | greedy: target tokens, time | 4 beams: target tokens, time")
    print("---------:|-----------------------------:|------------------------------:")
    for tokens in lengths:
        greedy, result = best_of(
            repeats, partial(attend_translation, source, model=str(marian), num_beams=1, max_tokens=tokens)
        )
        beams, beam_result = best_of(
            repeats, partial(attend_translation, source, model=str(marian), num_beams=4, max_tokens=tokens)
        )
        print(
            f"{tokens} | {len(result.target_tokens)}, {greedy:.2f} s | {len(beam_result.target_tokens)}, {beams:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--repeats", type=int, default=3)
    add_smoke_flag(parser)
    args = parser.parse_args()
    if args.smoke:  # the builders' defaults are tiny
        args.lengths, args.repeats, bert_sizes, marian_sizes, caps = [16], 1, {}, {}, [8]
    else:
        bert_sizes, marian_sizes, caps = BERT_BASE, OPUS_MT, [32, 128]
    print(
        f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"torch {torch.__version__}"
    )
    if not args.smoke:  # loading the real model is most of a smoke run; the random BERT below runs the same code
        encoder_rows(OFFLINE_MINILM, "all-MiniLM-L6-v2 (real, 6 layers x 12 heads)", args.lengths, args.repeats)
    with tempfile.TemporaryDirectory() as folder:
        bert = builders.build_bert(Path(folder) / "bert", **bert_sizes)
        encoder_rows(
            str(bert), "bert-base-sized BertModel (random weights, 12 layers x 12 heads)", args.lengths, args.repeats
        )
        translation_rows(Path(folder), caps, args.repeats, marian_sizes)


if __name__ == "__main__":
    main()
