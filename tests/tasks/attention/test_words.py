"""Merging sub-word pieces into words: the words as written, split at whitespace, punctuation attached."""

from __future__ import annotations

from translator import attend


def test_words_are_whitespace_separated_with_punctuation_attached(tiny):
    text = "The animal didn't cross the street because it was tired."
    result = attend(text, model="tiny-bert", word_level=True)
    words = [label for label, special in zip(result.tokens, result.special, strict=True) if not special]
    assert words == text.split()  # "didn't" and "tired." are one word each
    assert result.attentions.shape[-1] == len(result.tokens)
