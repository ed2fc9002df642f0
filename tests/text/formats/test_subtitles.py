"""Subtitles on other people's test files (pysubs2 1.8.1, webvtt-py 0.6.0; see tests/fixtures/subtitles/README.md).

The oracle is pysubs2: the file we write, read back by pysubs2, has the same cues at the same times,
each with its text translated. pysubs2 reads everything up to the next timing line into a cue, and
a cue ends at a blank line: what follows one (a WebVTT note or identifier, stray SRT text) stays
as it is, and in an SRT file is named in the warnings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pysubs2
import pytest

from translator import InputError
from translator.text.formats import parse_document

FOLDER = Path(__file__).parents[2] / "fixtures" / "subtitles"
# pysubs2 reads no cue in non_padded_timestamps.vtt (0:0:0.0): it is refused, below
FIXTURES = sorted(p for p in FOLDER.glob("*.[sv][rt][tt]") if p.name != "non_padded_timestamps.vtt")
KARAOKE = re.compile(r"<\d[^<>\n]*>")
TAG = re.compile(r"<\s*(/?)\s*([^\s./<>]*)[^<>\n]*>")


def cues(data: bytes, name: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, its blocks: text between blank lines, whitespace collapsed) of each cue, as pysubs2 reads it."""
    text = data.decode("utf-8-sig").replace("\r\n", "\n")
    events = pysubs2.SSAFile.from_string(text, format_=name.rsplit(".", 1)[1])
    # pysubs2 keeps WebVTT's karaoke timestamps (<00:17.500>) in the text; the translation drops them
    blocks = [re.split(r"\n\s*\n", KARAOKE.sub("", e.plaintext)) for e in events]
    return [(e.start, e.end, [" ".join(b.split()) for b in cue]) for e, cue in zip(events, blocks, strict=True)]


def unmatched(text: str) -> list[str]:
    """The HTML-like tags of ``text`` without a partner: closings with no opening, openings never closed."""
    stack: list[str] = []
    orphans = []
    for closing, name in TAG.findall(text):
        if not name or name[0].isdigit():
            continue  # WebVTT timestamps stand alone
        if not closing:
            stack.append(name.lower())
        elif name.lower() in stack:
            del stack[len(stack) - 1 - stack[::-1].index(name.lower()) :]
        else:
            orphans.append(f"</{name.lower()}>")
    return orphans + [f"<{name}>" for name in stack if name != "v"]  # a voice span needs no closing tag


def named(warnings: tuple[str, ...]) -> set[int]:
    return {int(n) for w in warnings for n in re.findall(r"cue (\d+) \(", w)}


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_outside_files_keep_every_cue_and_time_and_translate_every_cue_not_named(path):
    data = path.read_bytes()
    document = parse_document(data, path.name)
    assert document.rebuild(document.units) == data  # the identity rule: untouched units, the same bytes
    out = document.rebuild([unit.upper() for unit in document.units])
    before, after = cues(data, path.name), cues(out, path.name)
    assert [(s, e) for s, e, _ in after] == [(s, e) for s, e, _ in before]
    left = named(document.warnings)
    for number, ((_, _, source), (_, _, text)) in enumerate(zip(before, after, strict=True), 1):
        assert text == [source[0].upper(), *source[1:]], (number, source, text)
        if path.suffix == ".srt" and any(re.search("[^\\W\\d_]", block) for block in source[1:]):
            assert number in left
    # every tag the output has without a partner was without one in the source
    orphans = unmatched(out.decode("utf-8-sig"))
    source_orphans = unmatched(data.decode("utf-8-sig"))
    assert all(orphans.count(tag) <= source_orphans.count(tag) for tag in orphans)


def test_fixtures_cover_tags_karaoke_malformed_times_and_gaps():
    assert len(FIXTURES) >= 20
    counts = {p.name: len(parse_document(p.read_bytes(), p.name).units) for p in FIXTURES}
    assert counts["netflix_chicas_del_cable.vtt"] > 800 and counts["pysubs2_read_malformed.srt"] == 2


def test_a_cue_followed_directly_by_a_timing_line_reads_as_pysubs2_reads_it():
    # yt-dlp auto-captions: no blank line between cues (issue 23)
    source = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nyeah\n00:00:02.000 --> 00:00:03.000\nthis\n"
    document = parse_document(source.encode(), "auto.vtt")
    assert document.units == ("yeah", "this")
    assert [text for _, _, text in cues(source.encode(), "auto.vtt")] == [["yeah"], ["this"]]
    out = document.rebuild(["ja", "das"]).decode()
    assert out == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nja\n00:00:02.000 --> 00:00:03.000\ndas\n"


@pytest.mark.parametrize(
    ("cue", "translated", "dropped"),
    [
        ("I said <i>no</i>", "T", True),  # the tags go together, never "I said no</i>"
        ("<i>Hello</i> world", "T", True),  # never "<i>Hello world"
        ("<i>Hello world</i>", "<i>T</i>", False),
        ("{\\an8}<b>Hello</b> world", "{\\an8}T", True),
        ("<i>Hello</i>\n<i>world</i>", "<i>T</i>", False),  # italic lines stay italic
        ("<i>Hello</i>\nworld", "T", True),
        ("<v Roger>Hello <b>world</b>", "<v Roger>T", True),
    ],
)
def test_tags_stay_balanced(cue, translated, dropped):
    source = f"1\n00:00:01,000 --> 00:00:02,000\n{cue}\n"
    document = parse_document(source.encode(), "a.srt")
    assert len(document.units) == 1
    assert document.rebuild(["T"]).decode() == f"1\n00:00:01,000 --> 00:00:02,000\n{translated}\n"
    assert bool(document.warnings) == dropped
    assert document.rebuild(document.units).decode() == source


def test_styles_colours_cue_3_keeps_its_outer_font_tag_and_says_the_inner_ones_went():
    path = next(p for p in FIXTURES if p.name == "styles_colours.srt")
    document = parse_document(path.read_bytes(), path.name)
    assert document.units[1] == "Some italic and normal coloured text. By the way, 2 &lt; 3 !"
    out = document.rebuild([f"T{i}" for i in range(len(document.units))]).decode()
    assert '00:00:32,439 --> 00:00:35,320\n<font color="#ff00ff">T1</font>\n' in out
    assert document.warnings == (
        "1 subtitle cue(s) had formatting tags inside their text (cue 3 (00:00:32,439)); those tags were dropped "
        "in the translation, and tags around a whole cue stay.",
    )


@pytest.mark.parametrize(
    "timing",
    [
        "00:00:01,000-->00:00:02,000",
        "-00:00:01,000 --> 00:00:02,000",
        "0:0:1,5 --> 0:0:2,25",
        "00:00:01.000 ->00:00:02.000",
        "  00:00:01,000 --> 00:00:02,000  X1:63 X2:223",
    ],
)
def test_timing_lines_pysubs2_reads_are_cues(timing):
    source = f"1\n{timing}\nThe house is big.\n\n2\n00:00:03,000 --> 00:00:04,000\nThe river.\n"
    document = parse_document(source.encode(), "a.srt")
    assert document.units == ("The house is big.", "The river.")
    assert document.rebuild(["A", "B"]).decode() == source.replace("The house is big.", "A").replace("The river.", "B")
    assert document.warnings == ()


def test_text_pysubs2_reads_into_a_cue_after_a_blank_line_is_named_when_left():
    source = (
        "1\n00:00:01,000 --> 00:00:02,000\nThe house.\n\nThe river.\n\n2\n00:00:03,000 --> 00:00:04,000\nThe king.\n"
    )
    document = parse_document(source.encode(), "film.srt")
    assert document.units == ("The house.", "The king.")
    assert document.warnings == (
        "1 subtitle cue(s) of film.srt have more text after a blank line (cue 1 (00:00:01,000)); "
        "that text was left untranslated.",
    )
    # WebVTT notes, styles and cue identifiers between cues are not cue text
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\nThe house.\n\nNOTE a note\n\nintro\n00:03.000 --> 00:04.000\nThe king.\n"
    assert parse_document(vtt.encode(), "a.vtt").warnings == ()


def test_numbers_and_identifiers_are_never_units():
    source = "1\n00:00:01,000 --> 00:00:02,000\nThe house.\n2\n00:00:03,000 --> 00:00:04,000\nThe king.\n"
    assert parse_document(source.encode(), "a.srt").units == ("The house.", "The king.")


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("a.srt", b"Hello there.\nNo cues here.\n", "a.srt has no cues with timestamps; it is not a valid SRT file."),
        ("a.vtt", b"WEBVTT\n\nno cues\n", "a.vtt has no cues with timestamps; it is not a valid WebVTT file."),
        ("a.srt", b"1\n00:00:01,000 --> 00:00:02,000\n\xe2\x99\xaa\n", "a.srt has no text to translate."),
        (
            "a.vtt",
            (FOLDER / "non_padded_timestamps.vtt").read_bytes(),
            "a.vtt has no cues with timestamps; it is not a valid WebVTT file.",
        ),
    ],
)
def test_bad_files_get_one_sentence(name, data, says):
    with pytest.raises(InputError) as caught:
        parse_document(data, name)
    assert str(caught.value) == says
