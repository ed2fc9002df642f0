"""Argument checks shared by the public functions: each failure is one sentence that says how to fix the call.

API callers (gradio_client, scripts) can send anything, so every number is checked for type
and range here, on the backend side, whatever the UI's sliders allow.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from .errors import InputError

# C0 controls except tab, newline, carriage return; DEL; unpaired UTF-16 surrogates (API callers can send them,
# and tokenizers can't encode them)
_BINARY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_arg(name: str, value: object, max_chars: int) -> str:
    """``value`` as a non-blank string of at most ``max_chars`` characters (returned unchanged, not stripped)."""
    if not isinstance(value, str):
        raise InputError(f"The {name} must be text.")
    if not value.strip():
        raise InputError(f"The {name} is empty; type or paste some text.")
    if len(value) > max_chars:
        raise InputError(f"The {name} is {len(value):,} characters long; the limit is {max_chars:,}.")
    if _BINARY.search(value):
        raise InputError(
            f"The {name} contains control characters or broken Unicode (it looks like binary data); paste plain text."
        )
    return value


def int_arg(name: str, value: object, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``; integral floats (what some UI widgets send) are accepted."""
    # NaN and infinity are floats too, and int() of them raises
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and (not math.isfinite(value) or value != int(value)))
    ):
        raise InputError(f"{name} must be a whole number, not {value!r}.")
    number = int(value)
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InputError(f"{name} must be {bound}, not {number}.")
    return number


def float_arg(name: str, value: object, low: float, high: float) -> float:
    """``value`` as a float in ``[low, high]``."""
    # comparing before float(): an int too large for a float makes float() raise OverflowError
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InputError(f"{name} must be a number between {low} and {high}, not {value!r}.")
    return float(value)


def choice_arg(name: str, value: object, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return str(value)


def bool_arg(name: str, value: object) -> bool:
    """``value`` as a bool; API callers sending "false" as text must not get True."""
    if not isinstance(value, bool):
        raise InputError(f"{name} must be true or false, not {value!r}.")
    return value
