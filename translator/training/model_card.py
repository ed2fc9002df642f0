"""What a fine-tuning run writes beside the weights: a registry entry for the app and a model card."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import FinetuneConfig


def registry_entry(key: str, description: str, languages: tuple[str, str] | None) -> str:
    """A registry file (see translator/core/registry.py) naming the directory it lies in as a translation model."""
    # json.dumps writes strings TOML reads the same way (double quotes, \\uXXXX escapes)
    lines = [
        "# Pass this file to the app to add the model to the Translate tab:",
        "#   python app.py --registry registry-entry.toml",
        f"[models.{json.dumps(key)}]",
        'path = "."  # this directory: relative paths are resolved against the file\'s folder',
        'tasks = ["translation"]',
    ]
    if languages:
        lines.append(f"languages = {json.dumps(list(languages))}")
    lines.append(f"description = {json.dumps(description)}")
    return "\n".join(lines) + "\n"


def model_card(config: FinetuneConfig, summary: dict[str, Any]) -> str:
    """A short README.md: how the model was made, on what data, and how well it scores on held-out text."""
    corpus = summary["corpus"]
    languages = list(config.languages) if config.languages else []
    front = [
        "---",
        "library_name: transformers",
        "pipeline_tag: translation",
        "tags: [translation, bert2bert, encoder-decoder]",
    ]
    if languages:
        front.append(f"language: {json.dumps(languages)}")
    front.append("---")
    decoder = config.decoder or config.encoder
    share = (
        f", sharing {summary['shared_tensors']} tensors between encoder and decoder (BERT2BERT-share)"
        if config.share
        else ""
    )
    processes = summary["processes"]
    effective = config.batch_size * config.grad_accum * processes
    lines = [
        *front,
        "",
        f"# {config.key}",
        "",
        f"A BERT2BERT translator{' (' + ' → '.join(languages) + ')' if languages else ''}: an encoder-decoder "
        f"warm-started from `{config.encoder}` (encoder) and `{decoder}` (decoder){share}, "
        f"{summary['parameters']:,} parameters, fine-tuned with `python -m translator finetune`.",
        "",
        "## Data",
        "",
        f"`{config.corpus}`: {corpus['rows']:,} rows; {corpus['train']:,} for training, {corpus['heldout']:,} "
        f"held out (seed {config.seed}); skipped {corpus['skipped_empty']:,} empty rows and "
        f"{corpus['skipped_too_long']:,} longer than {config.max_source_tokens} source / "
        f"{config.max_target_tokens} target tokens; dropped {corpus['overlap_dropped']:,} training rows whose "
        "source is also held out.",
        "",
        "## Training",
        "",
        f"{_plural(summary['steps'], 'step')} of AdamW (learning rate {config.learning_rate:g}, linear warm-up over "
        f"{_plural(config.warmup, 'step')} then linear decay, weight decay {config.weight_decay:g}), "
        f"{effective} rows per step (batch {config.batch_size} × accumulation {config.grad_accum} × "
        f"{_plural(processes, 'process')}), mixed precision: {summary['precision']}, on {summary['device']}. "
        f"Training loss (mean of the last 50 steps): {_number(summary['final_loss'])}"
        + (f"; resumed from step {summary['resumed_from']}." if summary["resumed_from"] else "."),
        "",
        "## Held-out scores",
        "",
    ]
    evaluations = summary["evaluations"]
    if evaluations:
        case = " (case-insensitive: the vocabulary is uncased)" if evaluations[-1]["lowercase"] else ""
        lines += [
            f"sacreBLEU on the held-out split, beam {config.eval_beams}{case}:",
            "",
            "| step | BLEU | chrF | sentences |",
            "|---:|---:|---:|---:|",
        ]
        lines += [f"| {e['step']} | {e['bleu']:.1f} | {e['chrf']:.1f} | {e['sentences']} |" for e in evaluations]
        samples = evaluations[-1]["samples"]
        if samples:
            lines += ["", "Examples (source → reference / output):", ""]
            lines += [f"- {_inline(s)} → {_inline(r)} / {_inline(o)}" for s, r, o in samples]
    else:
        lines.append("No held-out split (held-out fraction 0).")
    lines += [
        "",
        "## Use",
        "",
        "```bash",
        "python app.py --registry registry-entry.toml   # adds it to the Translate tab",
        "```",
        "",
        "```python",
        "from translator import translate",
        f'translate("...", model="{config.output_dir}")',
        "```",
        "",
    ]
    return "\n".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "es" if word.endswith("s") else "s")


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _inline(text: str) -> str:
    """Text for one Markdown list item: one line, shortened, with its own backticks kept out of the code span."""
    text = " ".join(text.split())
    text = text if len(text) <= 120 else text[:117] + "…"
    return "`" + text.replace("`", "'") + "`"
