"""The beam search tree as static SVG (no script: ``gr.HTML`` runs none; CSS ``:hover`` and ``<title>`` tooltips
work), an HTML view around it, and a JSON export.

Steps run left to right, one column per step; each column lists the beams generate kept (solid) and the
best pruned candidates of each beam (faint, capped per beam and said so), grouped under their parent.
Finished hypotheses carry their rank and score under the chosen length penalty; the winner's path is red.
Diverse beam search draws each group in a band of its own colour (a legend line names them); sampling draws
the tokens drawn as kept, and the legend says so.
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
LEGEND_PX = 18  # the group legend's line, under the title, in a diverse tree
BAND_PX = 5  # the group's colour band at a node's left edge
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
# compact rows: these beat gradio's prose table rules (padding, a dark border on every cell) by specificity
TABLE_CSS = (
    ".beam-tree table.bt-table :is(th,td),.beam-steps table.bt-table :is(th,td){padding:1px 6px;"
    "line-height:1.35;text-align:left;border:0;border-bottom:1px solid #e5e7eb;vertical-align:top}"
    # gradio's prose rules draw a dark border round the table and every row, a margin under it
    ".beam-tree table.bt-table,.beam-steps table.bt-table{border-collapse:collapse;margin:4px 0 0;border:0 !important}"
    ":is(.beam-tree,.beam-steps) table.bt-table tr{border:0 !important}"
    # a hypothesis keeps a readable width on a phone: the numbers after it scroll sideways instead
    ".beam-tree table.bt-table td:nth-child(2){min-width:12em}"
    ".beam-steps table.bt-table{font-size:12px;font-variant-numeric:tabular-nums}"
    ".beam-steps table.bt-table td{white-space:nowrap}.beam-steps .num{text-align:right}"
)
# one per beam group (up to the UI's 8): none red (the winner) or green (finished), told apart side by side
GROUP_COLOURS = ("#2563eb", "#9333ea", "#0d9488", "#d97706", "#db2777", "#475569", "#78350f", "#0891b2")
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
    top: int  # y of the first row


def layout(tree: BeamTree, max_pruned: int = MAX_PRUNED_PER_BEAM) -> Layout:
    """Columns by step; in each, nodes grouped under their parent (in the parent's order), best log-prob first.
    The root's children come group by group, so each beam group of a diverse search keeps to a band of rows."""
    children: dict[int, list[BeamNode]] = defaultdict(list)
    for node in tree.nodes[1:]:
        children[node.parent].append(node)
    steps = min(tree.steps, MAX_STEPS)
    top = TOP_PX + (LEGEND_PX if tree.num_beam_groups > 1 else 0)
    shown, at, hidden = [tree.nodes[0]], {0: (MARGIN_PX, top)}, 0
    column = [tree.nodes[0]]
    for step in range(1, steps + 1):
        drawn = []
        for parent in column:
            ranked = sorted(children[parent.id], key=lambda n: (n.group, -n.logprob))
            pruned = [n.id for n in ranked if not n.kept]
            hidden += max(0, len(pruned) - max_pruned)
            best_pruned = set(pruned[:max_pruned])
            drawn += [n for n in ranked if n.kept or n.id in best_pruned]
        for row, node in enumerate(drawn):
            at[node.id] = (MARGIN_PX + step * COLUMN_PX, top + row * ROW_PX)
        shown += drawn
        column = [n for n in drawn if n.kept and not n.finished]  # only carried-on beams have children
    rows = max((y - top) // ROW_PX + 1 for _, y in at.values())
    width = 2 * MARGIN_PX + steps * COLUMN_PX + NODE_W + BADGE_PX
    return Layout(shown, at, hidden, steps, width, top + rows * ROW_PX + 4, top)


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
    probability after its beam; the ones it kept (sampling: drew) in bold, a diverse search's group by its colour.
    Compact rows in a box that scrolls, so a long search stays short."""
    by_step: dict[int, list[BeamNode]] = defaultdict(list)
    for node in tree.nodes[1:]:
        by_step[node.step].append(node)
    rows = []
    for step in sorted(by_step)[:MAX_STEPS]:
        # sampling ranked nothing: what the draws took comes first, then the likeliest they did not
        drawn_first = tree.decoding == "sampling"
        ranked = sorted(by_step[step], key=lambda n: (drawn_first and not n.kept, -n.cumulative))[:per_step]
        for i, node in enumerate(ranked):
            token = esc(short(node.token, TOKEN_CHARS))
            after = esc(short(tree.nodes[node.parent].token, TOKEN_CHARS)) if node.step > 1 else "start"
            cell = (_swatch(node.group) if tree.num_beam_groups > 1 else "") + (
                f"<b>{token}</b>" if node.kept else token
            )
            rows.append(
                "<tr>"
                + (f'<td rowspan="{len(ranked)}">{step}</td>' if i == 0 else "")
                + f'<td>{cell}</td><td>{after}</td><td class="num">{math.exp(node.logprob):.1%}</td>'
                f'<td class="num">{node.cumulative:.2f}</td></tr>'
            )
    how = {
        "sampling": "the tokens drawn (bold), then the likeliest not drawn, each by total log-prob",
        "diverse": "by total log-prob across the groups (bold: kept; the square: its group)",
    }.get(tree.decoding, "as the search ranked them (bold: kept)")
    return (
        f'<div class="beam-steps" style="max-height:520px;overflow:auto"><style>{TABLE_CSS}</style>'
        f'<p style="margin:0;font-size:12px">Top {per_step} candidates per step, {how}. p: the token\'s probability '
        "after its beam; total: the path's log-prob.</p>"
        '<table class="bt-table"><thead><tr><th>step</th><th>token</th><th>after</th>'
        '<th class="num">p</th><th class="num">total</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def beam_tree_svg(tree: BeamTree, *, length_penalty: float | None = None, max_pruned: int = MAX_PRUNED_PER_BEAM) -> str:
    """The tree as a standalone SVG, finished hypotheses ranked under ``length_penalty`` (default: the run's)."""
    penalty = tree.length_penalty if length_penalty is None else length_penalty
    ranked = reranked(tree, penalty)
    rank = {h.node: (i + 1, h) for i, h in enumerate(ranked)}
    winner = _path(tree, ranked[0].node) if ranked else set()
    view = layout(tree, max_pruned)
    title = f"{_searched(tree)}, {tree.steps} steps, ranked with length penalty {penalty:g}"
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
    if tree.num_beam_groups > 1:  # the legend line: each group's colour, as its nodes' bands and edges carry it
        parts += [
            f'<rect x="{MARGIN_PX + g * 76}" y="25" width="10" height="10" fill="{_colour(g)}"/>'
            f'<text x="{MARGIN_PX + g * 76 + 14}" y="34">group {g + 1}</text>'
            for g in range(tree.num_beam_groups)
        ]
    parts += [
        f'<text class="step" x="{MARGIN_PX + s * COLUMN_PX}" y="{view.top - 8}">{f"step {s}" if s else "start"}</text>'
        for s in range(view.steps + 1)
    ]
    edges = sorted(view.shown[1:], key=lambda n: (n.id in winner, n.kept))  # the winner's path drawn last, on top
    grouped = tree.num_beam_groups > 1
    parts += [_edge(view.at[n.parent], view.at[n.id], n, n.id in winner, grouped) for n in edges]
    parts += [_node(n, view.at[n.id], rank.get(n.id), n.id in winner, tree.nodes, grouped) for n in view.shown]
    parts.append("</svg>")
    return "".join(parts)


def beam_tree_html(tree: BeamTree, *, length_penalty: float | None = None, svg: str | None = None) -> str:
    """What the Beam search view shows: the SVG (``svg``, drawn if not given) in a sideways-scrolling box, a legend,
    notes and the ranked hypotheses."""
    penalty = tree.length_penalty if length_penalty is None else length_penalty
    ranked = reranked(tree, penalty)
    legend = esc(
        "Solid: beams generate kept · faint: pruned candidates · green: finished hypotheses (#rank score; yellow: "
        "stopped at the new-token limit) · red: the winner's path. Hover a token for its numbers."
    )
    if tree.decoding == "sampling":
        legend = esc(
            "Sampling: solid: the tokens drawn (one path per distinct sample; draws that agree share a path) · "
            "faint: likely tokens not drawn · green: each sample's end (#rank score; yellow: stopped at the "
            "new-token limit) · red: the best sample's path. Probabilities are the ones drawn from (after "
            "temperature, top-k and top-p). Hover a token for its numbers."
        )
    elif tree.num_beam_groups > 1:
        size = tree.num_beams // tree.num_beam_groups
        swatches = " ".join(f"{_swatch(g)}group {g + 1}" for g in range(tree.num_beam_groups))
        legend = (
            f"Diverse beam search: {tree.num_beam_groups} groups of {size} beam(s), searched one after another; "
            f"each node's band is its group's colour: {swatches}. A token's log-prob is after the diversity "
            f"penalty ({tree.diversity_penalty:g} off per earlier group that chose it at that step). " + legend
        )
    notes = []
    if penalty != tree.length_penalty:
        notes.append(
            f"Re-ranked with length penalty {penalty:g}; the run ranked with {tree.length_penalty:g}. Sampling "
            "draws without it, so the samples stay the same."
            if tree.decoding == "sampling"
            else f"Re-ranked with length penalty {penalty:g}; the search ran with {tree.length_penalty:g}, and with "
            f"{penalty:g} generate might have kept other beams."
        )
    group = {h.node: _swatch(tree.nodes[h.node].group) if tree.num_beam_groups > 1 else "" for h in ranked}
    rows = "".join(
        f"<tr><td>{i}</td><td>{group[h.node]}{esc(h.text) or '<i>(empty)</i>'}</td><td>{h.score:.4f}</td>"
        f"<td>{h.logprob:.3f}</td>"
        f"<td>{h.length}</td><td>{'yes' if h.ended else 'no: cut'}</td></tr>"
        for i, h in enumerate(ranked[:MAX_LISTED], 1)
    )
    if len(ranked) > MAX_LISTED:
        notes.append(f"The table lists the best {MAX_LISTED} of {len(ranked)} finished hypotheses; the JSON has all.")
    return (
        f'<div class="beam-tree"><p style="margin:0 0 4px">{legend}</p>'
        f'<div style="overflow-x:auto;max-width:100%;border:1px solid #e5e7eb">'
        f"{svg or beam_tree_svg(tree, length_penalty=penalty)}</div>"
        + "".join(f'<p style="margin:4px 0;color:#92400e">{esc(n)}</p>' for n in notes)
        + f'<table class="bt-table"><style>{TABLE_CSS}</style><thead><tr><th>#</th>'
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


def _searched(tree: BeamTree) -> str:
    """The drawing's first words: what ran."""
    if tree.decoding == "sampling":
        return f"{len(tree.hypotheses)} distinct sample(s)"
    if tree.num_beam_groups > 1:
        return f"{tree.num_beams} beams in {tree.num_beam_groups} groups"
    return f"{tree.num_beams} beam(s)"


def _colour(group: int) -> str:
    return GROUP_COLOURS[group % len(GROUP_COLOURS)]


def _swatch(group: int) -> str:
    """A small square in the group's colour, for HTML text (legend, step table)."""
    return (
        f'<span title="group {group + 1}" style="display:inline-block;width:9px;height:9px;margin-right:4px;'
        f'background:{_colour(group)}"></span>'
    )


def _edge(start: tuple[int, int], end: tuple[int, int], node: BeamNode, win: bool, grouped: bool = False) -> str:
    x1, y1 = start[0] + NODE_W, start[1] + NODE_H // 2
    x2, y2 = end[0], end[1] + NODE_H // 2
    middle = (x1 + x2) / 2
    if win:
        style = f'stroke="{WINNER}" stroke-width="2.5"'
    elif node.kept:
        style = f'stroke="{_colour(node.group) if grouped else "#374151"}" stroke-width="1.2"'
    else:
        style = 'stroke="#9ca3af" stroke-width="1" stroke-dasharray="3 2" stroke-opacity=".6"'
    return f'<path d="M{x1} {y1}C{middle:g} {y1},{middle:g} {y2},{x2} {y2}" fill="none" {style}/>'


def _node(
    node: BeamNode,
    at: tuple[int, int],
    ranked: tuple[int, BeamHypothesis] | None,
    win: bool,
    nodes: list[BeamNode],
    grouped: bool = False,
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
    if grouped and node.parent is not None:
        tip.append(f"group {node.group + 1}")
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
        + (
            f'<rect x="{x}" y="{y}" width="{BAND_PX}" height="{NODE_H}" fill="{_colour(node.group)}"/>'
            if grouped and node.parent is not None
            else ""
        )
        + f'<text x="{x + 4 + (BAND_PX if grouped else 0)}" y="{y + 13}">{esc(label)}</text>'
        f'<text class="lp" x="{x + NODE_W - 3}" y="{y + 13}" text-anchor="end">{logprob}</text>{badge}</g>'
    )
