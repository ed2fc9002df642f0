"""The one marked-text routine: a text as static HTML with character ranges (marks) styled over it.

The chunk viewer's chunks and windows, the QA answers and the summary's picked and dropped sentences
are all marks over a text; only their styles differ. Everything the user typed is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..tasks.qa import QAResult
from ..tasks.summarize import SummaryResult
from .markup import esc

LABEL_STYLE = "font-size:70%;font-weight:bold;color:#374151"
# the box every marked text sits in: it keeps the text's line breaks and scrolls when long
TEXT_BOX = (
    "white-space:pre-wrap;line-height:1.9;border:1px solid #d1d5db;padding:8px;max-height:420px;"
    "overflow:auto;color:#111827;background:#fff"
)
# answers and picked sentences: a fill per rank (best first), then the last one repeats
RANK_COLOURS = ("#fde047", "#86efac", "#93c5fd", "#f9a8d4", "#c4b5fd", "#fdba74")
DROPPED_STYLE = "color:#9ca3af;text-decoration:line-through;"


@dataclass(frozen=True)
class Mark:
    """A character range drawn over a text.

    ``style`` is CSS for the text the mark covers; where marks overlap their styles are joined in list
    order, so a later mark's declarations win. ``label`` is a small tag drawn at ``start`` (a zero-width
    mark draws only its label); ``title`` shows on hover (the last covering mark with one wins).
    """

    start: int
    end: int
    style: str = ""
    label: str = ""
    title: str = ""
    label_style: str = LABEL_STYLE


def marked_text(text: str, marks: Sequence[Mark], *, unmarked: str = "", css_class: str = "marked-text") -> str:
    """``text`` as static HTML in a scrolling box, cut at every mark boundary, each piece styled by the marks
    covering it.

    ``unmarked`` is CSS for text no mark covers (plain text when empty). Labels are drawn in list order.
    """
    points = sorted({0, len(text), *(p for m in marks for p in (m.start, m.end) if 0 <= p <= len(text))})
    starting: dict[int, list[int]] = {}
    for i, mark in enumerate(marks):
        starting.setdefault(mark.start, []).append(i)
    parts: list[str] = []
    active: list[int] = []  # indices of the marks covering the current piece, in list order
    for a, b in zip(points, [*points[1:], None], strict=True):
        parts += [_label(marks[i]) for i in starting.get(a, ()) if marks[i].label]
        if b is None:
            break
        active = sorted([i for i in active if marks[i].end > a] + [i for i in starting.get(a, ()) if marks[i].end > a])
        style = "".join(marks[i].style for i in active) or unmarked
        title = next((marks[i].title for i in reversed(active) if marks[i].title), "")
        piece = esc(text[a:b])
        if style or title:
            piece = f'<span style="{esc(style)}"{_title(title)}>{piece}</span>'
        parts.append(piece)
    return f'<div class="{css_class}" style="{TEXT_BOX}">{"".join(parts)}</div>'


def _label(mark: Mark) -> str:
    return f'<sup style="{esc(mark.label_style)}"{_title(mark.title)}>{esc(mark.label)}</sup>'


def _title(title: str) -> str:
    return f' title="{esc(title)}"' if title else ""


def rank_style(rank: int) -> str:
    """The fill of the ``rank``-th answer or sentence (counted from 1)."""
    return f"background-color:{RANK_COLOURS[min(rank, len(RANK_COLOURS)) - 1]};border-radius:3px;"


def qa_context_html(context: str, result: QAResult) -> str:
    """The context with each answer highlighted and numbered by rank; where answers overlap, the better shows."""
    marks = [
        Mark(a.start, a.end, rank_style(rank), str(rank), f"answer {rank}: score {a.score:.4f}")
        for rank, a in enumerate(result.answers, 1)
        if a.end > a.start
    ]
    return marked_text(context, marks[::-1])  # best last: its style wins


def summary_source_html(text: str, result: SummaryResult) -> str:
    """The source with the picked sentences highlighted and ranked, and the dropped ones struck through."""
    marks = [
        Mark(
            s.char_start,
            s.char_end,
            rank_style(s.rank),
            str(s.rank),
            f"rank {s.rank}, cluster {s.cluster + 1}, score {s.score:.3f}",
        )
        for s in result.sentences
        if s.selected
    ]
    marks += [Mark(d.char_start, d.char_end, DROPPED_STYLE, title=f"dropped: {d.reason}") for d in result.dropped]
    return marked_text(text, marks)
