"""The Translate tab's language pair: a source and a target picker that filter the model list (from the registry's
``languages``), and a swap button that swaps them and picks the model for the swapped pair where there is one.

A user thinks "English → German", not in model keys; picking a model by hand sets the pair to its languages.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from translator import ModelSpec, get_registry, is_available

ANY = "any"
TASK = "translation"
# names for the codes the registry's models use most; any other code is shown as it is
NAMES = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "ja": "Japanese",
    "nl": "Dutch",
    "pt": "Portuguese",
    "ru": "Russian",
    "zh": "Chinese",
}


def language_choices(side: int) -> list[tuple[str, str]]:
    """The picker's choices for the source (``side`` 0) or the target (1): "any", then each listed language."""
    codes = sorted({spec.languages[side] for spec in get_registry().for_task(TASK) if spec.languages})
    return [("Any", ANY)] + [(NAMES.get(code, code), code) for code in codes]


def fits(spec: ModelSpec, source: str, target: str) -> bool:
    """Whether ``spec`` translates ``source`` into ``target`` ("any" fits every language; a model whose languages
    the registry does not give fits only "any" to "any")."""
    if spec.languages is None:
        return source == ANY and target == ANY
    return source in (ANY, spec.languages[0]) and target in (ANY, spec.languages[1])


@dataclass(frozen=True)
class ModelList:
    """The model dropdown's choices and value for a pair, and a note when no listed model fits it."""

    choices: list[tuple[str, str]]
    value: str | None
    note: str


def models_for(source: str, target: str, current: str | None) -> ModelList:
    """The models for ``source`` → ``target``: ``current`` stays chosen if it fits, else the first that can run
    now, else the first. When none fits, every model stays listed and the note says so."""
    specs = get_registry().for_task(TASK)
    chosen = [spec for spec in specs if fits(spec, source, target)]
    note = ""
    if not chosen:
        note = f"No listed model translates {NAMES.get(source, source)} → {NAMES.get(target, target)}; all are listed."
        chosen = specs
    keys = [spec.key for spec in chosen]
    value = current if current in keys else next((k for k in keys if is_available(k, TASK)[0]), None)
    return ModelList([(spec.label, spec.key) for spec in chosen], value or (keys[0] if keys else None), note)


def pair_of(model: str | None) -> tuple[str, str]:
    """The pickers' values for ``model``: its languages, or "any" for a model the registry gives none for."""
    spec = next((spec for spec in get_registry().for_task(TASK) if spec.key == model), None)
    return spec.languages if spec is not None and spec.languages else (ANY, ANY)


def filtered(source: str, target: str, current: str | None) -> tuple[gr.Dropdown, str]:
    listed = models_for(source, target, current)
    return gr.Dropdown(choices=listed.choices, value=listed.value), listed.note


def swapped(source: str, target: str, current: str | None) -> tuple[str, str, gr.Dropdown, str]:
    """The pair the other way round, with the model for it where there is one."""
    return (target, source, *filtered(target, source, current))


@dataclass(frozen=True)
class LanguagePickers:
    source: gr.Dropdown
    target: gr.Dropdown
    swap: gr.Button
    note: gr.Markdown

    def filter(self, model: gr.Dropdown) -> None:
        """Wire the pickers to ``model``: a pair filters its list, the swap swaps, a model picked sets the pair."""
        private = {"api_visibility": "private", "queue": False, "show_progress": "hidden"}
        pair = [self.source, self.target, model]
        gr.on([self.source.input, self.target.input], filtered, pair, [model, self.note], **private)
        self.swap.click(swapped, pair, [*pair, self.note], **private)
        # a model picked by hand sets the pair to its languages, so the pickers never contradict the model
        model.input(lambda key: (*pair_of(key), ""), model, [self.source, self.target, self.note], **private)


def language_pickers(model: str | None) -> LanguagePickers:
    """Source and target pickers, on ``model``'s languages, with a swap button between them (``filter`` wires
    them to the model dropdown, which is built after them and sits under them)."""
    source_value, target_value = pair_of(model)
    with gr.Row(equal_height=True, elem_id="translate-languages"):
        source = gr.Dropdown(language_choices(0), value=source_value, label="From", min_width=100, scale=3)
        swap = gr.Button("⇄", size="sm", min_width=44, scale=0, elem_id="translate-swap")
        target = gr.Dropdown(language_choices(1), value=target_value, label="To", min_width=100, scale=3)
    return LanguagePickers(source, target, swap, gr.Markdown(elem_id="translate-languages-note"))
