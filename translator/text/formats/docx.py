"""Word files (.docx, read and written with python-docx): one unit per paragraph, the paragraph's style kept.

Paragraphs of the body, of tables (nested ones too), of text boxes, of every header and footer (the
first-page and even-page ones too) and of the footnotes and endnotes are units. The paragraph
element, its properties (style, alignment, numbering) and every run stay; only the runs' text
changes: the translation goes into the paragraph's first text run and the other runs lose their
text (pictures, fields, footnote marks and page breaks inside them stay). A paragraph whose runs
differ in formatting (a bold word, a link) can't keep that inside the translation: a warning says
how many did. A paragraph whose translation equals its text is left exactly as it was.

Comments, deleted text of tracked changes, charts, SmartArt, embedded objects, alt text and the
document's properties are not translated.

Before python-docx sees the file, ``archive.expand`` decompresses it with a running byte count, and
its XML is streamed through an lxml parser that builds no tree and counts characters and elements,
so a zip bomb, a lying zip header or a document far over the character limit is refused early, in
bounded memory (tests/text/formats/test_docx.py measures both).
Entity references (a DOCTYPE inside a part: Word never writes one) are never resolved, and are
removed with a warning: the text around them stays.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence

from docx import Document as open_docx
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import PartFactory, XmlPart
from docx.oxml.ns import qn
from docx.text.run import Run
from lxml import etree

from ...core.errors import InputError
from .archive import expand
from .base import LETTER, Document, check_chars

# a .docx is a zip: refuse one that would expand to more than this (a zip bomb), whatever its upload size
MAX_EXPANDED_BYTES = 256 * 1024 * 1024
# python-docx parses every XML part into a tree: these bound its memory (~150 bytes an element) whatever
# the compression; a 300-page report has a few hundred thousand elements and a few MB of XML
MAX_XML_BYTES = 64 * 1024 * 1024
MAX_XML_ELEMENTS = 1_000_000
# parts whose text is never translated, so it doesn't count towards the character limit
UNCOUNTED = ("word/comments", "word/glossary/")
P, R, HYPERLINK, RPR = qn("w:p"), qn("w:r"), qn("w:hyperlink"), qn("w:rPr")
T, TAB, BR, CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")

# python-docx 1.2 has no footnote or endnote classes and keeps those parts as opaque bytes; read as
# XML parts (its own safe parser, saved back from the tree), their paragraphs are reached like the body's
PartFactory.part_type_for.setdefault(CT.WML_FOOTNOTES, XmlPart)
PartFactory.part_type_for.setdefault(CT.WML_ENDNOTES, XmlPart)


def docx_document(data: bytes, name: str, max_chars: int) -> Document:
    _check(data, name, max_chars)
    document, entities = _open(data, name)
    units: list[str] = []
    slots: list[int | None] = []  # per paragraph (in _paragraphs order): its unit, or None
    mixed = 0
    for paragraph in _paragraphs(document):
        runs = _text_runs(paragraph)
        text = "".join(_run_text(r) for r in runs).strip()
        if not LETTER.search(text):
            slots.append(None)
            continue
        slots.append(len(units))
        units.append(text)
        looks = {(_formatting(r), _in_link(r, paragraph)) for r in runs if _run_text(r).strip()}
        mixed += len(looks) > 1
    if not units:
        raise InputError(f"{name} has no text to translate.")
    check_chars(name, "\n".join(units), max_chars)
    warnings = []
    if mixed:
        warnings.append(
            f"{mixed} paragraph(s) mix formatting inside (bold or italic words, links); each was translated "
            "as a whole and takes the formatting of its first run."
        )
    if entities:
        warnings.append(
            f"{name} holds {entities} entity reference(s) (&name;) that Word never writes; they were removed "
            "unread, and the text around them was kept."
        )
    return Document(name, "docx", tuple(units), tuple(warnings), lambda out: _rebuild(data, name, slots, units, out))


def _check(data: bytes, name: str, max_chars: int) -> None:
    """Refuse a bomb, a lying zip or a document over ``max_chars`` while decompressing, before python-docx parses it.

    Characters are counted as the units will have them (the text of ``w:t``, tabs and line breaks, a
    line break between paragraphs with text), in every part but comments; text python-docx won't
    reach (a header linked away) counts too, so the exact count after parsing never finds more.
    """
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InputError(f"{name} is not a Word document: a .docx file is a zip archive, and this is not one.")
    tally = _Tally()
    parser: etree.XMLParser | None = None
    current, xml_bytes = "", 0
    try:
        for member, chunk in expand(data, name, MAX_EXPANDED_BYTES):
            if member != current:
                _close(parser)
                current, tally.counted = member, not member.startswith(UNCOUNTED)
                # never a DTD, an entity or the network, as in python-docx's own parser; no tree is built
                xml = member.endswith((".xml", ".rels"))
                parser = etree.XMLParser(target=tally, resolve_entities=False, no_network=True) if xml else None
            if parser is None:
                continue
            xml_bytes += len(chunk)
            if xml_bytes > MAX_XML_BYTES:
                raise InputError(f"{name} has more than {MAX_XML_BYTES // 2**20} MB of XML; it can't be read safely.")
            parser.feed(chunk)
            if tally.elements > MAX_XML_ELEMENTS:
                raise InputError(f"{name} has more than {MAX_XML_ELEMENTS:,} XML elements; it can't be read safely.")
            if tally.chars > max_chars:
                raise InputError(
                    f"The file {name} has more than {max_chars:,} characters of text; the limit is {max_chars:,}."
                )
        _close(parser)
    except etree.XMLSyntaxError:
        raise InputError(f"{name} is not a Word document that can be read (its part {current} is broken).") from None


class _Tally:
    """An lxml parser target that counts elements, and characters as the units will have them; it builds no tree."""

    def __init__(self) -> None:
        self.elements = self.text = self.paragraphs = 0
        self.counted = True  # whether the part being read counts towards the characters
        self._runs = 0  # how many w:r the parser is inside (a w:tab outside runs is a tab stop, not text)
        self._in_text = self._has_text = False

    @property
    def chars(self) -> int:
        return self.text + max(self.paragraphs - 1, 0)  # units are joined by a line break

    def start(self, tag: str, attrib: object) -> None:
        self.elements += 1
        self._in_text = tag == T
        self._runs += tag == R
        if tag in (TAB, BR, CR) and self._runs and self.counted:
            self.text += 1

    def end(self, tag: str) -> None:
        if tag == P:
            self.paragraphs += self._has_text
            self._has_text = False
        self._runs -= tag == R
        self._in_text = False

    def data(self, text: str) -> None:
        if self._in_text and self.counted:
            self.text += len(text)
            self._has_text = True

    def close(self) -> None:
        return None


def _close(parser: etree.XMLParser | None) -> None:
    if parser is not None:
        parser.close()


def _open(data: bytes, name: str):
    """The python-docx document, with entity references removed (their count is returned with it)."""
    try:
        document = open_docx(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, PackageNotFoundError... for broken parts
        raise InputError(f"{name} is not a Word document that can be read ({type(exc).__name__}).") from None
    entities = 0
    for part in document.part.package.iter_parts():
        if isinstance(part, XmlPart):
            entities += _drop_entities(part.element)
    return document, entities


def _drop_entities(root: etree._Element) -> int:
    """Remove the ``&name;`` references under ``root``, keeping the text after each (they'd be saved undeclared)."""
    found = list(root.iter(etree.Entity))
    for entity in found:
        parent, before = entity.getparent(), entity.getprevious()
        if before is None:
            parent.text = (parent.text or "") + (entity.tail or "")
        else:
            before.tail = (before.tail or "") + (entity.tail or "")
        parent.remove(entity)
    return len(found)


def _rebuild(
    data: bytes, name: str, slots: Sequence[int | None], units: Sequence[str], translations: Sequence[str]
) -> bytes:
    if len(translations) != len(units):
        raise ValueError("rebuild() needs one translation per unit.")
    document, _ = _open(data, name)
    for paragraph, slot in zip(_paragraphs(document), slots, strict=True):
        if slot is not None and translations[slot] != units[slot]:
            _write(paragraph, translations[slot])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _paragraphs(document) -> Iterator[etree._Element]:
    """Every w:p of the body, of each header and footer a section defines, then of the footnotes and endnotes."""
    roots = [document.element.body]
    for section in document.sections:
        for part in (
            section.header,
            section.first_page_header,
            section.even_page_header,
            section.footer,
            section.first_page_footer,
            section.even_page_footer,
        ):
            # a linked one has no part of its own; reading _element would add one
            if not part.is_linked_to_previous and part._element not in roots:
                roots.append(part._element)
    notes = {rel.reltype: rel.target_part for rel in document.part.rels.values() if not rel.is_external}
    roots += [notes[kind].element for kind in (RT.FOOTNOTES, RT.ENDNOTES) if isinstance(notes.get(kind), XmlPart)]
    for root in roots:
        yield from root.iter(P)


def _text_runs(paragraph: etree._Element) -> list[etree._Element]:
    """The paragraph's own runs that hold text (not those of a text box paragraph nested in it)."""
    return [
        r for r in paragraph.iter(R) if next(r.iterancestors(P)) is paragraph and any(_is_text(child) for child in r)
    ]


def _is_text(child: etree._Element) -> bool:
    # page and column breaks are layout, not text: they stay
    return child.tag in (T, TAB, CR) or (child.tag == BR and child.get(qn("w:type"), "textWrapping") == "textWrapping")


def _run_text(run: etree._Element) -> str:
    return "".join((c.text or "") if c.tag == T else "\t" if c.tag == TAB else "\n" for c in run if _is_text(c))


def _formatting(run: etree._Element) -> bytes:
    properties = run.find(RPR)
    return b"" if properties is None else etree.tostring(properties)


def _in_link(run: etree._Element, paragraph: etree._Element) -> bool:
    for ancestor in run.iterancestors():
        if ancestor is paragraph:
            return False
        if ancestor.tag == HYPERLINK:
            return True
    return False


def _write(paragraph: etree._Element, translation: str) -> None:
    runs = _text_runs(paragraph)
    for run in runs:
        for child in [c for c in run if _is_text(c)]:
            run.remove(child)
    first = Run(runs[0], None)  # type: ignore[arg-type]  # the parent is only used for part lookups
    for number, line in enumerate(translation.split("\n")):
        if number:
            first.add_break()
        for column, piece in enumerate(line.split("\t")):
            if column:
                first.add_tab()
            if piece:
                first.add_text(piece)
