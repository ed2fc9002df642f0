"""The "confidence" view of a translation: each word shaded by the model's probability for it.

Sub-word pieces are merged into words (SentencePiece ``▁`` and byte-level ``Ġ`` start a word, WordPiece
``##`` continues one); a word's probability is the product of its pieces' (the chance of the whole word,
given what came before). Each word's ``title`` tooltip lists the runners-up of its pieces; under the text,
the least confident words come first. Static HTML, no script.
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


@dataclass(frozen=True)
class Word:
    text: str  # the pieces joined, sub-word marks removed
    prob: float  # product of the pieces' probabilities
    pieces: tuple[TokenScore, ...]
    space_before: bool  # False: glued to the word before (punctuation after a WordPiece word, the first word)
    chunk: int = 0  # index of the chunk it belongs to


def piece_text(piece: str) -> str:
    """A piece without its sub-word mark."""
    for mark in (*WORD_STARTS, CONTINUES):
        if piece.startswith(mark):
            return piece[len(mark) :]
    return piece


def words(tokens: Sequence[TokenScore], chunk: int = 0) -> list[Word]:
    """The non-special tokens merged into words, in order."""
    pieces = [t for t in tokens if not t.special]
    marked = any(t.text.startswith(WORD_STARTS) for t in pieces)  # SentencePiece-like; else WordPiece
    groups: list[tuple[list[TokenScore], bool]] = []  # (pieces, space before)
    for token in pieces:
        if marked:
            starts = space = token.text.startswith(WORD_STARTS)
        else:
            starts = not token.text.startswith(CONTINUES)
            space = starts and not _is_punctuation(token.text)  # WordPiece splits "Haus." into "Haus" "."
        if starts or not groups:
            groups.append(([token], space and bool(groups)))
        else:
            groups[-1][0].append(token)
    return [
        Word(_joined(group), math.prod(p.prob for p in group), tuple(group), space, chunk) for group, space in groups
    ]


def _joined(group: Sequence[TokenScore]) -> str:
    text = "".join(piece_text(p.text) for p in group)
    # a text that opens with a "##" piece has nothing to join it to: shown as the tokenizer decodes it
    return CONTINUES + text if group[0].text.startswith(CONTINUES) else text


def least_confident(result: TranslationResult, limit: int = MAX_LISTED) -> list[Word]:
    """The translation's words, least confident first (ties: in reading order)."""
    every = [w for chunk in result.chunks for w in words(chunk.tokens, chunk.index)]
    return sorted(every, key=lambda w: w.prob)[:limit]


def confidence_html(result: TranslationResult, *, limit: int = MAX_LISTED) -> str:
    """The best translation with each word shaded by its probability, then the least confident words."""
    if not any(chunk.tokens for chunk in result.chunks):
        return f'<p class="confidence">{esc(f"The {result.engine} engine reported no token probabilities.")}</p>'
    parts = []
    for previous, chunk in zip([None, *result.chunks[:-1]], result.chunks, strict=True):
        if previous is not None:
            gap = separator(result.source[previous.char_end : chunk.char_start])
            parts.append("<br/>" * gap.count("\n") or " ")
        parts += [(" " if w.space_before else "") + _word_span(w) for w in words(chunk.tokens, chunk.index)]
        if chunk.tokens and chunk.tokens[-1].special:  # </s>: how sure the model was that the sentence ended
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


def _alternatives(word: Word) -> str:
    """Each piece's runners-up, e.g. ``Haus 92.0%: Gebäude 3.1%, Heim 1.0%``."""
    lines = []
    for piece in word.pieces:
        others = ", ".join(f"{piece_text(text) or text} {prob:.1%}" for text, prob in piece.alternatives)
        lines.append(f"{piece_text(piece.text)} {piece.prob:.1%}: " + (others or "no alternatives reported"))
    return "; ".join(lines)


def _word_span(word: Word) -> str:
    tip = f"{word.text} {word.prob:.1%}" + (f" ({len(word.pieces)} pieces)" if len(word.pieces) > 1 else "")
    tip += "\n" + _alternatives(word).replace("; ", "\n")
    return (
        f'<span title="{esc(tip)}" style="background:{shade(word.prob)};border-radius:3px;padding:0 2px">'
        f"{esc(word.text)}</span>"
    )


def _end_mark(token: TokenScore) -> str:
    tip = f"the model ended the sentence here: {token.prob:.1%}"
    if token.alternatives:
        tip += "\nelse: " + ", ".join(f"{piece_text(text) or text} {prob:.1%}" for text, prob in token.alternatives)
    return (
        f' <span title="{esc(tip)}" style="background:{shade(token.prob)};border-radius:3px;padding:0 2px;'
        f'font-size:80%;color:#4b5563">⏎</span>'
    )
