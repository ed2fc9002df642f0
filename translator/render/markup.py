"""Small text helpers every renderer shares: escaping user text for HTML/SVG, shortening labels."""

from __future__ import annotations

import html
from collections.abc import Sequence

LABEL_CHARS = 24  # longer tokens are shortened with an ellipsis in drawings


def esc(text: str) -> str:
    """User text made safe for HTML and SVG (quotes too, so it can sit in attributes)."""
    return html.escape(text, quote=True)


def short(label: str, limit: int = LABEL_CHARS) -> str:
    """``label`` cut to ``limit`` characters, the last one an ellipsis when it was longer."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def numbers(values: Sequence[int]) -> str:
    """E.g. "1, 4, 7"."""
    return ", ".join(str(v) for v in values)
