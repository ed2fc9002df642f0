"""The "confidence" view of a translation: each word shaded by the model's probability for it.

Tokens are merged into words as the tokenizer decoded them (``TokenScore.shown``: a piece that adds a leading
space starts a word, punctuation joins the word before, as in the translation's text). Tokens made without a
tokenizer fall back on the sub-word marks (SentencePiece ``▁`` and byte-level ``Ġ`` start a word, WordPiece
``##`` continues one). A word's probability is the product of its pieces' (the chance of the whole word, given
what came before). Each word's ``title`` tooltip lists the words the model weighed in its place; under the text,
the least confident words come first. Sentence ends (``</s>``) are marked only on request. Static HTML, no script.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..tasks.translation.results import TokenScore, TranslationResult
from ..tasks.translation.translate import separator
from .markup import esc

WORD_STARTS = ("▁", "Ġ")  # SentencePiece and byte-level BPE mark a piece that starts a word
CONTINUES = "##"  # WordPiece marks a piece that continues one
MAX_LISTED = 10  # least confident words listed under the text
MAX_ALTERNATIVES = 5  # words listed in a word's tooltip as what else the model weighed


@dataclass(frozen=True)
class Word:
    text: str  # the pieces as the translation shows them, joined
    prob: float  # product of the pieces' probabilities
    pieces: tuple[TokenScore, ...]
    space_before: bool  # False: glued to the word before (the first word)
    chunk: int = 0  # index of the chunk it belongs to


def piece_text(piece: str) -> str:
    """A piece without its sub-word mark."""
    for mark in (*WORD_STARTS, CONTINUES):
        if piece.startswith(mark):
            return piece[len(mark) :]
    return piece


def words(tokens: Sequence[TokenScore], chunk: int = 0, marked: bool | None = None) -> list[Word]:
    """The non-special tokens merged into words, in order. ``marked``: whether the tokenizer marks word starts
    (SentencePiece-like; else WordPiece), by default read off these tokens (``marks_word_starts``)."""
    pieces = [t for t in tokens if not t.special]
    marked = marks_word_starts(pieces) if marked is None else marked
    groups: list[tuple[list[TokenScore], list[str]]] = []  # (pieces, their texts)
    for token in pieces:
        shown = _shown(token, marked)
        if shown[:1].isspace() or not groups:
            groups.append(([token], [shown]))
        else:
            groups[-1][0].append(token)
            groups[-1][1].append(shown)
    return [
        Word("".join(texts).strip(), math.prod(p.prob for p in group), tuple(group), i > 0, chunk)
        for i, (group, texts) in enumerate(groups)
    ]


def marks_word_starts(tokens: Sequence[TokenScore]) -> bool:
    """Whether any of the tokens, or a runner-up of theirs, carries a word-start mark: a few pieces that all
    continue a word ("b", "b") would otherwise read as WordPiece, where an unmarked piece starts one."""
    return any(text.startswith(WORD_STARTS) for t in tokens for text in (t.text, *(a for a, _ in t.alternatives)))


def _shown(token: TokenScore, marked: bool) -> str:
    """What the token adds to the text: as the tokenizer decoded it, else as its sub-word mark says."""
    if token.shown is not None:
        return token.shown
    text = piece_text(token.text)
    if marked:
        return " " + text if token.text.startswith(WORD_STARTS) else text
    return text if token.text.startswith(CONTINUES) or _is_punctuation(text) else " " + text


def least_confident(result: TranslationResult, limit: int = MAX_LISTED) -> list[Word]:
    """The translation's words, least confident first (ties: in reading order)."""
    every = [w for chunk in result.chunks for w in words(chunk.tokens, chunk.index)]
    return sorted(every, key=lambda w: w.prob)[:limit]


def confidence_html(result: TranslationResult, *, limit: int = MAX_LISTED, ends: bool = False) -> str:
    """The best translation with each word shaded by its probability, then the least confident words.
    ``ends``: mark each chunk's end of sentence (⏎) with how sure the model was that it ended there."""
    if not any(chunk.tokens for chunk in result.chunks):
        return f'<p class="confidence">{esc(f"The {result.engine} engine reported no token probabilities.")}</p>'
    parts = []
    for previous, chunk in zip([None, *result.chunks[:-1]], result.chunks, strict=True):
        if previous is not None:
            gap = separator(result.source[previous.char_end : chunk.char_start])
            parts.append("<br/>" * gap.count("\n") or " ")
        parts += [(" " if w.space_before else "") + _word_span(w) for w in words(chunk.tokens, chunk.index)]
        if ends and chunk.tokens and chunk.tokens[-1].special:  # </s>: how sure the model was that it ended
            parts.append(_end_mark(chunk.tokens[-1]))
    listed = "".join(
        f"<li>{_word_span(w)} {w.prob:.1%}"
        + (f" (chunk {w.chunk + 1})" if len(result.chunks) > 1 else "")
        + f'<span style="color:#4b5563"> · {esc(_alternatives(w))}</span></li>'
        for w in least_confident(result, limit)
    )
    return (
        '<div class="confidence"><p style="line-height:1.9">' + "".join(parts) + "</p>"
        f'<p style="margin:4px 0 0">Least confident words first (hover a word for what else the model weighed):</p>'
        f"<ol>{listed}</ol></div>"
    )


def shade(prob: float) -> str:
    """A pale background from red (unlikely) through yellow to green (sure)."""
    return f"hsl({120 * min(1.0, max(0.0, prob)):.0f},75%,86%)"


def _is_punctuation(text: str) -> bool:
    return bool(text) and not any(c.isalnum() for c in text)


def alternative_words(token: TokenScore) -> list[tuple[str, float]]:
    """The token's alternatives as the words they would have made (``TokenScore.words``; without them the bare
    piece), with their probabilities; an alternative that makes no visible word (an end token) as the token."""
    made = token.words or ("",) * len(token.alternatives)
    return [
        (word or piece_text(text) or text, prob) for word, (text, prob) in zip(made, token.alternatives, strict=True)
    ]


def _alternatives(word: Word) -> str:
    """The words the model weighed in this one's place, most likely first, e.g. ``else: Gebäude 30.0%, Heim
    10.0%``. An alternative to a later piece keeps the pieces before it: its probability is theirs times its own."""
    weighed: dict[str, float] = {}
    before = 1.0
    for piece in word.pieces:
        for text, prob in alternative_words(piece):
            weighed[text] = max(weighed.get(text, 0.0), before * prob)
        before *= piece.prob
    ranked = sorted(weighed.items(), key=lambda item: -item[1])[:MAX_ALTERNATIVES]
    return "else: " + ", ".join(f"{text} {prob:.1%}" for text, prob in ranked) if ranked else "no alternatives reported"


def _word_span(word: Word) -> str:
    tip = f"{word.text} {word.prob:.1%}" + (f" ({len(word.pieces)} pieces)" if len(word.pieces) > 1 else "")
    tip += "\n" + _alternatives(word)
    return (
        f'<span title="{esc(tip)}" style="background:{shade(word.prob)};border-radius:3px;padding:0 2px">'
        f"{esc(word.text)}</span>"
    )


def _end_mark(token: TokenScore) -> str:
    tip = f"the model ended the sentence here: {token.prob:.1%}"
    if token.alternatives:
        tip += "\nelse: " + ", ".join(f"{text} {prob:.1%}" for text, prob in alternative_words(token))
    return (
        f' <span title="{esc(tip)}" style="background:{shade(token.prob)};border-radius:3px;padding:0 2px;'
        f'font-size:80%;color:#4b5563">⏎</span>'
    )
