"""The Steer view: the original and the steered translation side by side, changed words marked, both scores,
the forced words' probabilities and the steered output's flags. Static HTML (gr.HTML runs no script)."""

from __future__ import annotations

from collections.abc import Sequence

from ..tasks.translation.results import FLAG_TEXTS, SteeredTranslation, TokenScore, TranslationResult
from .compare import BOX, diff_words
from .confidence import alternative_words, marks_word_starts, words
from .markup import esc, short
from .run import notes_html

CHOICE_CHARS = 40  # a word's text in the word picker


def steer_html(result: SteeredTranslation) -> str:
    """Both sentences, their scores, what was forced and how likely the model found it."""
    forced_words = words(result.tokens[: len(result.forced)])
    forced = _text(result.tokens[: len(result.forced)]) or "nothing (the model's own start)"
    # per word as the tokenizer decodes it (a word's probability: its forced pieces', multiplied)
    probabilities = ", ".join(f"{esc(w.text)} {w.prob:.1%}" for w in forced_words)
    flags = [f"⚑ {FLAG_TEXTS.get(flag, flag)}" for flag in result.flags]
    original = _box("Original", diff_words(result.changes, "a"), f"score {result.original.score:.4f}", "#eff6ff")
    steered = _box(
        "Steered",
        diff_words(result.changes, "b"),
        " · ".join([f"score {result.steered.score:.4f}", *flags]),
        "#f0fdf4",
    )
    same = all(op.tag == "equal" for op in result.changes)
    outcome = "The same words as the original." if same else "Changed words are marked."
    return (
        f'<div class="steer">{notes_html(result.warnings)}'
        f'<p style="margin:0 0 4px">Forced start: <b class="steer-forced">{esc(forced)}</b>'
        f"{f' (model probability: {probabilities}; log-prob {result.forced_logprob:.3f})' if probabilities else ''}"
        f". {outcome}</p>"
        f'<div style="display:flex;flex-wrap:wrap;gap:6px">{original}{steered}</div>'
        f'<p style="font-size:85%;color:#6b7280;margin:4px 0 0">Scores: log-probability per token, over every '
        f"token (the forced ones too), to the length penalty {result.length_penalty:g}.</p>"
        "</div>"
    )


def _box(name: str, words_html: str, note: str, fill: str) -> str:
    return (
        f'<div class="steer-{name.lower()}" style="{BOX};background:{fill}"><b>{name}</b> {words_html}'
        f'<div style="font-size:80%;color:#6b7280">{esc(note)}</div></div>'
    )


def word_choices(result: TranslationResult, chunk: int) -> list[tuple[str, int]]:
    """The picker's words of one chunk: (label, index of the word's first token in ``chunk.tokens``)."""
    tokens = result.chunks[chunk].tokens
    choices, start = [], 0
    for number, word in enumerate(words(tokens, chunk), 1):
        first = tokens.index(word.pieces[0], start)
        start = first + len(word.pieces)
        choices.append((f"{number}: {short(word.text, CHOICE_CHARS)} ({word.prob:.0%})", first))
    return choices


def alternative_choices(result: TranslationResult, chunk: int, token: int) -> list[tuple[str, str]]:
    """A token's runners-up as (label: the word it would make, token text), most likely first."""
    scored = result.chunks[chunk].tokens[token]
    made = alternative_words(scored)
    return [(f"{word} ({prob:.1%})", text) for (word, prob), (text, _) in zip(made, scored.alternatives, strict=True)]


def steer_prefix(result: TranslationResult, chunk: int, token: int, alternative: str) -> tuple[str, list[str]]:
    """The prefix that takes ``alternative`` in place of the chunk's token ``token``: as text (for the prefix box)
    and as the token texts steer(prefix_tokens=...) forces, the tokens before it kept as they were."""
    scored = result.chunks[chunk].tokens
    kept = [t for t in scored[:token] if not t.special]
    pieces = [*kept, TokenScore(alternative, 0.0)]
    # the whole chunk says whether its tokenizer marks word starts: the kept pieces alone may carry no mark
    return _text(pieces, marks_word_starts(scored)), [t.text for t in pieces]


def _text(tokens: Sequence[TokenScore], marked: bool | None = None) -> str:
    """Tokens as the words they make, spaced as the Confidence view spaces them."""
    return "".join((" " if w.space_before else "") + w.text for w in words(tokens, marked=marked))
