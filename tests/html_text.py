"""What a reader sees of the HTML views: the text, without the markup and the numbered labels."""

from __future__ import annotations

import html
import re


def visible_text(markup: str) -> str:
    """The text of ``markup``: the <sup> labels and the tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<sup[^>]*>.*?</sup>", "", markup, flags=re.S)))


def drawing_text(markup: str) -> str:
    """The visible text of a view's drawing of the input: the chunk viewer's or a highlighted text's first box."""
    drawing = re.search(r'<div class="(?:chunk|marked)-text"[^>]*>(.*?)</div>', markup, re.S)
    assert drawing, f"no drawing of the text in {markup[:200]}"
    return visible_text(drawing.group(1))
