"""The token side of attention: tokens, special-token flags, sentence A/B, word groups and labels, the token cap."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Axis:
    """The token side of an attention matrix, built once from the tokenizer."""

    tokens: list[str]
    special: list[bool]
    segments: list[int]
    words: list[int]
    word_labels: list[str]


# -------------------------------------------------------------------- tokens


def tokens_and_special(tokenizer: Any, ids: list[int]) -> tuple[list[str], list[bool]]:
    """Each id's token, and whether it is a marker the tokenizer adds ([UNK] and [MASK] stand for content)."""
    markers = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id, getattr(tokenizer, "mask_token_id", None)}
    return tokenizer.convert_ids_to_tokens(ids), [i in markers for i in ids]


def runs(keys: Sequence[Any]) -> list[int]:
    """Number consecutive runs of equal keys: [a, a, b, a] -> [0, 0, 1, 2]."""
    words: list[int] = []
    for i, key in enumerate(keys):
        words.append(0 if i == 0 else words[-1] + (key != keys[i - 1]))
    return words


def groups(words: Sequence[int]) -> list[list[int]]:
    """Positions of each word, in order (word ids are consecutive runs)."""
    members: list[list[int]] = [[] for _ in range(words[-1] + 1 if words else 0)]
    for position, word in enumerate(words):
        members[word].append(position)
    return members


def labels_from_ids(
    tokenizer: Any, ids: list[int], tokens: list[str], words: list[int], special: list[bool]
) -> list[str]:
    """A label per word: its pieces decoded together by the tokenizer (## / ▁ / Ġ markers handled there)."""
    labels = []
    for members in groups(words):
        decoded = "" if special[members[0]] else tokenizer.decode([ids[i] for i in members]).strip()
        labels.append(decoded or "".join(tokens[i] for i in members))
    return labels


def piece_words(tokens: list[str], special: list[bool]) -> list[int]:
    """Word runs from the pieces' own markers, for tokenizers without offsets and for generated text."""
    if any(t.startswith("##") for t in tokens):  # WordPiece: "##" continues a word
        starts = [not t.startswith("##") for t in tokens]
    elif any(t.startswith(("▁", "Ġ")) for t in tokens):  # SentencePiece / byte-level BPE: a marker opens a word
        starts = [t.startswith(("▁", "Ġ")) for t in tokens]
    else:
        starts = [True] * len(tokens)
    keys: list[int] = []
    for i, token_starts in enumerate(starts):
        opens = i == 0 or token_starts or special[i] or special[i - 1]
        keys.append(i if opens else keys[-1])
    return runs(keys)


def axis_from_ids(tokenizer: Any, ids: list[int], segments: list[int] | None = None) -> Axis:
    tokens, special = tokens_and_special(tokenizer, ids)
    words = piece_words(tokens, special)
    return Axis(
        tokens, special, segments or [0] * len(ids), words, labels_from_ids(tokenizer, ids, tokens, words, special)
    )


def word_starts(text: str) -> list[int]:
    """Where each whitespace-separated word of ``text`` starts: the words as written, so "didn't" and "tired."
    are one word each (a tokenizer's own word ids split off the punctuation)."""
    return [match.start() for match in re.finditer(r"\S+", text)]


def written_word(starts: list[int], position: int) -> int:
    """Index of the word (from ``word_starts``) at character ``position``."""
    return max(0, bisect_right(starts, position) - 1)


def axis_from_encoding(tokenizer: Any, encoding: Any, texts: Sequence[str]) -> Axis:
    """Tokens of a fast-tokenizer encoding; words are the words as written (split at whitespace), labels the
    text they cover."""
    ids = encoding["input_ids"]
    tokens, special = tokens_and_special(tokenizer, ids)
    sequence_ids = encoding.sequence_ids()
    first_b = next((i for i, s in enumerate(sequence_ids) if s == 1), len(ids))
    segments = [int(i >= first_b) for i in range(len(ids))]
    offsets = encoding["offset_mapping"]
    starts = [word_starts(text) for text in texts]
    keys = [
        ("special", i)
        if special[i] or word is None
        else (sequence_ids[i], written_word(starts[sequence_ids[i]], start))
        for i, (word, (start, _)) in enumerate(zip(encoding.word_ids(), offsets, strict=True))
    ]
    words = runs(keys)
    labels = []
    for members in groups(words):
        first, last = members[0], members[-1]
        text = None if special[first] or sequence_ids[first] is None else texts[sequence_ids[first]]
        labels.append(tokens[first] if text is None else text[offsets[first][0] : offsets[last][1]])
    return Axis(tokens, special, segments, words, labels)


def tokenize_capped(tokenizer: Any, texts: Sequence[str], cap: int, add_special_tokens: bool) -> tuple[Any, int]:
    """The encoding cut to ``cap`` tokens (longest text first for pairs), and the length before the cut."""
    kwargs: dict[str, Any] = {
        "add_special_tokens": add_special_tokens,
        "verbose": False,
        "return_offsets_mapping": bool(tokenizer.is_fast),
    }
    full = tokenizer(*texts, **kwargs)
    n_tokens = len(full["input_ids"])
    if n_tokens <= cap:
        return full, n_tokens
    return tokenizer(*texts, truncation=True, max_length=cap, **kwargs), n_tokens


def cut_message(encoding: Any, texts: Sequence[str], n_before: int, tokenizer: Any) -> str:
    """One sentence on what the token cap removed; empty when nothing was cut."""
    n_after = len(encoding["input_ids"])
    if n_after == n_before:
        return ""
    head = f"The {n_after}-token cap cut the input from {n_before} tokens"
    if not tokenizer.is_fast:
        return head + "; only the first part was used."
    sequence_ids = encoding.sequence_ids()
    kept = []
    for index, text in enumerate(texts):
        ends = [end for (_, end), s in zip(encoding["offset_mapping"], sequence_ids, strict=True) if s == index]
        end = max(ends, default=0)
        if end < len(text.rstrip()):
            name = ("sentence A", "sentence B")[index] if len(texts) > 1 else "the text"
            tail = " ".join(text[:end].split()[-4:])
            kept.append(f"{name} stops at character {end:,} of {len(text):,} (after “…{tail}”)")
    return head + (": " + "; ".join(kept) if kept else "") + "."
