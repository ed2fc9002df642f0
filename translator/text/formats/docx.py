"""Word files (.docx, read and written with python-docx): one unit per paragraph, the paragraph's style kept.

Paragraphs of the body, of tables (nested ones too), of text boxes and of the headers and footers
are units. The paragraph element, its properties (style, alignment, numbering) and every run stay;
only the runs' text changes: the translation goes into the paragraph's first text run and the
other runs lose their text (pictures, fields and page breaks inside them stay). A paragraph whose
runs differ in formatting (a bold word, a link) can't keep that inside the translation: a warning
says how many did.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence

from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.text.run import Run
from lxml import etree

from ...core.errors import InputError
from .base import LETTER, Document, check_chars

# a .docx is a zip: refuse one that would expand to more than this (a zip bomb), whatever its upload size
MAX_EXPANDED_BYTES = 256 * 1024 * 1024
P, R, HYPERLINK, RPR = qn("w:p"), qn("w:r"), qn("w:hyperlink"), qn("w:rPr")
T, TAB, BR, CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")


def docx_document(data: bytes, name: str, max_chars: int) -> Document:
    document = _open(data, name)
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
    warnings = (
        (
            f"{mixed} paragraph(s) mix formatting inside (bold or italic words, links); each was translated "
            "as a whole and takes the formatting of its first run."
        ),
    )
    return Document(name, "docx", tuple(units), warnings if mixed else (), lambda out: _rebuild(data, slots, out))


def _open(data: bytes, name: str):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InputError(
            f"{name} is not a Word document: a .docx file is a zip archive, and this is not one."
        ) from None
    if expanded > MAX_EXPANDED_BYTES:
        raise InputError(f"{name} expands to more than {MAX_EXPANDED_BYTES // 2**20} MB; it can't be read safely.")
    try:
        return open_docx(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, PackageNotFoundError... for broken parts
        raise InputError(f"{name} is not a Word document that can be read ({type(exc).__name__}).") from None


def _rebuild(data: bytes, slots: Sequence[int | None], translations: Sequence[str]) -> bytes:
    document = _open(data, "the document")
    for paragraph, slot in zip(_paragraphs(document), slots, strict=True):
        if slot is not None:
            _write(paragraph, translations[slot])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _paragraphs(document) -> Iterator[etree._Element]:
    """Every w:p of the body, then of each header and footer not shared with the previous section."""
    roots = [document.element.body]
    for section in document.sections:
        for part in (section.header, section.footer):
            if not part.is_linked_to_previous:
                roots.append(part._element)
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
