"""The beam search tree as static SVG (no script: ``gr.HTML`` runs none; CSS ``:hover`` and ``<title>`` tooltips
work), an HTML view around it, and a JSON export.

Steps run left to right, one column per step; each column lists the beams generate kept (solid) and the
best pruned candidates of each beam (faint, capped per beam and said so), grouped under their parent.
Finished hypotheses carry their rank and score under the chosen length penalty; the winner's path is red.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import defaultdict
from dataclasses import dataclass

from ..tasks.translation.beams import reranked
from ..tasks.translation.results import BeamHypothesis, BeamNode, BeamTree
from .markup import esc, short

COLUMN_PX = 160  # one step: a node and the room its edges and score badge need
NODE_W = 108
NODE_H = 18
ROW_PX = 24
TOP_PX = 48  # title and step labels above the first row
MARGIN_PX = 8
BADGE_PX = 52  # room right of the last column for a finished hypothesis's rank and score
TOKEN_CHARS = 11  # longer tokens are shortened in the drawing (their <title> has them whole)
MAX_PRUNED_PER_BEAM = 2  # pruned candidates drawn per kept beam and step (beam 8 x 40 steps stays well under 1 MB)
MAX_STEPS = 150  # steps drawn; a sentence needs far fewer (a 500-token chunk would make a 5 MB drawing)
MAX_LISTED = 20  # finished hypotheses listed under the drawing (all of them are in the JSON)
PER_STEP = 5  # candidates per step in the step table (the m-ric beam search visualizer's table)

CSS = (
    ".bt text{font-family:ui-sans-serif,system-ui,sans-serif;font-size:11px;fill:#111827}"
    ".bt .lp{font-size:9px;fill:#4b5563}"
    ".bt .badge{font-size:9px;font-weight:600;fill:#15803d;paint-order:stroke;stroke:#fff;stroke-width:3px}"
    ".bt .win .badge{fill:#b91c1c}.bt .pruned{opacity:.45}.bt .step{font-size:9px;fill:#6b7280}"
    ".bt g.node:hover rect{stroke-width:2.5}.bt g.pruned:hover{opacity:1}"
)
TABLE_CSS = (
    ".beam-tree th,.beam-tree td,.beam-steps th,.beam-steps td{padding:2px 10px;text-align:left;"
    "border-bottom:1px solid #e5e7eb}.beam-steps td{white-space:nowrap}"
)
FILL = {"kept": "#e0f2fe", "pruned": "#f9fafb", "finished": "#dcfce7", "cut": "#fef9c3"}
STROKE = {"kept": "#0369a1", "pruned": "#9ca3af", "finished": "#15803d", "cut": "#a16207"}
WINNER = "#dc2626"


@dataclass(frozen=True)
class Layout:
    """Which nodes are drawn and where (top-left corner of each node's box)."""

    shown: list[BeamNode]  # parents before children
    at: dict[int, tuple[int, int]]
    hidden: int  # pruned candidates left out
    steps: int  # steps drawn (at most MAX_STEPS)
    width: int
    height: int


def layout(tree: BeamTree, max_pruned: int = MAX_PRUNED_PER_BEAM) -> Layout:
    """Columns by step; in each, nodes grouped under their parent (in the parent's order), best log-prob first."""
    children: dict[int, list[BeamNode]] = defaultdict(list)
    for node in tree.nodes[1:]:
        children[node.parent].append(node)
    steps = min(tree.steps, MAX_STEPS)
    shown, at, hidden = [tree.nodes[0]], {0: (MARGIN_PX, TOP_PX)}, 0
    column = [tree.nodes[0]]
    for step in range(1, steps + 1):
        drawn = []
        for parent in column:
            ranked = sorted(children[parent.id], key=lambda n: -n.logprob)
            pruned = [n.id for n in ranked if not n.kept]
            hidden += max(0, len(pruned) - max_pruned)
            best_pruned = set(pruned[:max_pruned])
            drawn += [n for n in ranked if n.kept or n.id in best_pruned]
        for row, node in enumerate(drawn):
            at[node.id] = (MARGIN_PX + step * COLUMN_PX, TOP_PX + row * ROW_PX)
        shown += drawn
        column = [n for n in drawn if n.kept and not n.finished]  # only carried-on beams have children
    rows = max((y - TOP_PX) // ROW_PX + 1 for _, y in at.values())
    width = 2 * MARGIN_PX + steps * COLUMN_PX + NODE_W + BADGE_PX
    return Layout(shown, at, hidden, steps, width, TOP_PX + rows * ROW_PX + 4)


@dataclass(frozen=True)
class RenderedTree:
    """Everything the Beam search view shows or offers for download, for one length penalty."""

    html: str  # for an HTML component: the drawing in a sideways-scrolling box, legend, notes, ranked table
    svg: str  # standalone SVG document (the .svg download)
    json: str  # the whole tree (the .json download)


def render_beam_tree(tree: BeamTree, *, length_penalty: float | None = None) -> RenderedTree:
    """The one call a UI makes: re-rank under ``length_penalty`` (default: the run's) and render every form."""
    svg = beam_tree_svg(tree, length_penalty=length_penalty)
    return RenderedTree(beam_tree_html(tree, length_penalty=length_penalty, svg=svg), svg, beam_tree_json(tree))


def step_table_html(tree: BeamTree, per_step: int = PER_STEP) -> str:
    """Each step's top ``per_step`` candidates as generate ranked them (by cumulative log-prob), with the token's
    probability after its beam; the ones it kept in bold. In a box that scrolls, so a long search stays short."""
    by_step: dict[int, list[BeamNode]] = defaultdict(list)
    for node in tree.nodes[1:]:
        by_step[node.step].append(node)
    rows = []
    for step in sorted(by_step)[:MAX_STEPS]:
        ranked = sorted(by_step[step], key=lambda n: -n.cumulative)[:per_step]
        for i, node in enumerate(ranked):
            token = esc(short(node.token, TOKEN_CHARS))
            after = esc(short(tree.nodes[node.parent].token, TOKEN_CHARS)) if node.step > 1 else "start"
            cell = f"<b>{token}</b>" if node.kept else token
            rows.append(
                "<tr>"
                + (f'<td rowspan="{len(ranked)}">{step}</td>' if i == 0 else "")
                + f"<td>{cell}</td><td>{after}</td><td>{math.exp(node.logprob):.1%}</td><td>{node.cumulative:.2f}</td>"
                "</tr>"
            )
    return (
        f'<div class="beam-steps" style="max-height:520px;overflow:auto"><style>{TABLE_CSS}</style>'
        f'<p style="margin:0 0 4px">Top {per_step} candidates per step, as the search ranked them (bold: kept).</p>'
        '<table style="border-collapse:collapse"><thead><tr><th>step</th><th>token</th><th>after</th>'
        "<th>p</th><th>total log-p</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def beam_tree_svg(tree: BeamTree, *, length_penalty: float | None = None, max_pruned: int = MAX_PRUNED_PER_BEAM) -> str:
    """The tree as a standalone SVG, finished hypotheses ranked under ``length_penalty`` (default: the run's)."""
    penalty = tree.length_penalty if length_penalty is None else length_penalty
    ranked = reranked(tree, penalty)
    rank = {h.node: (i + 1, h) for i, h in enumerate(ranked)}
    winner = _path(tree, ranked[0].node) if ranked else set()
    view = layout(tree, max_pruned)
    title = f"{tree.num_beams} beam(s), {tree.steps} steps, ranked with length penalty {penalty:g}"
    if penalty != tree.length_penalty:
        title += f" (searched with {tree.length_penalty:g})"
    if view.hidden:
        title += f"; {view.hidden:,} more pruned candidates not drawn (at most {max_pruned} per beam and step)"
    if view.steps < tree.steps:
        title += f"; steps after {view.steps} not drawn (the JSON export has them)"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bt" width="{view.width}" height="{view.height}" '
        f'viewBox="0 0 {view.width} {view.height}"><style>{CSS}</style>',
        f'<rect width="{view.width}" height="{view.height}" fill="#ffffff"/>',
        f'<text x="{MARGIN_PX}" y="16">{esc(title)}</text>',
    ]
    parts += [
        f'<text class="step" x="{MARGIN_PX + s * COLUMN_PX}" y="{TOP_PX - 8}">{f"step {s}" if s else "start"}</text>'
        for s in range(view.steps + 1)
    ]
    edges = sorted(view.shown[1:], key=lambda n: (n.id in winner, n.kept))  # the winner's path drawn last, on top
    parts += [_edge(view.at[n.parent], view.at[n.id], n, n.id in winner) for n in edges]
    parts += [_node(n, view.at[n.id], rank.get(n.id), n.id in winner, tree.nodes) for n in view.shown]
    parts.append("</svg>")
    return "".join(parts)


def beam_tree_html(tree: BeamTree, *, length_penalty: float | None = None, svg: str | None = None) -> str:
    """What the Beam search view shows: the SVG (``svg``, drawn if not given) in a sideways-scrolling box, a legend,
    notes and the ranked hypotheses."""
    penalty = tree.length_penalty if length_penalty is None else length_penalty
    ranked = reranked(tree, penalty)
    legend = (
        "Solid: beams generate kept · faint: pruned candidates · green: finished hypotheses (#rank score; yellow: "
        "stopped at the new-token limit) · red: the winner's path. Hover a token for its numbers."
    )
    notes = []
    if penalty != tree.length_penalty:
        notes.append(
            f"Re-ranked with length penalty {penalty:g}; the search ran with {tree.length_penalty:g}, and with "
            f"{penalty:g} generate might have kept other beams."
        )
    rows = "".join(
        f"<tr><td>{i}</td><td>{esc(h.text) or '<i>(empty)</i>'}</td><td>{h.score:.4f}</td><td>{h.logprob:.3f}</td>"
        f"<td>{h.length}</td><td>{'yes' if h.ended else 'no: cut'}</td></tr>"
        for i, h in enumerate(ranked[:MAX_LISTED], 1)
    )
    if len(ranked) > MAX_LISTED:
        notes.append(f"The table lists the best {MAX_LISTED} of {len(ranked)} finished hypotheses; the JSON has all.")
    return (
        f'<div class="beam-tree"><p style="margin:0 0 4px">{esc(legend)}</p>'
        f'<div style="overflow-x:auto;max-width:100%;border:1px solid #e5e7eb">'
        f"{svg or beam_tree_svg(tree, length_penalty=penalty)}</div>"
        + "".join(f'<p style="margin:4px 0;color:#92400e">{esc(n)}</p>' for n in notes)
        + f'<table style="border-collapse:collapse;margin-top:6px"><style>{TABLE_CSS}</style><thead><tr><th>#</th>'
        f"<th>hypothesis</th><th>score (penalty {penalty:g})</th><th>log-prob</th><th>tokens</th><th>ended</th>"
        "</tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def beam_tree_json(tree: BeamTree) -> str:
    """The whole tree (every recorded node, drawn or not) and its run information as JSON."""
    return json.dumps(dataclasses.asdict(tree), ensure_ascii=False, allow_nan=False)


def _path(tree: BeamTree, node_id: int) -> set[int]:
    path, current = set(), tree.nodes[node_id]
    while True:
        path.add(current.id)
        if current.parent is None:
            return path
        current = tree.nodes[current.parent]


def _edge(start: tuple[int, int], end: tuple[int, int], node: BeamNode, win: bool) -> str:
    x1, y1 = start[0] + NODE_W, start[1] + NODE_H // 2
    x2, y2 = end[0], end[1] + NODE_H // 2
    middle = (x1 + x2) / 2
    if win:
        style = f'stroke="{WINNER}" stroke-width="2.5"'
    elif node.kept:
        style = 'stroke="#374151" stroke-width="1.2"'
    else:
        style = 'stroke="#9ca3af" stroke-width="1" stroke-dasharray="3 2" stroke-opacity=".6"'
    return f'<path d="M{x1} {y1}C{middle:g} {y1},{middle:g} {y2},{x2} {y2}" fill="none" {style}/>'


def _node(
    node: BeamNode, at: tuple[int, int], ranked: tuple[int, BeamHypothesis] | None, win: bool, nodes: list[BeamNode]
) -> str:
    x, y = at
    if not node.kept:
        kind = "pruned"
    elif ranked is not None:
        kind = "finished" if ranked[1].ended else "cut"
    else:
        kind = "kept"
    tip = [repr(node.token), f"step {node.step}", f"log-prob {node.logprob:.4f} (p = {math.exp(node.logprob):.2%})"]
    tip += [f"cumulative {node.cumulative:.4f}", "pruned" if kind == "pruned" else "kept"]
    if node.parent is not None:
        tip.append(f"after {nodes[node.parent].token!r}")
    badge = ""
    if ranked is not None:
        number, hypothesis = ranked
        tip.append(f"finished #{number}: score {hypothesis.score:.4f}" + ("" if hypothesis.ended else " (cut)"))
        badge = f'<text class="badge" x="{x + NODE_W + 3}" y="{y + 13}">#{number} {hypothesis.score:.2f}</text>'
    label = "start" if node.parent is None else short(node.token, TOKEN_CHARS)
    logprob = "" if node.parent is None else f"{node.logprob:.2f}"
    classes = "node" + (" pruned" if kind == "pruned" else "") + (" win" if win else "")
    return (
        f'<g class="{classes}"><title>{esc(" · ".join(tip))}</title>'
        f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="3" fill="{FILL[kind]}" '
        f'stroke="{WINNER if win else STROKE[kind]}" stroke-width="{2 if win else 1}"/>'
        f'<text x="{x + 4}" y="{y + 13}">{esc(label)}</text>'
        f'<text class="lp" x="{x + NODE_W - 3}" y="{y + 13}" text-anchor="end">{logprob}</text>{badge}</g>'
    )
