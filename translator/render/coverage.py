"""The coverage check drawn on the source: each token shaded by the attention it received, the neglected in red."""

from __future__ import annotations

from ..tasks.translation.results import Coverage
from .markup import esc
from .run import notes_html
from .spans import TEXT_BOX, Mark, marked_text

LOW_STYLE = "background-color:#fecaca;text-decoration:underline wavy #b91c1c;border-radius:3px;"
# the best-covered token gets this much blue; the others a share of it (never none, so every token shows)
MAX_ALPHA = 0.55
MIN_ALPHA = 0.06


def coverage_html(found: Coverage) -> str:
    """The source with every token shaded by its share of the attention, low ones marked; then the translation."""
    even = 1.0 / max(1, len(found.tokens))
    top = max(found.received, default=0.0) or 1.0
    marks = [
        Mark(a, b, LOW_STYLE if low else _shade(share / top), title=_title(token, share, even, low))
        for token, (a, b), share, low in zip(found.tokens, found.spans, found.received, found.low, strict=True)
        if b > a  # a bare word-start piece ("▁") has no characters to draw on
    ]
    parts = [
        f"<p>{esc(summary(found))}</p>",
        marked_text(found.source, marks, css_class="coverage-source"),
        "<p><b>Translation the attention was taken on</b></p>",
        f'<div style="{TEXT_BOX}">{esc(found.translation)}</div>',
    ]
    parts.append(notes_html([*found.warnings, *([found.cut] if found.cut else [])]))
    return f'<div class="coverage">{"".join(parts)}</div>'


def summary(found: Coverage) -> str:
    """One sentence: how many source tokens received almost no attention, and which (as text)."""
    words = [found.source[a:b] for (a, b), low in zip(found.spans, found.low, strict=True) if low and b > a]
    n_low = sum(found.low)
    rule = f"under {found.threshold:.0%} of an even share"
    if not n_low:
        return f"Every source token received some attention ({rule} counts as almost none) while the model translated."
    listed = ", ".join(f"“{w}”" for w in words[:12]) + (" …" if len(words) > 12 else "")
    return (
        f"{n_low} of {len(found.tokens)} source tokens received almost no attention ({rule}) while the model "
        f"translated{': ' + listed if listed else ''}; check that their meaning is in the translation."
    )


def _shade(strength: float) -> str:
    alpha = MIN_ALPHA + (MAX_ALPHA - MIN_ALPHA) * min(1.0, max(0.0, strength))
    return f"background-color:rgba(37,99,235,{alpha:.2f});border-radius:3px;"


def _title(token: str, share: float, even: float, low: bool) -> str:
    verdict = " (almost none)" if low else ""
    return f"{token}: {share:.1%} of the attention{verdict}; an even share is {even:.1%}"
