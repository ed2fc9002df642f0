"""plan_chunks(): cut text into pieces a model can take, by sentences or by strided token windows.

Token counts never include special tokens ([CLS]/[SEP], </s>): a caller feeding chunks to
a model subtracts ``tokenizer.num_special_tokens_to_add()`` (when its recipe adds them)
from the model's input limit before choosing ``max_tokens``. translate() does.

* ``mode="sentences"`` (what translate() uses): whole sentences packed into chunks of at
  most ``max_tokens``, never across a line or paragraph break; with ``pack=False``, one
  sentence per chunk (translate()'s default: models trained on single sentences may drop one
  of several). ``n_tokens`` is the chunk's text
  tokenized on its own, exactly what the model is fed. A sentence longer than the limit is
  cut on token windows (at a word boundary when one is near) and its pieces are flagged
  ``split_inside_sentence``. Every non-whitespace character is in exactly one chunk. (The one
  exception to the limit: a single character that alone tokenizes to more tokens, which
  only happens with limits of a few tokens, becomes a chunk of its own.)
* ``mode="windows"``: windows of ``max_tokens`` tokens over the whole text's tokenization,
  each sharing ``stride`` tokens with the one before (the way QA windows are cut).
  ``n_tokens`` and ``overlap_prev`` count tokens of that whole-text tokenization.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from typing import Any

from ..core.checks import choice_arg, int_arg
from ..core.errors import InputError
from .segment import Span, end_before_space, has_line_break, sentences, skip_space

MODES = ("sentences", "windows")
# inside a too-long sentence, cut at a word boundary if one lies in the last half of the window
WORD_CUT_SLACK = 0.5


@dataclass(frozen=True)
class Chunk:
    index: int
    char_start: int
    char_end: int
    n_tokens: int
    overlap_prev: int  # tokens shared with the previous chunk (windows mode with stride > 0)
    text: str = ""  # == source[char_start:char_end]
    split_inside_sentence: bool = False  # the chunk ends (or starts) inside a sentence
    paragraph: int = 0  # paragraph of the chunk's first character
    continues: bool = False  # the chunk ends inside a sentence that the next chunk goes on with (a cut)


# -------------------------------------------------------------------- token offsets


def token_offsets(text: str, tokenizer: Any) -> list[tuple[int, int]]:
    """Character span of each content token of ``text``, widened so the spans tile the non-whitespace text.

    Fast tokenizers report offsets; for slow ones (Marian's SentencePiece) each piece is matched back
    onto the text. A character the tokenizer drops (control characters, a normalized ligature) joins
    the token before it, so a cut between two tokens never loses a character.
    """
    if getattr(tokenizer, "is_fast", False):
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        raw = [(a, b) for a, b in encoded["offset_mapping"]]
    else:
        raw = _align_pieces(text, tokenizer.tokenize(text))
    return _tile(text, raw)


def _align_pieces(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Offsets of slow-tokenizer pieces found in order in ``text``; an unmatched piece gets an empty span."""
    offsets = []
    pos = 0
    for piece in pieces:
        bare = piece.replace("\u2581", "").removeprefix("##")
        start = skip_space(text, pos)
        found = _find_near(text, bare, start)
        if found < 0:
            offsets.append((start, start))
            continue
        offsets.append((found, found + len(bare)))
        pos = found + len(bare)
    return offsets


def _find_near(text: str, bare: str, start: int, reach: int = 8) -> int:
    """Where ``bare`` occurs within ``reach`` characters of ``start`` (case-insensitive), or -1."""
    if not bare:
        return -1
    window = text[start : start + reach + len(bare)].lower()
    found = window.find(bare.lower())
    return start + found if found >= 0 else -1


def _tile(text: str, raw: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each token runs from its start to the next token's start (less whitespace); ends clamp to the text."""
    if not raw:
        return []
    starts = [a for a, _ in raw]
    for i in range(1, len(starts)):
        starts[i] = max(starts[i], starts[i - 1])  # offsets must never go back
    starts[0] = min(starts[0], skip_space(text, 0))
    ends = [end_before_space(text, a, b) for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    return list(zip(starts, ends, strict=True))


def count_tokens(text: str, tokenizer: Any) -> int:
    """Content tokens of ``text`` tokenized on its own (no special tokens)."""
    return len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


# -------------------------------------------------------------------- planning


def plan_chunks(
    text: str,
    tokenizer: Any,
    *,
    max_tokens: int,
    stride: int = 0,
    mode: str = "sentences",
    language: str = "en",
    pack: bool = True,
) -> list[Chunk]:
    """Chunks of ``text`` of at most ``max_tokens`` content tokens each, in document order.

    ``pack`` (mode "sentences"): several sentences per chunk when they fit; False: one sentence per chunk.
    """
    max_tokens, stride = check_arguments(text, max_tokens, stride, mode)
    if not text.strip():
        return []
    offsets = token_offsets(text, tokenizer)
    spans = sentences(text, language)
    if mode == "windows":
        return _with_cuts(_windows(text, offsets, spans, max_tokens, stride), spans)
    return _with_cuts(_sentence_chunks(text, tokenizer, offsets, spans, max_tokens, pack), spans)


def _with_cuts(chunks: list[Chunk], spans: list[Span]) -> list[Chunk]:
    """``chunks`` with ``continues`` set where chunk ``i`` and chunk ``i + 1`` both lie inside one sentence: one
    cut each, none after the last piece of a long sentence (that piece ends where the sentence does)."""
    return [
        replace(chunk, continues=True)
        if nxt is not None
        and chunk.split_inside_sentence
        and nxt.split_inside_sentence
        and any(s.char_start < chunk.char_end and s.char_end > nxt.char_start for s in spans)
        else chunk
        for chunk, nxt in zip(chunks, [*chunks[1:], None], strict=True)
    ]


def check_arguments(text: object, max_tokens: object, stride: object, mode: object) -> tuple[int, int]:
    if not isinstance(text, str):
        raise InputError("The text must be a string.")
    choice_arg("mode", mode, MODES)
    max_tokens = int_arg("max_tokens", max_tokens, 1)
    stride = int_arg("stride", stride, 0, max_tokens - 1)
    if stride and mode == "sentences":
        raise InputError("stride (overlap) applies to mode 'windows'; use stride 0 with mode 'sentences'.")
    return max_tokens, stride


def _windows(text: str, offsets: list[tuple[int, int]], spans: list[Span], max_tokens: int, stride: int) -> list[Chunk]:
    if not offsets:  # nothing the tokenizer keeps: one empty window so the text is still drawn
        return [_whole_text_chunk(text, spans)]
    sentence_ends = {s.char_end for s in spans}
    sentence_starts = {s.char_start for s in spans}
    ends = [s.char_end for s in spans]
    chunks: list[Chunk] = []
    first = 0
    while True:
        last = min(first + max_tokens, len(offsets))
        a, b = offsets[first][0], offsets[last - 1][1]
        inside = (b not in sentence_ends) or (a not in sentence_starts)
        chunks.append(
            Chunk(
                len(chunks),
                a,
                b,
                last - first,
                stride if chunks else 0,
                text[a:b],
                inside,
                _paragraph_at(spans, ends, a),
            )
        )
        if last == len(offsets):
            return chunks
        first = last - stride


def _sentence_chunks(
    text: str, tokenizer: Any, offsets: list[tuple[int, int]], spans: list[Span], max_tokens: int, pack: bool
) -> list[Chunk]:
    counts = _tokens_per_span(offsets, spans)
    pieces: list[tuple[int, int, int, bool, int]] = []  # (start, end, n_tokens, inside a sentence, paragraph)
    i = 0
    while i < len(spans):
        j = _pack(text, spans, counts, i, max_tokens) if pack else i
        start, end = spans[i].char_start, spans[j].char_end
        n = count_tokens(text[start:end], tokenizer)
        while n > max_tokens and j > i:  # the estimate was low: give back sentences until it fits
            j -= 1
            end = spans[j].char_end
            n = count_tokens(text[start:end], tokenizer)
        if n > max_tokens:
            pieces += [
                (*cut, True, spans[i].paragraph)
                for cut in _split_sentence(text, tokenizer, offsets, spans[i], max_tokens)
            ]
        else:
            pieces.append((start, end, n, False, spans[i].paragraph))
        i = j + 1
    return [Chunk(k, a, b, n, 0, text[a:b], inside, para) for k, (a, b, n, inside, para) in enumerate(pieces)]


def _tokens_per_span(offsets: list[tuple[int, int]], spans: list[Span]) -> list[int]:
    """Tokens whose start lies in each span (a first estimate; chunk counts are checked on the real text)."""
    counts = [0] * len(spans)
    k = 0
    for a, _ in offsets:
        while k + 1 < len(spans) and a >= spans[k + 1].char_start:
            k += 1
        counts[k] += 1
    return counts


def _pack(text: str, spans: list[Span], counts: list[int], i: int, max_tokens: int) -> int:
    """Index of the last sentence that fits, by estimate, in a chunk starting at sentence ``i``.

    A chunk never crosses a line break, so translations keep the text's lines and paragraphs.
    """
    total = counts[i]
    j = i
    while (
        j + 1 < len(spans)
        and total + counts[j + 1] <= max_tokens
        and not has_line_break(text, spans[j].char_end, spans[j + 1].char_start)
    ):
        j += 1
        total += counts[j]
    return j


def _split_sentence(
    text: str, tokenizer: Any, offsets: list[tuple[int, int]], span: Span, max_tokens: int
) -> list[tuple[int, int, int]]:
    """``span`` cut into consecutive pieces of at most ``max_tokens`` tokens: (start, end, n_tokens)."""
    inside = [(a, b) for a, b in offsets if span.char_start <= a < span.char_end]
    starts = [a for a, _ in inside]

    def end_of(last: int) -> int:  # the piece that ends with token ``last - 1``
        return span.char_end if last >= len(inside) else inside[last - 1][1]

    pieces = []
    pos = span.char_start
    while pos < span.char_end:
        first = max(0, bisect.bisect_right(starts, pos) - 1)  # the token ``pos`` lies in
        last = _cut_point(inside, first, max_tokens)
        n = count_tokens(text[pos : end_of(last)], tokenizer)
        while n > max_tokens and last > first + 1:  # tokenized alone it came out longer: shrink
            last = max(first + 1, last - (n - max_tokens))
            n = count_tokens(text[pos : end_of(last)], tokenizer)
        end = end_of(last)
        if n > max_tokens:  # not even the rest of one token fits (a word cut mid-way): cut characters
            end, n = _longest_prefix(text, tokenizer, pos, end, max_tokens)
        pieces.append((pos, end, n))
        pos = end
        while pos < span.char_end and text[pos].isspace():
            pos += 1
    return pieces


def _longest_prefix(text: str, tokenizer: Any, start: int, end: int, max_tokens: int) -> tuple[int, int]:
    """The longest ``text[start:cut]`` (at least one character) within ``max_tokens``: (cut, n_tokens)."""
    low, high = start + 1, end
    while low < high:
        mid = (low + high + 1) // 2
        if count_tokens(text[start:mid], tokenizer) <= max_tokens:
            low = mid
        else:
            high = mid - 1
    return low, count_tokens(text[start:low], tokenizer)


def _cut_point(offsets: list[tuple[int, int]], first: int, budget: int) -> int:
    """End (exclusive token index) of a window of ``budget`` tokens after ``first``, at a word boundary if near."""
    last = min(first + budget, len(offsets))
    if last == len(offsets):
        return last
    for end in range(last, first + max(1, int(budget * (1 - WORD_CUT_SLACK))) - 1, -1):
        if offsets[end - 1][1] < offsets[end][0]:
            return end  # whitespace (or a dropped character) lies between token end-1 and token end
    return last


def _whole_text_chunk(text: str, spans: list[Span]) -> Chunk:
    a, b = spans[0].char_start, spans[-1].char_end
    return Chunk(0, a, b, 0, 0, text[a:b], False, 0)


def _paragraph_at(spans: list[Span], ends: list[int], pos: int) -> int:
    """Paragraph of the sentence that holds (or follows) ``pos``; ``ends`` are the spans' ends."""
    k = bisect.bisect_right(ends, pos)
    return spans[min(k, len(spans) - 1)].paragraph
