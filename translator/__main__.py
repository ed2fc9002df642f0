"""Commands of the translator package, run as: .venv/bin/python -m translator COMMAND

download [keys...]: fetch registry models (or hub ids, org/name) for offline use.

finetune CORPUS --output DIR: warm-start a BERT2BERT translator from BERT checkpoints and fine-tune it on a
parallel corpus (also under "accelerate launch -m translator finetune").

convert KEY... [--quantization int8]: convert translation models for CTranslate2 ahead of their first use
(translate() converts on first use otherwise).

translate INPUT... -o OUT --model KEY [--beams N] [--ray [ADDRESS]]: translate files and corpora into the same
formats; Ctrl-C and the same command again resume where it stopped.

extract FILE -o UNITS.jsonl, then merge FILE UNITS.jsonl -o OUT: take a file's units out, translate them anywhere
(each line's "text" gets a "translation"), and put them back, structure kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from .core.errors import TranslatorError
from .core.loading import fetch
from .core.registry import TASKS, ModelSpec, get_registry
from .core.settings import PRECISIONS
from .tasks.translation.engines.choice import ENGINES
from .tasks.translation.engines.convert import QUANTIZATIONS, convert_model
from .text.formats.parallel import CORPUS_FORMATS
from .training.finetune import MIXED_PRECISIONS, FinetuneConfig, finetune


def _download_spec(key: str) -> ModelSpec:
    """A registry key, or a hub id (org/name) not in the registry, which the app's messages tell users to fetch."""
    registry = get_registry()
    if key in registry or key.count("/") != 1:
        return registry.get(key)  # an unknown key gets the registry's sentence
    return ModelSpec(key=key, tasks=TASKS, hub_id=key)


def _download(keys: list[str]) -> int:
    registry = get_registry()
    specs = [_download_spec(key) for key in keys] if keys else [s for s in registry if not s.path]
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
        "corpus; the output directory works with the app (--registry DIR/registry-entry.toml). The default "
        "encoder (all-MiniLM-L6-v2) is uncased: its tokenizer lower-cases and strips accents, so the model writes "
        "lower-case, accent-free text ('brucke' for 'Brücke'); name a cased checkpoint with --encoder "
        "(e.g. bert-base-cased, or bert-base-multilingual-cased for non-English targets) to keep case and accents.",
    )

    def add(*names: str, **options) -> None:
        if options.get("default") is not None and options.get("default") is not False:
            options["help"] += " (default: %(default)s)"
        parser.add_argument(*names, **options)

    add("corpus", help="parallel corpus: .tsv, .csv or .jsonl with a source and a target column")
    add("--output", dest="output_dir", required=True, help="directory for the model, checkpoints and model card")
    add(
        "--encoder",
        default=default["encoder"],
        help="encoder checkpoint: registry key, hub id or BERT directory; an uncased one (the default) writes "
        "lower-case, accent-free text",
    )
    add("--decoder", default=None, help="decoder checkpoint (default: the encoder's)")
    add("--share", action="store_true", help="share encoder and decoder weights (BERT2BERT-share)")
    add("--source-column", default=default["source_column"], help="source column (header name or JSON key)")
    add("--target-column", default=default["target_column"], help="target column (header name or JSON key)")
    add("--format", choices=CORPUS_FORMATS, default=default["format"], help="corpus format")
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


def _convert(models: list[str], quantization: str) -> int:
    failed = 0
    for model in models:
        try:
            print(f"{model}: {convert_model(model, quantization)}")
        except TranslatorError as exc:
            failed += 1
            print(f"{model}: {exc}", file=sys.stderr)
    return 1 if failed else 0


def _add_translate(commands) -> None:
    parser = commands.add_parser(
        "translate",
        help="translate files and corpora (.txt .md .srt .vtt .docx .jsonl .tsv), resumable, optionally on Ray",
        description="Translate files into the same format, structure kept. Ctrl-C stops; the same command "
        "again resumes where it stopped (finished translations are kept in OUT.progress.jsonl).",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="files to translate")
    parser.add_argument("-o", "--output", required=True, help="output file (one input) or folder")
    parser.add_argument("--model", default="opus-mt-en-de", help="registry key, hub id or model directory")
    parser.add_argument("--beams", type=int, default=4, help="beam width (default: %(default)s)")
    parser.add_argument("--engine", choices=ENGINES, default="auto", help="generation engine (default: auto)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto", help="weights (default: auto)")
    parser.add_argument("--field", default="text", help=".jsonl key or .tsv column to translate (default: text)")
    parser.add_argument("--output-field", default="translation", help=".jsonl key or .tsv column written")
    parser.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run on Ray Data: a local Ray without ADDRESS, else the cluster at ADDRESS (e.g. ray://head:10001)",
    )
    parser.add_argument("--ray-actors", type=int, default=2, help="Ray actors, each loading the model once")


def _translate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .tasks.files.corpus import progress_path, translate_corpus

    options = {"model": args.model, "num_beams": args.beams, "precision": args.precision, "engine": args.engine}
    # made at the first finished unit: a model that can't load fails in one line, with no empty bar before it
    bar = tqdm(unit="unit", dynamic_ncols=True, disable=True)

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar.disable and done > 0:
            bar = tqdm(unit="unit", dynamic_ncols=True, total=total)
        bar.total = total
        bar.update(done - bar.n)

    try:
        report = translate_corpus(
            args.inputs,
            args.output,
            field=args.field,
            output_field=args.output_field,
            ray_address=args.ray,
            ray_actors=args.ray_actors,
            on_progress=advance,
            **options,
        )
    except KeyboardInterrupt:
        bar.close()
        print(
            f"Stopped. Finished translations are kept in {progress_path(args.output)}; run the same command "
            "again to go on.",
            file=sys.stderr,
        )
        raise
    finally:
        bar.close()
    for note in report.warnings:
        print(f"Note: {note}", file=sys.stderr)
    resumed = f", {report.resumed:,} taken from the last run" if report.resumed else ""
    print(
        f"Translated {report.distinct:,} distinct units of {report.units:,} in {report.seconds:.1f} s"
        f"{resumed}; wrote {', '.join(report.outputs)}."
    )
    return 0


def _add_extract_merge(commands) -> None:
    extract = commands.add_parser("extract", help="write a file's translatable units as JSON lines, one per unit")
    extract.add_argument("file", help="a .txt .md .srt .vtt .docx .jsonl or .tsv file")
    extract.add_argument("-o", "--output", required=True, help="the units file (.jsonl) to write")
    merge = commands.add_parser("merge", help="put translated units back into their file, structure kept")
    merge.add_argument("file", help="the file the units were extracted from")
    merge.add_argument("units", help="the units file, one line per unit in extract's order")
    merge.add_argument("-o", "--output", required=True, help="the translated file to write")
    for parser in (extract, merge):
        parser.add_argument("--field", default="text", help=".jsonl key or .tsv column translated (default: text)")
        parser.add_argument("--output-field", default="translation", help=".jsonl key or .tsv column written")


def _extract_or_merge(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .tasks.files.documents import extract_units, merge_units
    from .text.formats.base import read_file
    from .text.formats.records import read_units_file, units_file

    data, name, fields = read_file(args.file), Path(args.file).name, {"field": args.field}
    if args.command == "extract":
        found = extract_units(data, name, **fields)
        Path(args.output).write_bytes(units_file(found.units))
        print(f"Wrote {len(found.units):,} units of {name} to {args.output}.")
        for note in found.warnings:
            print(f"Note: {note}", file=sys.stderr)
        return 0
    translations = read_units_file(read_file(args.units), Path(args.units).name)
    Path(args.output).write_bytes(merge_units(data, name, translations, **fields, output_field=args.output_field))
    print(f"Wrote {args.output}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m translator", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    download = commands.add_parser("download", help="fetch registry models (safetensors and configs only)")
    download.add_argument(
        "keys", nargs="*", help="registry keys or hub ids (org/name); none means every hub model in the registry"
    )
    convert = commands.add_parser("convert", help="convert translation models for CTranslate2 (the fast engine)")
    convert.add_argument("models", nargs="+", help="registry keys, hub ids or model directories")
    convert.add_argument(
        "--quantization",
        choices=QUANTIZATIONS,
        default="int8",
        help="weights as stored and run (default: %(default)s; a CPU runs int8 or float32)",
    )
    _add_finetune(commands)
    _add_translate(commands)
    _add_extract_merge(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "download":
            return _download(args.keys)
        if args.command == "finetune":
            return _finetune(args)
        if args.command == "translate":
            return _translate(args)
        if args.command == "convert":
            return _convert(args.models, args.quantization)
        if args.command in ("extract", "merge"):
            return _extract_or_merge(args)
    except TranslatorError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130  # the run has said where it stopped and how to resume
    return 0


if __name__ == "__main__":
    sys.exit(main())
