from __future__ import annotations

import io
import zipfile

import docx
import pysubs2
import pytest

from translator import InputError, translate
from translator.tasks.files.documents import translate_document
from translator.text.formats import markdown as doc_markdown
from translator.text.formats import parse_document

MARKDOWN = """---
title: The house
---

# The house `is` big #

Run `pip install house` and see [the docs](http://x.org/a_(b) "Docs") or <http://y.org>.
The river is **very** long: https://example.com/river. <b>Paris</b> is the capital.

> A quote about the city.

- The first item
- The second item

| Country | Capital |
|---|---|
| France | Paris |

```python
print("the house is big")
```

<div>
An HTML block stays.
</div>

[ref]: http://z.org
A [reference link][ref] here.
"""
# every translatable run replaced by <i>; everything else must come back byte for byte
MARKDOWN_MARKED = """---
title: The house
---

# \\<0\\> `is` \\<1\\> #

\\<2\\> `pip install house` \\<3\\> [\\<4\\>](http://x.org/a_(b) "Docs") \\<5\\> <http://y.org>.
\\<6\\> **\\<7\\>** \\<8\\> https://example.com/river. <b>\\<9\\></b> \\<10\\>

> \\<11\\>

- \\<12\\>
- \\<13\\>

| \\<14\\> | \\<15\\> |
|---|---|
| \\<16\\> | \\<17\\> |

```python
print("the house is big")
```

<div>
An HTML block stays.
</div>

[ref]: http://z.org
\\<18\\> [\\<19\\>][ref] \\<20\\>
"""
SRT = """1
00:00:01,000 --> 00:00:02,500
The house is big.
The river runs.

2
00:00:03,000 --> 00:00:04,000
<i>Paris is the capital.</i>

7
00:00:05,000 --> 00:00:06,000
♪♪

8
00:00:07,000 --> 00:00:08,250
{\\an8}The king and the <b>queen</b>.
"""
VTT = """WEBVTT

NOTE a comment that stays

intro
00:00:01.000 --> 00:00:02.500 align:start position:10%
<v Roger>The house is big.
- The river runs.

00:03.000 --> 00:04.000
Paris is the capital.
"""
TEXT = "The house is big.\nThe river runs.\n\n\n   Paris is the capital!  \n\n42\n"
OPTIONS = {"model": "tiny-marian", "num_beams": 2}


def same_file(a: bytes, b: bytes) -> bool:
    """Equal bytes, or for a .docx (a zip that stamps the time it was saved) equal parts."""
    if not a.startswith(b"PK"):
        return a == b
    parts = [zipfile.ZipFile(io.BytesIO(data)) for data in (a, b)]
    return [(i.filename, parts[0].read(i)) for i in parts[0].infolist()] == [
        (i.filename, parts[1].read(i)) for i in parts[1].infolist()
    ]


def marked(document) -> str:
    return document.rebuild([f"<{i}>" for i in range(len(document.units))]).decode()


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading("The house is big", level=1)
    document.add_paragraph("The river runs to the city.", style="Quote")
    mixed = document.add_paragraph("Paris is ", style="List Bullet")
    mixed.add_run("the capital").bold = True
    mixed.add_run(" of France.")
    document.add_paragraph("1999")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "The king"
    table.cell(0, 1).text = "42"
    document.sections[0].header.paragraphs[0].text = "The museum"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_markdown_sends_only_text_and_keeps_code_urls_links_html_and_front_matter():
    document = parse_document(MARKDOWN.encode(), "notes.md")
    assert document.units[:4] == ("The house", "big", "Run", "and see")
    assert "the docs" in document.units and "very" in document.units and "Paris" in document.units
    for structure in ("pip install", "http", "print(", "HTML block", "title:", "<b>", "Docs", "z.org", "[", "]"):
        assert not any(structure in unit for unit in document.units), structure
    assert marked(document) == MARKDOWN_MARKED
    assert document.warnings == ()


def test_markdown_escapes_entities_and_snake_case_are_read_as_the_parser_reads_them():
    source = "Fish &copy chips, \\&amp; and &amp; a snake_case_word _here_ and [a [nested] link](x).\n"
    document = parse_document(source.encode(), "a.md")
    assert document.units == ("Fish &copy chips, &amp; and & a snake_case_word", "here", "and", "a [nested] link")
    assert document.warnings == ()
    assert document.rebuild(document.units).decode() == source  # left as they are: the source, byte for byte
    # translations are written back as text, never as markup: the same characters render
    assert document.rebuild([unit.upper() for unit in document.units]).decode() == (
        "FISH \\&COPY CHIPS, \\&AMP; AND \\& A SNAKE\\_CASE\\_WORD _HERE_ AND [A \\[NESTED\\] LINK](x).\n"
    )


def test_markdown_a_block_whose_markup_cannot_be_placed_is_translated_without_it_and_named(monkeypatch):
    def lost(*args):
        raise doc_markdown.Unplaced

    monkeypatch.setattr(doc_markdown, "find_ticks", lost)
    source = b"Run `this` now.\n\nThe house is big.\n"
    document = parse_document(source, "a.md")
    assert document.units == ("Run this now.", "The house is big.")
    assert marked(document) == "\\<0\\>\n\n\\<1\\>\n"
    assert document.warnings == (
        "The Markdown block at line 1 (“Run `this` now.”) has markup that could not be placed exactly; "
        "it was translated with its inline markup dropped.",
    )
    assert document.rebuild(document.units) == source


@pytest.mark.parametrize(("name", "source"), [("film.srt", SRT), ("film.vtt", VTT)])
def test_subtitles_keep_numbers_timestamps_settings_and_notes(name, source):
    document = parse_document(source.encode(), name)
    assert document.rebuild(document.units) == source.encode() or document.warnings  # tags inside went
    out = marked(document)
    kind = name.rsplit(".", 1)[1]
    before, after = pysubs2.SSAFile.from_string(source, format_=kind), pysubs2.SSAFile.from_string(out, format_=kind)
    assert [(e.start, e.end) for e in before] == [(e.start, e.end) for e in after]
    kept = [line for line in source.splitlines() if "-->" in line or line.strip().isdigit() or line.isupper()]
    assert all(line in out.splitlines() for line in kept)
    assert not any("-->" in unit or unit.strip().isdigit() for unit in document.units)


def test_srt_tags_around_a_cue_stay_and_tags_inside_are_reported():
    document = parse_document(SRT.encode(), "film.srt")
    assert document.units == (
        "The house is big.\nThe river runs.",
        "Paris is the capital.",
        "The king and the queen.",
    )
    out = marked(document)
    assert "<i><1></i>" in out and "{\\an8}<2>" in out and "\n♪♪\n" in out
    assert document.warnings and "1 subtitle cue" in document.warnings[0]


def test_vtt_voice_tag_and_cue_settings_stay():
    out = marked(parse_document(VTT.encode(), "film.vtt"))
    assert "00:00:01.000 --> 00:00:02.500 align:start position:10%\n<v Roger><0>\n\n" in out
    assert out.startswith("WEBVTT\n\nNOTE a comment that stays\n\nintro\n")


def test_plain_text_paragraphs_gaps_bom_and_crlf_kept():
    source = ("\ufeff" + TEXT.replace("\n", "\r\n")).encode()
    document = parse_document(source, "a.txt")
    assert document.units == ("The house is big.\nThe river runs.", "Paris is the capital!")
    assert document.rebuild(document.units) == source
    assert marked(document).encode() == ("\ufeff<0>\r\n\r\n\r\n   <1>  \r\n\r\n42\r\n").encode()


def test_docx_paragraph_styles_kept_and_mixed_formatting_reported():
    data = docx_bytes()
    document = parse_document(data, "report.docx")
    assert document.units == (
        "The house is big",
        "The river runs to the city.",
        "Paris is the capital of France.",
        "The king",
        "The museum",
    )
    assert len(document.warnings) == 1 and "1 paragraph(s) mix formatting" in document.warnings[0]
    out = docx.Document(io.BytesIO(document.rebuild([f"T{i}" for i in range(5)])))
    source = docx.Document(io.BytesIO(data))
    assert [p.style.name for p in out.paragraphs] == [p.style.name for p in source.paragraphs]
    assert [p.text for p in out.paragraphs] == ["T0", "T1", "T2", "1999"]
    assert [r.bold for r in out.paragraphs[2].runs] == [None, True, None]  # runs stay; their text moved
    assert out.tables[0].cell(0, 0).text == "T3" and out.tables[0].cell(0, 1).text == "42"
    assert out.sections[0].header.paragraphs[0].text == "T4"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", TEXT.encode()),
        ("notes.md", MARKDOWN.encode()),
        ("film.srt", SRT.encode()),
        ("film.vtt", VTT.encode()),
        ("report.docx", docx_bytes()),
    ],
    ids=["txt", "md", "srt", "vtt", "docx"],
)
def test_each_format_round_trips_every_unit_getting_its_translate_output(tiny, name, data):
    result = translate_document(data, name, **OPTIONS)
    document = parse_document(data, name)
    expected = [translate(unit, **OPTIONS).text for unit in document.units]
    assert list(result.translations) == expected
    assert same_file(result.data, document.rebuild(expected))  # and rebuild() keeps the structure (tests above)
    assert result.units == document.units and result.name == name
    assert all(note in result.warnings for note in document.warnings)
    # the chunk viewer's input covers each distinct unit once, in order, and its chunks tile it
    distinct = list(dict.fromkeys(document.units))
    assert result.translation.source == "\n\n".join(distinct)
    assert [c.index for c in result.translation.chunks] == list(range(len(result.translation.chunks)))
    assert all(c.text == result.translation.source[c.char_start : c.char_end] for c in result.translation.chunks)
    assert result.model == "tiny-marian" and result.seconds > 0


def test_many_groups_give_the_same_translations_as_one(tiny, settings_with):
    data = SRT.encode()
    whole = translate_document(data, "film.srt", **OPTIONS)
    settings_with(max_chars_translate=40)  # one cue per translate() call
    parts = translate_document(data, "film.srt", **OPTIONS)
    assert parts.data == whole.data and parts.translation.text == whole.translation.text
    assert [c.text for c in parts.translation.chunks] == [c.text for c in whole.translation.chunks]


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("report.docx", b"just some text", "not a Word document"),
        ("report.docx", b"PK\x03\x04 broken", "not a Word document"),
        ("film.srt", b"Hello there.\nNo cues here.\n", "not a valid SRT file"),
        ("film.vtt", b"WEBVTT\n\nno cues at all\n", "not a valid WebVTT file"),
        ("notes.txt", b"\xff\xfe\x00binary", "not UTF-8 text"),
        ("notes.txt", b"abc\x00\x01\x02def", "binary data"),
        ("notes.md", b"   \n\n", "is empty"),
        ("notes.md", b"```\ncode only\n```\n", "no text to translate"),
        ("slides.pdf", b"%PDF-1.7", "use a .docx, .markdown, .md, .srt, .txt, .vtt file"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_gets_one_clear_sentence(tiny, name, data, says):
    with pytest.raises(InputError) as caught:
        translate_document(data, name, **OPTIONS)
    message = str(caught.value)
    assert says in message and name in message
    assert "\n" not in message and message.endswith(".")


def test_upload_size_and_characters_per_file_are_limited(tiny, settings_with, tmp_path):
    settings_with(max_upload_bytes=1_000, max_chars_document=200)
    big = tmp_path / "big.txt"
    big.write_bytes(b"The house is big. " * 100)
    with pytest.raises(InputError, match=r"big.txt is 1,800 bytes; files up to 1,000 bytes can be translated"):
        translate_document(big, **OPTIONS)
    with pytest.raises(InputError, match=r"The file big.txt is 900 characters long; the limit is 200\."):
        translate_document(b"The house is big. " * 50, "big.txt", **OPTIONS)
    with pytest.raises(InputError, match="Give the file's name"):
        translate_document(b"The house is big.", **OPTIONS)
