"""Word files: every header and footer, footnotes, the identity rule, and hostile files refused early.

The headers and footers come from python-docx 1.2.0's own test files (tests/fixtures/docx/README.md);
hostile files are built here, small: a lying zip header needs no gigabytes to be refused.
"""

from __future__ import annotations

import io
import re
import struct
import time
import zipfile
from pathlib import Path

import docx
import pytest

from translator import InputError
from translator.text.formats import parse_document

FIXTURES = Path(__file__).parents[2] / "fixtures" / "docx"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PARAGRAPH = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.docx").read_bytes()


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def with_part(data: bytes, part: str, content: bytes) -> bytes:
    """The .docx ``data`` with ``part`` holding ``content``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, old in parts(data).items():
            archive.writestr(name, content if name == part else old)
    return out.getvalue()


def declaring(data: bytes, part: str, size: int) -> bytes:
    """The zip ``data`` with ``part``'s size, in its local header and in the central directory, said to be ``size``."""
    buffer = bytearray(data)
    struct.pack_into("<I", buffer, zipfile.ZipFile(io.BytesIO(data)).getinfo(part).header_offset + 22, size)
    entry = buffer.index(b"PK\x01\x02")  # central directory entries: the size at +24, the name at +46
    while entry != -1:
        length = struct.unpack_from("<H", buffer, entry + 28)[0]
        if buffer[entry + 46 : entry + 46 + length] == part.encode():
            struct.pack_into("<I", buffer, entry + 24, size)
        entry = buffer.find(b"PK\x01\x02", entry + 4)
    return bytes(buffer)


def with_body(content: bytes) -> bytes:
    """A .docx whose body is ``content``."""
    document = docx.Document()
    out = io.BytesIO()
    document.save(out)
    xml = parts(out.getvalue())["word/document.xml"]
    head, tail = xml.split(b"<w:body>")
    return with_part(
        out.getvalue(), "word/document.xml", head + b"<w:body>" + content + tail[tail.index(b"<w:sectPr") :]
    )


def header_texts(data: bytes) -> list[str]:
    """The text of every header and footer that a section defines, as python-docx reads them."""
    document = docx.Document(io.BytesIO(data))
    texts = []
    for section in document.sections:
        for part in (
            section.header,
            section.first_page_header,
            section.even_page_header,
            section.footer,
            section.first_page_footer,
            section.even_page_footer,
        ):
            if not part.is_linked_to_previous:
                texts += [p.text for p in part.paragraphs if p.text.strip()]
    return texts


@pytest.mark.parametrize("name", ["doc-odd-even-hdrs", "sct-first-page-hdrftr", "doc-add-section"])
def test_first_page_and_even_page_headers_and_footers_are_translated(name):
    data = fixture(name)
    document = parse_document(data, f"{name}.docx")
    headers = header_texts(data)
    assert headers and all(text in document.units for text in headers)
    out = document.rebuild([unit.upper() for unit in document.units])
    assert header_texts(out) == [text.upper() for text in headers]
    assert [p.text for p in docx.Document(io.BytesIO(out)).paragraphs] == [
        p.text.upper() for p in docx.Document(io.BytesIO(data)).paragraphs
    ]


def test_the_fixtures_have_every_kind_of_header_and_footer():
    units = parse_document(fixture("doc-add-section"), "a.docx").units
    for kind in ("Primary (Odd-Page) Header", "First-page header", "Even Page Header", "First Page Footer"):
        assert any(unit.startswith(kind) for unit in units), kind


def test_footnotes_and_endnotes_are_translated():
    data = fixture("doc-odd-even-hdrs")
    notes = parts(data)["word/footnotes.xml"]
    note = (
        b'<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r>'
        b'<w:r><w:t xml:space="preserve"> A note.</w:t></w:r></w:p></w:footnote>'
    )
    data = with_part(data, "word/footnotes.xml", notes.replace(b"</w:footnotes>", note + b"</w:footnotes>"))
    document = parse_document(data, "a.docx")
    assert document.units[-1] == "A note."
    out = parts(document.rebuild([*document.units[:-1], "Eine Notiz."]))["word/footnotes.xml"]
    assert b"Eine Notiz." in out and b"A note." not in out and b"<w:footnoteRef/>" in out


def test_units_left_as_they_are_leave_every_part_as_python_docx_saves_it():
    data = fixture("doc-add-section")
    document = parse_document(data, "a.docx")
    saved = io.BytesIO()
    docx.Document(io.BytesIO(data)).save(saved)
    assert parts(document.rebuild(document.units)) == parts(saved.getvalue())


def refused(data: bytes, **limits) -> str:
    with pytest.raises(InputError) as caught:
        parse_document(data, "report.docx", **limits)
    return str(caught.value)


def refused_measured(data: bytes, **limits) -> tuple[str, float, float]:
    """refused()'s sentence, the seconds it took and how far, in MB, the process's peak memory rose (Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current size
    except OSError:
        pytest.skip("this system can't reset the peak memory of a process")

    def status(field: str) -> int:
        return int(re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))

    before, started = status("VmRSS"), time.perf_counter()
    message = refused(data, **limits)
    return message, time.perf_counter() - started, (status("VmHWM") - before) / 1024


def test_a_zip_header_that_lies_about_the_size_is_refused_without_expanding():
    # 300,000 paragraphs (10 MB) in a part whose headers say 2,000 bytes; zipfile would expand it all in one read()
    data = declaring(with_body(PARAGRAPH * 300_000), "word/document.xml", 2_000)
    message, seconds, megabytes = refused_measured(data)
    assert message == (
        "report.docx is damaged or crafted: its part word/document.xml doesn't hold what the archive says it does."
    )
    assert seconds < 2 and megabytes < 300


def test_a_zip_bomb_is_refused_by_what_it_declares_before_anything_is_expanded():
    data = declaring(with_body(PARAGRAPH), "word/document.xml", 300 * 2**20)
    message, seconds, _ = refused_measured(data)
    assert message == "report.docx expands to more than 256 MB; it can't be read safely."
    assert seconds < 0.5


def test_characters_are_counted_while_parsing_and_reading_stops_at_the_limit():
    # 10 MB of one-letter paragraphs, 600,000 characters as units: python-docx alone takes seconds and
    # hundreds of MB to parse it; counting while reading stops after the first 100,000
    data = with_body(PARAGRAPH * 300_000)
    message, seconds, megabytes = refused_measured(data, max_chars=100_000)
    assert message == "The file report.docx has more than 100,000 characters of text; the limit is 100,000."
    assert seconds < 2 and megabytes < 300
    # the count while parsing is never below the exact one: what passes it is counted again exactly
    small = with_body(PARAGRAPH * 60)
    assert len("\n".join(parse_document(small, "a.docx", max_chars=119).units)) == 119
    assert "the limit is 118" in refused(small, max_chars=118)


def test_entity_references_are_never_resolved_and_the_text_after_them_stays(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doctype = f'<!DOCTYPE w:document [<!ENTITY ext SYSTEM "file://{secret}"><!ENTITY own "inner">]>'.encode()
    data = with_body(b'<w:p><w:r><w:t xml:space="preserve">Before &ext; after &own; end.</w:t></w:r></w:p>')
    xml = parts(data)["word/document.xml"]
    data = with_part(data, "word/document.xml", xml.replace(b"<w:document", doctype + b"<w:document", 1))
    document = parse_document(data, "a.docx")
    assert document.units == ("Before  after  end.",)
    assert document.warnings == (
        "a.docx holds 2 entity reference(s) (&name;) that Word never writes; they were removed unread, "
        "and the text around them was kept.",
    )
    out = document.rebuild(["Vorher nachher Ende."])
    assert b"TOP-SECRET" not in out and b"inner" not in out
    assert [p.text for p in docx.Document(io.BytesIO(out)).paragraphs] == ["Vorher nachher Ende."]
    same = docx.Document(io.BytesIO(document.rebuild(document.units)))  # left as it is, still a valid file
    assert [p.text for p in same.paragraphs] == ["Before  after  end."]


@pytest.mark.parametrize("data", [b"just some text", b"PK\x03\x04 broken"])
def test_a_file_that_is_not_a_zip_gets_one_sentence(data):
    assert refused(data) == "report.docx is not a Word document: a .docx file is a zip archive, and this is not one."


def test_broken_xml_and_a_bad_checksum_get_one_sentence():
    data = with_body(PARAGRAPH)
    broken = with_part(data, "word/document.xml", parts(data)["word/document.xml"][:-40])
    assert (
        refused(broken) == "report.docx is not a Word document that can be read (its part word/document.xml is broken)."
    )
    crc = bytearray(data)
    entry = crc.index(b"word/document.xml", crc.index(b"PK\x01\x02")) - 46  # its central directory entry
    crc[entry + 16] ^= 0xFF  # the CRC-32 that zipfile checks
    assert "is damaged or crafted" in refused(bytes(crc))


def test_xml_that_would_build_a_huge_tree_is_refused_while_streaming(monkeypatch):
    from translator.text.formats import docx as word

    monkeypatch.setattr(word, "MAX_XML_BYTES", 2 * 2**20)
    long_text = with_body(b"<w:p><w:r><w:t>" + b"a" * 3_000_000 + b"</w:t></w:r></w:p>")
    assert refused(long_text) == "report.docx has more than 2 MB of XML; it can't be read safely."
    monkeypatch.setattr(word, "MAX_XML_ELEMENTS", 1_000)
    assert (
        refused(with_body(b"<w:p/>" * 1_000))
        == "report.docx has more than 1,000 XML elements; it can't be read safely."
    )
