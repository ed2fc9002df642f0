"""Markdown as translatable text runs, with all markup kept byte for byte (parsed by markdown-it-py).

Block level: only the inline content of paragraphs, headings and table cells is looked at; code
blocks, HTML blocks, front matter and link definitions stay literal. Inline level: markdown-it's
tokens say what is markup (inline code, links, images, autolinks, HTML, emphasis, hard breaks);
each is found again in the source, in order, and the text between two of them is one unit, with
bare URLs cut out. Link text is translated, link targets are not; a reference link written
``[text]`` or ``[text][]`` becomes ``[translation][text]`` so it still finds its definition.

A run's source must unescape to exactly the text markdown-it saw. When a block's markup can't be
placed that way, the block's text becomes one unit with its inline markup dropped, and a warning
names the block. A translation is written as text, never as markup: characters that would start
markup are backslash-escaped, and so is a line start that would read as a heading, list item or
quote (``1986\\.``, ``\\#``). A unit whose translation equals it keeps its own source (base.py).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.helpers import parseLinkDestination, parseLinkTitle

from .base import LETTER, Dependent, Escape, Replacement

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# YAML (---) or TOML (+++) front matter at the very start of the file
FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n.*?\n(?:\1|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
BARE_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>]*[^\s<>.,;:!?\"')\]]")
# whitespace, and punctuation that closes what came before, at the start of a run: not part of its sentence
LEADING = re.compile(r"\A[\s.,;:!?)\]]*")
# a backslash escape, or an entity (CommonMark's need their semicolon), read left to right as the parser does
ESCAPE_OR_ENTITY = re.compile(
    r"\\([!-/:-@\[-`{-~])|(&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
)
# characters a translation must not bring in as markup, anywhere in a line
SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")
# at the start of a line: a heading, quote, list item, thematic break or setext underline
BLOCK_START = re.compile(r"\A(?:#|>|[-+=]|(?=\d{1,9}[.)]))")
ORDERED = re.compile(r"\A(\d{1,9})([.)])")
CLOSING_HASHES = re.compile(r"(\s)(#+)\Z")  # would close an ATX heading
# whitespace a line of text may hold and a translation may not: no-break spaces (&nbsp;) are text, kept
WHITESPACE = re.compile(r"[ \t\r\n]+")
EMPHASIS = {"em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close"}
RETRIED = EMPHASIS | {"link_open", "image"}  # markup whose characters may also stand as text before it


def escape_markdown(translation: str, line_start: bool = False) -> str:
    """A translation as Markdown text on one line: characters that would start markup are backslash-escaped."""
    text = SPECIAL.sub(r"\\\1", flat(translation))  # a line break would end a list item or quote
    text = CLOSING_HASHES.sub(r"\1\\\2", text)
    if line_start and BLOCK_START.match(text):
        text = ORDERED.sub(r"\1\\\2", text) if ORDERED.match(text) else "\\" + text
    return text


class Unplaced(Exception):
    """A token could not be found again in the source."""


def markdown_units(text: str) -> tuple[list[Replacement], list[str], Escape, list[Dependent]]:
    """The translatable runs of ``text``, warnings about blocks whose markup had to go, how to write a
    translation, and the reference-link labels to write out when their link text changes."""
    front = FRONT_MATTER.match(text)
    # front matter becomes blank lines, so line numbers still point into ``text``
    parsed = "\n" * front.group().count("\n") + text[front.end() :] if front else text
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    cursor: dict[int, int] = {}  # per line, where the last placed inline content ended (table cells share lines)
    found: list[Replacement] = []
    labels: list[Dependent] = []
    line_starts: set[int] = set()  # where units that begin a line start: a block marker there needs escaping
    warnings: list[str] = []
    for token in PARSER.parse(parsed):
        if token.type != "inline" or not token.map or not token.content.strip():
            continue
        block = Block(token, lines, starts, cursor)
        try:
            units, links = block.units()
        except Unplaced:
            units, links = block.whole(), []
            what = f"line {token.map[0] + 1} (“{' '.join(token.content.split())[:40]}”)"
            warnings.append(
                f"The Markdown block at {what} has markup that could not be placed exactly; "
                + ("it was translated with its inline markup dropped." if units else "it was left as it is.")
            )
        found += [(start, end, unit) for start, end, unit, _ in units]
        line_starts |= {start for start, _, _, first in units if first}
        labels += links
    return found, warnings, lambda start, out: escape_markdown(out, start in line_starts), labels


class Block:
    """One inline token (a paragraph's, heading's or table cell's text) placed in the source."""

    def __init__(self, token: Any, lines: Sequence[str], starts: Sequence[int], cursor: dict[int, int]) -> None:
        self.token, self.content = token, token.content
        self.pieces = self.content.split("\n")
        self.bases = self._bases(lines, starts, cursor)
        self.offsets = [0]
        for piece in self.pieces:
            self.offsets.append(self.offsets[-1] + len(piece) + 1)

    def _bases(self, lines: Sequence[str], starts: Sequence[int], cursor: dict[int, int]) -> list[int] | None:
        """Where each content line starts in the source: at the end of its source line (after list markers,
        "> " and indentation), or, for headings with closing #s and table cells, at its first match."""
        bases: list[int] = []
        for k, piece in enumerate(self.pieces):
            number = self.token.map[0] + k
            if number >= len(lines):
                return None
            line, begin = lines[number], cursor.get(number, 0)
            tail = len(line.rstrip()) - len(piece.rstrip())
            at = tail if tail >= begin and line.rstrip().endswith(piece.rstrip()) else line.find(piece, begin)
            if at < 0:
                return None
            cursor[number] = at + len(piece)
            bases.append(starts[number] + at)
        return bases

    def source(self, j: int) -> int:
        """The source offset of content offset ``j``."""
        assert self.bases is not None
        k = max(i for i in range(len(self.pieces)) if self.offsets[i] <= j)
        return self.bases[k] + j - self.offsets[k]

    def units(self) -> tuple[list[tuple[int, int, str, bool]], list[Dependent]]:
        """(source start, end, unit, begins a line) per text run, and the block's reference-link labels."""
        if self.bases is None:
            raise Unplaced
        runs, links = text_runs(self.content, self.token.children or [])
        units = []
        for a, b in runs:
            for start, end in split_urls(self.content, a, b):
                unit = flat(unescape(self.content[start:end]))
                if LETTER.search(unit):
                    first = not self.content[:start].rpartition("\n")[2].strip()
                    units.append((self.source(start), self.source(end), unit, first))
        labels: list[Dependent] = []
        for close, end, label, inside in links:
            within = tuple(u[0] for u in units if self.source(inside) <= u[0] < self.source(close))
            if within:
                labels.append((self.source(close), self.source(end), f"][{label}]", within))
        return units, labels

    def whole(self) -> list[tuple[int, int, str, bool]]:
        """The block as one unit, its inline markup dropped; none when its lines can't be found."""
        plain = " ".join(
            "".join(c.content if c.type in ("text", "code_inline") else " " for c in self.token.children or []).split()
        )
        if self.bases is None or not LETTER.search(plain):
            return []
        start = len(self.content) - len(self.content.lstrip())
        end = len(self.content.rstrip())
        return [(self.source(start), self.source(end), plain, True)]


def text_runs(content: str, children: Sequence[Any]) -> tuple[list[tuple[int, int]], list[tuple[int, int, str, int]]]:
    """(start, end) in ``content`` of the text between markup tokens, each checked against the parsed text,
    and per shortcut or collapsed reference link (``[label]``, ``[label][]``): where its "]" tail starts and
    ends, its label, and where its text starts."""
    runs: list[tuple[int, int]] = []
    links: list[tuple[int, int, str, int]] = []
    seen: list[str] = []
    pos = 0
    inside_autolink = False
    opened: list[int] = []  # where the "[" of each link we are inside is

    def matches(end: int) -> bool:
        """Whether the source from ``pos`` to ``end`` reads as the text the parser saw there."""
        return " ".join(unescape(content[pos:end]).split()) == " ".join("".join(seen).split())

    def close(end: int) -> None:
        if not matches(end):
            raise Unplaced
        if content[pos:end].strip():
            runs.append((pos, end))

    for child in children:
        if inside_autolink:
            inside_autolink = child.type != "link_close"
            continue
        if child.type == "text":
            seen.append(child.content)
            continue
        if child.type == "softbreak":
            seen.append("\n")
            continue
        start, end = locate(child, content, pos, opened[-1] if opened else pos)
        while not matches(start) and child.type in RETRIED:
            # a "*" or "[" the parser read as text comes first (``**foo*``, ``[foo] [bar]``): try the next one
            start, end = locate(child, content, start + 1, opened[-1] if opened else pos)
        close(start)
        seen, pos = [], end
        inside_autolink = child.type == "link_open" and child.markup in ("autolink", "linkify")
        if child.type == "link_open" and not inside_autolink:
            opened.append(start)
        elif child.type == "link_close" and opened:
            begin = opened.pop()
            if content[start + 1 : end] in ("", "[]"):  # the link text is its label
                links.append((start, end, " ".join(content[begin + 1 : start].split()), begin + 1))
    close(len(content))
    return runs, links


def locate(token: Any, content: str, pos: int, link_start: int) -> tuple[int, int]:
    """Where a markup token's own characters are in ``content``, searching from ``pos``.

    ``link_start``: for a link_close, where its link's "[" is (brackets inside the link text pair up).
    """
    kind, markup = token.type, token.markup
    if kind == "code_inline":
        start = find_ticks(content, len(markup), pos)
        return start, find_ticks(content, len(markup), start + len(markup)) + len(markup)
    if kind == "html_inline":
        return found(content.find(token.content, pos), len(token.content))
    if kind in EMPHASIS:
        return found(find_delimiter(content, markup, pos, kind.endswith("_open")), len(markup))
    if kind == "link_open" and markup in ("autolink", "linkify"):
        start = content.find("<", pos) if markup == "autolink" else content.find(token.attrs.get("href", "\0"), pos)
        end = content.find(">", start) + 1 if markup == "autolink" else start + len(token.attrs.get("href", ""))
        if start < 0 or end <= start:
            raise Unplaced
        return start, end
    if kind == "link_open":
        return found(find_unescaped(content, "[", pos), 1)
    if kind == "link_close":
        start = closing_bracket(content, link_start + 1)
        if start < pos:  # a "]" inside inline code closed it early: take the next one instead
            start = find_unescaped(content, "]", pos)
        if start < 0:
            raise Unplaced
        return start, link_tail_end(content, start + 1)
    if kind == "image":
        start = find_unescaped(content, "![", pos)
        if start < 0:
            raise Unplaced
        return start, link_tail_end(content, closing_bracket(content, start + 2) + 1)
    if kind == "hardbreak":
        newline = content.find("\n", pos)
        if newline < 0:
            raise Unplaced
        start = newline - 1 if content[newline - 1] == "\\" else len(content[:newline].rstrip(" "))
        return start, len(content) - len(content[newline + 1 :].lstrip(" "))
    raise Unplaced  # a token this reader doesn't know: keep the block as it is


def found(start: int, length: int) -> tuple[int, int]:
    if start < 0:
        raise Unplaced
    return start, start + length


def find_unescaped(content: str, needle: str, pos: int) -> int:
    start = content.find(needle, pos)
    while start > 0 and (len(content[:start]) - len(content[:start].rstrip("\\"))) % 2:
        start = content.find(needle, start + 1)
    return start


def find_delimiter(content: str, markup: str, pos: int, opening: bool) -> int:
    """The next ``markup`` that can open (or close) emphasis: an opener is followed by a non-space, a closer
    follows one; an underscore never sits inside a word (snake_case stays text)."""
    start = find_unescaped(content, markup, pos)
    while start >= 0:
        before = content[start - 1] if start else " "
        after = content[start + len(markup)] if start + len(markup) < len(content) else " "
        inner, outer = (after, before) if opening else (before, after)
        if not inner.isspace() and not (markup[0] == "_" and outer.isalnum()):
            return start
        start = find_unescaped(content, markup, start + 1)
    return -1


def find_ticks(content: str, count: int, pos: int) -> int:
    """Start of the next run of exactly ``count`` backticks at or after ``pos``."""
    for match in re.finditer("`+", content[pos:]):
        if len(match.group()) == count:
            return pos + match.start()
    raise Unplaced


def closing_bracket(content: str, pos: int) -> int:
    depth = 1
    i = pos
    while i < len(content):
        if content[i] == "\\":
            i += 2
            continue
        depth += {"[": 1, "]": -1}.get(content[i], 0)
        if depth == 0:
            return i
        i += 1
    raise Unplaced


def link_tail_end(content: str, pos: int) -> int:
    """End of a link's destination part after its ``]``: ``(target "title")``, ``[label]`` or nothing."""
    inline = inline_tail_end(content, pos)
    if inline is not None:
        return inline
    if content.startswith("[", pos):
        try:
            return closing_bracket(content, pos + 1) + 1
        except Unplaced:
            return pos
    return pos


def inline_tail_end(content: str, pos: int) -> int | None:
    """End of ``(destination "title")`` at ``pos``, read with markdown-it's own helpers; None: there is none
    (``[foo](not a link)`` is a reference link followed by text)."""
    if not content.startswith("(", pos):
        return None
    i = skip_space(content, pos + 1)
    if i < len(content) and content[i] != ")":
        destination = parseLinkDestination(content, i, len(content))
        if not destination.ok:
            return None
        i = skip_space(content, destination.pos)
        if i > destination.pos:  # a title needs whitespace before it
            title = parseLinkTitle(content, i, len(content))
            i = skip_space(content, title.pos) if title.ok else i
    return i + 1 if content.startswith(")", i) else None


def skip_space(content: str, pos: int) -> int:
    while pos < len(content) and content[pos] in " \t\n":
        pos += 1
    return pos


def split_urls(content: str, start: int, end: int) -> list[tuple[int, int]]:
    """``content[start:end]`` less bare URLs, each remaining piece trimmed of surrounding whitespace."""
    cuts = [start]
    for match in BARE_URL.finditer(content, start, end):
        cuts += [match.start(), match.end()]
    cuts.append(end)
    pieces = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=True):
        text = content[a:b]
        a += len(text) - len(LEADING.sub("", text))  # ". Next sentence" after a link: the "." stays put
        b -= len(text) - len(text.rstrip())
        if a < b:
            pieces.append((a, b))
    return pieces


def flat(text: str) -> str:
    """``text`` on one line: each run of spaces, tabs and line breaks one space, none at the ends."""
    return WHITESPACE.sub(" ", text).strip(" ")


def unescape(source: str) -> str:
    """Markdown source text as the reader sees it: backslash escapes and entities resolved."""
    return ESCAPE_OR_ENTITY.sub(lambda m: m.group(1) or html.unescape(m.group(2)), source)
