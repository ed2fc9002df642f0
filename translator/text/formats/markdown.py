"""Markdown as translatable text runs, with all markup kept byte for byte (parsed by markdown-it-py).

Block level: only the inline content of paragraphs, headings and table cells is looked at; code
blocks, HTML blocks, front matter and link definitions stay literal. Inline level: markdown-it's
tokens say what is markup (inline code, links, images, autolinks, HTML, emphasis, hard breaks);
each is found again in the source, in order, and the text between two of them is one unit, with
bare URLs cut out. Link text is translated, link targets are not. A run's source must unescape to
exactly the text markdown-it saw, or the whole block stays untranslated and a warning says so.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt

from .base import LETTER, Replacement

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
# characters a translation must not bring in as markup
SPECIAL = re.compile(r"([\\`*_\[\]<>&])")
EMPHASIS = {"em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close"}


def escape_markdown(translation: str) -> str:
    """A translation as Markdown text: characters that would start markup are backslash-escaped."""
    return SPECIAL.sub(r"\\\1", translation)


class Unplaced(Exception):
    """A token could not be found again in the source: the block is left as it is."""


def markdown_units(text: str) -> tuple[list[Replacement], list[str]]:
    """The translatable runs of ``text`` and warnings about blocks left untranslated."""
    front = FRONT_MATTER.match(text)
    # front matter becomes blank lines, so line numbers still point into ``text``
    parsed = "\n" * front.group().count("\n") + text[front.end() :] if front else text
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    cursor: dict[int, int] = {}  # per line, where the last placed inline content ended (table cells share lines)
    found: list[Replacement] = []
    skipped = 0
    for token in PARSER.parse(parsed):
        if token.type != "inline" or not token.map or not token.content.strip():
            continue
        try:
            found += inline_units(token, lines, starts, cursor)
        except Unplaced:
            skipped += 1
    warnings = (
        [f"{skipped} Markdown block(s) have markup that could not be placed exactly; they were left untranslated."]
        if skipped
        else []
    )
    return found, warnings


def inline_units(token: Any, lines: Sequence[str], starts: Sequence[int], cursor: dict[int, int]) -> list[Replacement]:
    content: str = token.content
    pieces = content.split("\n")
    # where each content line starts in the source: at the end of its source line (after list markers,
    # "> " and indentation), or, for headings with closing #s and table cells, at its first match
    bases: list[int] = []
    for k, piece in enumerate(pieces):
        number = token.map[0] + k
        if number >= len(lines):
            raise Unplaced
        line, begin = lines[number], cursor.get(number, 0)
        tail = len(line.rstrip()) - len(piece.rstrip())
        at = tail if tail >= begin and line.rstrip().endswith(piece.rstrip()) else line.find(piece, begin)
        if at < 0:
            raise Unplaced
        cursor[number] = at + len(piece)
        bases.append(starts[number] + at)
    offsets = [0]
    for piece in pieces:
        offsets.append(offsets[-1] + len(piece) + 1)

    def source(j: int) -> int:
        k = max(i for i in range(len(pieces)) if offsets[i] <= j)
        return bases[k] + j - offsets[k]

    units: list[Replacement] = []
    for a, b in text_runs(content, token.children or []):
        for start, end in split_urls(content, a, b):
            unit = " ".join(unescape(content[start:end]).split())
            if LETTER.search(unit):
                units.append((source(start), source(end), unit))
    return units


def text_runs(content: str, children: Sequence[Any]) -> list[tuple[int, int]]:
    """(start, end) in ``content`` of the text between markup tokens, each checked against the parsed text."""
    runs: list[tuple[int, int]] = []
    seen: list[str] = []
    pos = 0
    inside_autolink = False
    opened: list[int] = []  # where the "[" of each link we are inside is

    def close(end: int) -> None:
        if " ".join(unescape(content[pos:end]).split()) != " ".join("".join(seen).split()):
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
        close(start)
        seen, pos = [], end
        inside_autolink = child.type == "link_open" and child.markup in ("autolink", "linkify")
        if child.type == "link_open" and not inside_autolink:
            opened.append(start)
        elif child.type == "link_close" and opened:
            opened.pop()
    close(len(content))
    return runs


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
    if content.startswith("[", pos):
        return closing_bracket(content, pos + 1) + 1
    if not content.startswith("(", pos):
        return pos
    depth, quote, i = 1, "", pos + 1
    while i < len(content):
        char = content[i]
        if char == "\\":
            i += 2
            continue
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'" and content[i - 1].isspace():
            quote = char
        elif char in "()":
            depth += 1 if char == "(" else -1
            if depth == 0:
                return i + 1
        i += 1
    raise Unplaced


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


def unescape(source: str) -> str:
    """Markdown source text as the reader sees it: backslash escapes and entities resolved."""
    return ESCAPE_OR_ENTITY.sub(lambda m: m.group(1) or html.unescape(m.group(2)), source)
