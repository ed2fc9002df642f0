"""The chunk viewer: a text with the chunks (or QA windows) it was cut into drawn over it, and a table of them.

Used by the Chunks tab (a plan), Translate (each chunk beside its output) and QA (the windows, the
answers' windows outlined and the answers underlined).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ..tasks.qa import QAResult, Window
from ..tasks.translation.results import FLAG_TEXTS, TRUNCATED, TranslatedChunk, TranslationResult
from ..text.chunking import Chunk
from .markup import esc
from .spans import Mark, marked_text

Span = Chunk | Window  # TranslatedChunk is a Chunk

# pale fills that stay readable under dark text, cycled chunk by chunk
CHUNK_COLOURS = ("#dbeafe", "#fde68a", "#bbf7d0", "#fbcfe8", "#ddd6fe", "#fed7aa")
# overlap (text that two windows share) is hatched over the later window's colour
OVERLAP_STYLE = "background-image:repeating-linear-gradient(45deg,rgba(0,0,0,.18) 0 3px,transparent 3px 7px);"
CHOSEN_STYLE = "outline:2px solid #1d4ed8;"
ANSWER_STYLE = "box-shadow:inset 0 -3px 0 #dc2626;font-weight:bold;"
UNCOVERED_STYLE = "color:#6b7280;"  # text no chunk covers: whitespace between chunks
CHUNK_LABEL_STYLE = "font-size:70%;color:#374151;background:#f3f4f6;border-radius:3px;padding:0 2px"
CUT_LABEL_STYLE = "vertical-align:baseline;font-size:100%;color:#b91c1c;font-weight:bold"
# a translated chunk flagged as possibly missing part of its source (tasks/translation/omissions.py)
FLAG_STYLE = "outline:2px dashed #b91c1c;outline-offset:1px;"
# the table under the drawing lists at most this many chunks; the drawing always shows the whole text
MAX_CHUNK_ROWS = 400


def chunk_viewer(
    text: str,
    spans: Sequence[Span],
    limit: int,
    *,
    highlight: Collection[int] = (),
    outputs: Sequence[str] | None = None,
    marks: Sequence[tuple[int, int]] = (),
) -> str:
    """Static HTML of ``text`` with each span coloured and numbered, then a table of the spans.

    ``limit``: the token budget each count is shown against. ``highlight``: positions in ``spans`` to
    outline. ``outputs``: one string per span, shown beside its source (a translation). ``marks``:
    ``(start, end)`` character ranges to underline, e.g. answers.
    """
    chosen = set(highlight)
    cuts = {i for i, span in enumerate(spans) if isinstance(span, Chunk) and span.continues}
    drawing = marked_text(
        text, _span_marks(spans, chosen, marks, cuts), unmarked=UNCOVERED_STYLE, css_class="chunk-text"
    )
    rows = "".join(
        _row(text, i, span, limit, outputs[i] if outputs is not None else None, i in chosen, i in cuts)
        for i, span in enumerate(spans[:MAX_CHUNK_ROWS])
    )
    more = f"<p>Showing the first {MAX_CHUNK_ROWS} of {len(spans)} chunks.</p>" if len(spans) > MAX_CHUNK_ROWS else ""
    output_head = "<th>Output</th>" if outputs is not None else ""
    return (
        f'<div class="chunk-viewer">{_summary(spans, limit, len(cuts))}{drawing}'
        # on a phone the table scrolls sideways inside its box rather than being cut off at the panel's edge
        f'<div style="overflow-x:auto;max-width:100%">'
        f'<table class="chunk-table" style="width:100%;border-collapse:collapse;margin-top:8px">'
        f"<thead><tr><th>#</th><th>Tokens</th><th>Source</th>{output_head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></div>{more}</div>"
    )


def translation_viewer(result: TranslationResult) -> str:
    """The chunk viewer of a translation: each chunk beside its best output, flagged chunks marked."""
    return chunk_viewer(result.source, result.chunks, result.max_chunk_tokens, outputs=[c.best for c in result.chunks])


def qa_windows_html(context: str, result: QAResult) -> str:
    """The windows (sentences in retrieval mode) in the chunk viewer; answers' windows outlined, answers marked."""
    return chunk_viewer(
        context,
        result.windows,
        result.max_seq_len,
        highlight={a.window for a in result.answers if a.text},
        marks=[(a.start, a.end) for a in result.answers if a.end > a.start],
    )


def _span_marks(
    spans: Sequence[Span], chosen: set[int], answers: Sequence[tuple[int, int]], cuts: set[int]
) -> list[Mark]:
    """Each span's colour and number, hatching where spans overlap, ✂ where one ends inside a sentence, then
    the answers (last, so their underline shows over everything)."""
    marks = []
    for i, span in enumerate(spans):
        style = f"background-color:{CHUNK_COLOURS[i % len(CHUNK_COLOURS)]};" + (CHOSEN_STYLE if i in chosen else "")
        title = f"chunk {span.index + 1}: {span.n_tokens} tokens"
        if flag_notes(span):
            style += FLAG_STYLE
            title += "; ⚑ possibly missing part of the source: " + ", ".join(flag_notes(span))
        marks.append(Mark(span.char_start, span.char_end, style, str(span.index + 1), title, CHUNK_LABEL_STYLE))
        marks += [
            Mark(later.char_start, min(span.char_end, later.char_end), OVERLAP_STYLE)
            for later in _overlapping(spans, i)
        ]
        if i in cuts:
            marks.append(Mark(span.char_end, span.char_end, "", "✂", "cut inside a sentence", CUT_LABEL_STYLE))
    return marks + [Mark(start, end, ANSWER_STYLE) for start, end in answers]


def flag_notes(span: Span) -> tuple[str, ...]:
    """A translated chunk's omission flags in words; none for other spans."""
    return span.flag_notes if isinstance(span, TranslatedChunk) else ()


def _overlapping(spans: Sequence[Span], i: int) -> list[Span]:
    """The spans after ``spans[i]`` that start inside it (spans come in text order)."""
    found = []
    for later in spans[i + 1 :]:
        if later.char_start >= spans[i].char_end:
            break
        found.append(later)
    return found


def _summary(spans: Sequence[Span], limit: int, cut: int) -> str:
    if not spans:
        return "<p>No chunks: the text is empty.</p>"
    largest = max(s.n_tokens for s in spans)
    overlap = sum(1 for s in spans if s.overlap_prev)
    parts = [f"<b>{len(spans)}</b> chunk(s)", f"largest <b>{largest}</b> of {limit} tokens"]
    if cut:
        parts.append(f"<b>{cut}</b> cut inside a sentence (✂)")
    if overlap:
        parts.append(f"<b>{overlap}</b> overlapping the previous one (hatched)")
    flagged = sum(1 for s in spans if flag_notes(s))
    if flagged:
        parts.append(f"<b>{flagged}</b> flagged as possibly missing part of the source (⚑, dashed outline)")
    return f'<p class="chunk-summary">{" · ".join(parts)}</p>'


def _row(text: str, i: int, span: Span, limit: int, output: str | None, chosen: bool, cut: bool) -> str:
    colour = CHUNK_COLOURS[i % len(CHUNK_COLOURS)]
    share = min(1.0, span.n_tokens / limit) if limit else 0.0
    bar_colour = "#dc2626" if span.n_tokens > limit else "#2563eb"
    notes = []
    if span.overlap_prev:
        notes.append(f"{span.overlap_prev} tokens overlap the previous chunk")
    if cut:
        notes.append("✂ cut inside a sentence: the next chunk goes on with it")
    if isinstance(span, TranslatedChunk) and span.truncated:
        notes.append("⚠ output hit the length or time limit")
    notes += [f"⚑ {note}" for note in flag_notes(span) if note != FLAG_TEXTS[TRUNCATED]]  # noted above
    note_html = "".join(f'<div style="font-size:80%;color:#b91c1c">{esc(n)}</div>' for n in notes)
    # a word longer than the column (a URL, a made-up word) breaks rather than widening the table past the panel
    cell = "padding:4px;border-top:1px solid #e5e7eb;vertical-align:top;white-space:pre-wrap;overflow-wrap:anywhere"
    outline = CHOSEN_STYLE if chosen else ""
    output_cell = f'<td style="{cell}">{esc(output)}</td>' if output is not None else ""
    return (
        f'<tr style="{outline}"><td style="{cell};background:{colour}">{span.index + 1}</td>'
        f'<td style="{cell}">{span.n_tokens} / {limit}<div style="background:#e5e7eb;height:5px;width:80px">'
        f'<div style="background:{bar_colour};height:5px;width:{share * 80:.0f}px"></div></div>{note_html}</td>'
        f'<td style="{cell}">{esc(text[span.char_start : span.char_end])}</td>{output_cell}</tr>'
    )
