"""What ran and what the user should know about it: the run line every tab shows, warnings and notes.

``notes_html`` is the one way warnings are drawn, in every tab.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..core.results import RunInfo
from ..tasks.qa import QAResult
from ..tasks.summarize import SummaryResult
from .markup import esc, short

WARNING = "⚠️"
INFO = "ℹ️"
LIST = "list-style:none;margin:0 0 6px 0;padding:0"
QUIET = "var(--body-text-color-subdued)"
MARKDOWN_MARKS = re.compile(r"[\\`*_\[\]<>#|~]")
ESCAPED = r"\\\g<0>"  # the mark, after a backslash


def run_line(result: RunInfo) -> str:
    """One Markdown line: model, engine, device, precision, memory footprint, seconds."""
    parts = [f"**Model:** `{result.model}`", f"**engine:** {result.engine}"]
    if result.device:
        parts.append(f"**device:** {result.device}")
    if result.precision:
        parts.append(f"**precision:** {result.precision}")
    if result.footprint_bytes:
        parts.append(f"**memory:** {result.footprint_bytes / 2**20:,.0f} MB")
    parts.append(f"**time:** {result.seconds:.2f} s")
    return " · ".join(parts)


def notes_html(notes: Sequence[str], *, icon: str = WARNING) -> str:
    """Sentences for the user as an HTML list, each escaped and led by ``icon``; "" when there are none.

    Warnings keep the default icon and are counted in a line above them, in the warning style; other notes
    (which engine ran, what a view merged or cut) pass another icon (INFO) or ``icon=""``, and read quietly.
    """
    if not notes:
        return ""
    lead = f"{icon} " if icon else ""
    items = "".join(f"<li>{lead}{esc(note)}</li>" for note in notes)
    if icon != WARNING:
        return f'<ul class="notes info-notes" style="{LIST};color:{QUIET}">{items}</ul>'
    count = f"{len(notes)} warning{'s' if len(notes) > 1 else ''}"
    return (
        f'<div class="warnings" style="border-left:3px solid #d97706;padding-left:8px;margin:0 0 6px 0">'
        f'<p class="warnings-count" style="margin:0;font-weight:600">{count}</p>'
        f'<ul class="notes" style="{LIST}">{items}</ul></div>'
    )


def info_markdown(notes: Sequence[str]) -> str:
    """Information as quoted Markdown lines to follow a run line (``run_line(...) + info_markdown(...)``): apart
    from the warnings and quieter than them. Markdown's marks in a note are escaped, so they show as typed."""
    return "".join(f"\n\n> {INFO} {MARKDOWN_MARKS.sub(ESCAPED, note)}" for note in notes)


def info_html(notes: Sequence[str]) -> str:
    """Information for the user (which engine ran and why, what a retry redid), apart from the warnings."""
    return notes_html(notes, icon=INFO)


def qa_mode_note(result: QAResult) -> str:
    """Markdown that says plainly how the answers were found, then the warnings."""
    if result.mode == "retrieval":
        note = (
            "**Sentence retrieval, not span extraction:** the context's sentences were ranked by "
            f"similarity to the question with `{result.model}`; each answer is a whole sentence and its "
            "score a cosine similarity."
        )
    else:
        note = (
            f"**Span extraction** over {len(result.windows)} window(s) of at most {result.max_seq_len} tokens; "
            "scores are start × end probabilities within a window, added up for answers found in several."
        )
    return "\n\n".join(filter(None, [note, notes_html(result.warnings)]))


def summary_notes(result: SummaryResult) -> str:
    """HTML: the warnings, and what the length filters dropped and why."""
    parts = [notes_html(result.warnings)] if result.warnings else []
    if result.dropped:
        items = "".join(f"<li>#{d.index + 1} ({esc(d.reason)}): {esc(short(d.text, 120))}</li>" for d in result.dropped)
        parts.append(f"<p><b>{len(result.dropped)} sentence(s) dropped by the length filters:</b></p><ul>{items}</ul>")
    return "".join(parts) or "<p>No sentence was dropped by the length filters.</p>"
