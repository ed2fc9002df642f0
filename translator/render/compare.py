"""A Comparison as static HTML: the two runs, their agreement and scores, then each segment side by side.

Words only A has are marked ``<del>`` on A's side, words only B has ``<ins>`` on B's side. Segments
wrap onto two lines on a narrow screen (flex-wrap), so the view reads at 400 px as at 1400 px.
"""

from __future__ import annotations

from ..tasks.translation.results import FLAG_TEXTS, Comparison, DiffOp, Segment, TranslationResult
from .markup import esc
from .run import info_html, notes_html

# the page lists at most this many segments; the scores always cover all of them
MAX_SEGMENTS = 400
DEL_STYLE = "background:#fee2e2;color:#991b1b;text-decoration:line-through;text-decoration-color:#f87171"
INS_STYLE = "background:#dcfce7;color:#166534;text-decoration:none"
CELL = "padding:4px 8px;border-top:1px solid #e5e7eb;text-align:left;vertical-align:top"
BOX = "flex:1 1 220px;min-width:0;white-space:pre-wrap;overflow-wrap:anywhere;padding:6px;border-radius:4px"
# on a phone a table wider than the panel scrolls inside this box instead of being cut; signatures (one long
# "nrefs:1|case:mixed|..." word) break anywhere
SCROLL = '<div class="compare-table" style="overflow-x:auto;max-width:100%">'
SIGNATURE = "font-size:80%;overflow-wrap:anywhere;word-break:break-all"


def compare_html(comparison: Comparison, only_differences: bool = False) -> str:
    """The whole comparison; ``only_differences`` leaves out segments both sides translated the same."""
    segments = [s for s in comparison.segments if not (only_differences and s.same)]
    shown = segments[:MAX_SEGMENTS]
    more = (
        f"<p>Showing the first {MAX_SEGMENTS} of {len(segments)} segments.</p>" if len(segments) > MAX_SEGMENTS else ""
    )
    hidden = len(comparison.segments) - len(segments)
    note = f"<p>{hidden} identical segment(s) left out.</p>" if hidden else ""
    return (
        f'<div class="compare" style="color:#111827">{runs_table(comparison)}{notes_html(comparison.warnings)}'
        f"{info_html(comparison.notes)}"
        f"{agreement_line(comparison)}"
        f"{scores_table(comparison)}{note}{''.join(segment_html(s) for s in shown)}{more}</div>"
    )


def side_label(result: TranslationResult) -> str:
    """What one side ran: model, beams, precision, engine, chunking."""
    chunking = f"packed up to {result.max_chunk_tokens} tokens" if result.pack_sentences else "sentence by sentence"
    beams = f"{result.num_beams} beam{'s' if result.num_beams != 1 else ''}"
    return ", ".join([result.model, beams, result.precision, result.engine, chunking])


def runs_table(comparison: Comparison) -> str:
    """One column per side: configuration, seconds, memory footprint, chunks and flags."""
    rows = [
        ("Configuration", side_label),
        ("Seconds", lambda r: f"{r.seconds:.2f}"),
        ("Memory (weights)", lambda r: f"{r.footprint_bytes / 2**20:,.0f} MB"),
        ("Device", lambda r: r.device),
        ("Chunks", lambda r: f"{len(r.chunks)} in {r.batches} batch(es)"),
        ("Flagged chunks", lambda r: str(sum(bool(c.flags) for c in r.chunks))),
    ]
    body = "".join(
        f'<tr><th style="{CELL}">{name}</th>'
        + "".join(
            f'<td style="{CELL};overflow-wrap:anywhere">{esc(value(r))}</td>' for r in (comparison.a, comparison.b)
        )
        + "</tr>"
        for name, value in rows
    )
    head = f'<tr><th style="{CELL}"></th><th style="{CELL}">A</th><th style="{CELL}">B</th></tr>'
    table = (
        f'<table class="compare-runs" style="border-collapse:collapse;width:100%"><thead>{head}</thead>{body}</table>'
    )
    return f"{SCROLL}{table}</div>"


def agreement_line(comparison: Comparison) -> str:
    same = sum(s.same for s in comparison.segments)
    return (
        f'<p class="compare-agreement">chrF between A and B: <b>{comparison.chrf_between:.1f}</b> '
        f"(A scored with B as the reference; 100 = the same text) · {same} of {len(comparison.segments)} "
        f'segment(s) identical<br><code style="{SIGNATURE}">{esc(comparison.chrf_signature)}</code></p>'
    )


def scores_table(comparison: Comparison) -> str:
    """Each side's BLEU and chrF against the reference, with sacreBLEU's signatures, or nothing."""
    scores = comparison.scores
    if scores is None:
        return ""
    rows = [
        ("BLEU", scores.a.bleu, scores.b.bleu, scores.bleu_signature),
        ("chrF", scores.a.chrf, scores.b.chrf, scores.chrf_signature),
    ]
    body = "".join(
        f'<tr><th style="{CELL}">{name}</th><td style="{CELL}">{a:.1f}</td><td style="{CELL}">{b:.1f}</td>'
        f'<td style="{CELL};min-width:120px"><code style="{SIGNATURE}">{esc(signature)}</code></td></tr>'
        for name, a, b, signature in rows
    )
    head = (
        f'<tr><th style="{CELL}">Against the reference</th><th style="{CELL}">A</th><th style="{CELL}">B</th>'
        f'<th style="{CELL}">sacreBLEU signature</th></tr>'
    )
    return (
        f'{SCROLL}<table class="compare-scores" style="border-collapse:collapse;width:100%;margin-top:8px">'
        f"<thead>{head}</thead>{body}</table></div><p>{esc(scores.note)}</p>"
    )


def segment_html(segment: Segment) -> str:
    """One segment: its source, then A and B side by side with their word differences marked."""
    badge = "same" if segment.same else f"chrF {segment.chrf:.1f}"
    head = f"<b>{segment.index + 1}</b> · {badge}"
    a_box = _side("A", diff_words(segment.diff, "a"), segment.a_flags, segment.a_chrf, "#eff6ff")
    b_box = _side("B", diff_words(segment.diff, "b"), segment.b_flags, segment.b_chrf, "#f0fdf4")
    reference = (
        f'<div style="font-size:90%;color:#4b5563;margin-top:4px">Reference: {esc(segment.reference)}</div>'
        if segment.reference is not None
        else ""
    )
    return (
        f'<div class="compare-segment" data-same="{str(segment.same).lower()}" '
        f'style="border-top:1px solid #d1d5db;padding:6px 0">'
        f'<div style="font-size:90%;color:#4b5563">{head}</div>'
        f'<div style="white-space:pre-wrap;color:#374151;margin:2px 0">{esc(segment.source)}</div>'
        f'<div style="display:flex;flex-wrap:wrap;gap:6px">{a_box}{b_box}</div>{reference}</div>'
    )


def diff_words(diff: tuple[DiffOp, ...], side: str) -> str:
    """One side's words as HTML: the words the other side lacks are marked (``<del>`` on A, ``<ins>`` on B)."""
    parts = []
    for op in diff:
        words = op.a_words if side == "a" else op.b_words
        if not words:
            continue
        text = esc(" ".join(words))
        if op.tag == "equal":
            parts.append(text)
        elif side == "a":
            parts.append(f'<del style="{DEL_STYLE}">{text}</del>')
        else:
            parts.append(f'<ins style="{INS_STYLE}">{text}</ins>')
    return " ".join(parts)


def _side(name: str, words: str, flags: tuple[str, ...], chrf: float | None, fill: str) -> str:
    notes = [f"chrF vs reference {chrf:.1f}"] if chrf is not None else []
    notes += [f"⚑ {FLAG_TEXTS.get(flag, flag)}" for flag in flags]
    note = f'<div style="font-size:80%;color:#6b7280">{esc(" · ".join(notes))}</div>' if notes else ""
    return f'<div style="{BOX};background:{fill}"><b>{name}</b> {words}{note}</div>'
