"""``python -m translator download [keys...]``: fetch registry models for offline use.

``python -m translator finetune CORPUS --output DIR``: warm-start a BERT2BERT translator from BERT
checkpoints and fine-tune it on a parallel corpus (also under ``accelerate launch -m translator finetune``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from .core.errors import TranslatorError
from .core.loading import fetch
from .core.registry import get_registry
from .training.finetune import MIXED_PRECISIONS, FinetuneConfig, finetune
from .training.parallel_data import FORMATS


def _download(keys: list[str]) -> int:
    registry = get_registry()
    specs = [registry.get(key) for key in keys] if keys else [s for s in registry if not s.path]
    failed = 0
    for spec in specs:
        if spec.path:
            print(f"{spec.key}: local files at {spec.path}, nothing to download")
            continue
        try:
            folder = fetch(spec, local_files_only=False)
        except TranslatorError as exc:
            failed += 1
            print(f"{spec.key}: {exc}", file=sys.stderr)
            continue
        print(f"{spec.key}: {folder}")
    return 1 if failed else 0


def _add_finetune(commands) -> None:
    default = {f.name: f.default for f in dataclasses.fields(FinetuneConfig)}
    parser = commands.add_parser(
        "finetune",
        help="warm-start a BERT2BERT translator from BERT checkpoints and fine-tune it",
        description="Warm-start a BERT2BERT encoder-decoder from BERT checkpoints and fine-tune it on a parallel "
        "corpus; the output directory works with the app (--registry DIR/registry-entry.toml).",
    )

    def add(*names: str, **options) -> None:
        if options.get("default") is not None and options.get("default") is not False:
            options["help"] += " (default: %(default)s)"
        parser.add_argument(*names, **options)

    add("corpus", help="parallel corpus: .tsv, .csv or .jsonl with a source and a target column")
    add("--output", dest="output_dir", required=True, help="directory for the model, checkpoints and model card")
    add("--encoder", default=default["encoder"], help="encoder checkpoint: registry key, hub id or BERT directory")
    add("--decoder", default=None, help="decoder checkpoint (default: the encoder's)")
    add("--share", action="store_true", help="share encoder and decoder weights (BERT2BERT-share)")
    add("--source-column", default=default["source_column"], help="source column (header name or JSON key)")
    add("--target-column", default=default["target_column"], help="target column (header name or JSON key)")
    add("--format", choices=FORMATS, default=default["format"], help="corpus format")
    add("--max-source-tokens", type=int, default=default["max_source_tokens"], help="longer rows are skipped")
    add("--max-target-tokens", type=int, default=default["max_target_tokens"], help="longer rows are skipped")
    add("--heldout-fraction", type=float, default=default["heldout_fraction"], help="rows held out for scoring")
    add("--max-heldout", type=int, default=default["max_heldout"], help="at most this many held-out rows")
    add("--steps", type=int, default=default["steps"], help="optimizer updates")
    add("--batch-size", type=int, default=default["batch_size"], help="rows per process per forward pass")
    add("--grad-accum", type=int, default=default["grad_accum"], help="forward passes per optimizer update")
    add("--lr", dest="learning_rate", type=float, default=default["learning_rate"], help="peak learning rate")
    add("--warmup-steps", type=int, default=None, help="linear warm-up steps (default: a tenth of --steps)")
    add("--weight-decay", type=float, default=default["weight_decay"], help="AdamW weight decay")
    add("--max-grad-norm", type=float, default=default["max_grad_norm"], help="gradient clipping; 0 is off")
    add(
        "--mixed-precision",
        choices=MIXED_PRECISIONS,
        default=None,
        help="mixed precision (default: Accelerate's config or launch flag, else no)",
    )
    add(
        "--save-every",
        type=int,
        default=default["save_every"],
        help="steps between checkpoints and scores; 0: scores at the end, no checkpoints",
    )
    add("--keep-checkpoints", type=int, default=default["keep_checkpoints"], help="checkpoints kept")
    add("--eval-beams", type=int, default=default["eval_beams"], help="beam width when scoring held-out rows")
    add("--eval-batch-size", type=int, default=default["eval_batch_size"], help="rows per generate() call")
    add("--seed", type=int, default=default["seed"], help="seed of the split, data order and new weights")
    add(
        "--resume",
        nargs="?",
        const=True,
        default=False,
        metavar="CHECKPOINT",
        help="continue from the newest checkpoint in --output (or from CHECKPOINT)",
    )
    add("--name", default=None, help="registry key of the result (default: the output directory's name)")
    add("--languages", nargs=2, metavar=("SOURCE", "TARGET"), default=None, help="language codes, e.g. en de")


def _finetune(args: argparse.Namespace) -> int:
    names = {f.name for f in dataclasses.fields(FinetuneConfig)}
    values = {name: value for name, value in vars(args).items() if name in names}
    if values["languages"]:
        values["languages"] = tuple(values["languages"])
    result = finetune(FinetuneConfig(**values))
    from accelerate import PartialState

    if not PartialState().is_main_process:
        return 0  # under `accelerate launch`, one summary, from the process that scored and saved
    scores = result.evaluations[-1] if result.evaluations else None
    scored = (
        f" (held-out BLEU {scores.bleu:.1f}, chrF {scores.chrf:.1f} on {scores.sentences} sentences)" if scores else ""
    )
    print(f"Saved the translator to {result.output_dir} after {result.steps} steps{scored}.")
    print(f"Add it to the app: python app.py --registry {result.registry_entry}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m translator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    download = commands.add_parser("download", help="fetch registry models (safetensors and configs only)")
    download.add_argument("keys", nargs="*", help="registry keys; none means every hub model in the registry")
    _add_finetune(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "download":
            return _download(args.keys)
        if args.command == "finetune":
            return _finetune(args)
    except TranslatorError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130  # the run has said where it stopped and how to resume
    return 0


if __name__ == "__main__":
    sys.exit(main())
