from __future__ import annotations

import math

import pytest

from translator.core.checks import float_arg, int_arg, text_arg
from translator.core.errors import InputError


@pytest.mark.parametrize("text", ["", "   \n\t", "a\x00b", "x\ud800y", "bell\x07", 42, None])
def test_text_that_is_not_plain_text_is_refused(text):
    with pytest.raises(InputError):
        text_arg("text", text, 100)


@pytest.mark.parametrize("text", ["tab\tand\r\nnewlines", "emoji 😀👍🏽", "مرحبا بالعالم", "今日は晴れです。"])
def test_plain_text_passes_unchanged(text):
    assert text_arg("text", text, 100) == text


def test_text_over_the_limit_says_the_limit():
    with pytest.raises(InputError, match="101 characters long; the limit is 100"):
        text_arg("text", "x" * 101, 100)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 2.5, "3", True, None, [3]])
def test_numbers_that_are_not_whole_are_refused(value):
    with pytest.raises(InputError, match="whole number"):
        int_arg("Beams", value, 1, 8)


def test_numbers_in_and_out_of_range():
    assert int_arg("Beams", 3.0, 1, 8) == 3
    with pytest.raises(InputError, match="between 1 and 8, not 9"):
        int_arg("Beams", 9, 1, 8)
    with pytest.raises(InputError, match="between 0 and 1"):
        float_arg("Ratio", math.nan, 0, 1)
