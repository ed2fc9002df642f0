"""extract_units and merge_units: the units out, translations back in, and the identity rule on every file we accept."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import pytest

from translator import InputError, extract_units, merge_units
from translator.__main__ import main

FIXTURES = Path(__file__).parents[2] / "fixtures"
MARKDOWN = "# The house\n\nSee [the docs] and `code`.\nA second line.\n\n[the docs]: http://x.org\n"
SRT = "1\n00:00:01,000 --> 00:00:02,000\nThe house is big.\n\n2\n00:00:03,000 --> 00:00:04,000\n<i>The king.</i>\n"


def word_file() -> bytes:
    document = docx.Document()
    document.add_paragraph("The house is big.")
    document.add_paragraph("The river runs.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def outside_files() -> list[Path]:
    return sorted(p for folder in ("subtitles", "docx") for p in (FIXTURES / folder).iterdir() if p.suffix != ".md")


FILES = {
    "notes.txt": "\ufeffThe house is big.\r\nThe river runs.\r\n\r\n42\r\n".encode(),
    "notes.md": MARKDOWN.encode(),
    "film.srt": SRT.encode(),
    "film.vtt": b"WEBVTT\n\n00:01.000 --> 00:02.000 align:start\n<v Roger>The house is big.\n",
    "report.docx": word_file(),
}


@pytest.mark.parametrize("name", list(FILES))
def test_merging_the_units_themselves_gives_the_file_back_byte_for_byte(name):
    data = FILES[name]
    extracted = extract_units(data, name)
    assert extracted.units and all(isinstance(unit, str) for unit in extracted.units)
    assert merge_units(data, name, extracted.units) == data


@pytest.mark.parametrize("path", outside_files(), ids=lambda p: p.name)
def test_the_identity_rule_holds_on_outside_files(path):
    data = path.read_bytes()
    try:
        extracted = extract_units(data, path.name)
    except InputError as error:
        pytest.skip(f"refused, and the rule is for the files we accept: {error}")
    assert merge_units(data, path.name, extracted.units) == data


def test_translations_go_where_their_units_were():
    extracted = extract_units(MARKDOWN.encode(), "notes.md")
    assert extracted.units == ["The house", "See", "the docs", "and", "A second line."]
    assert extracted.format == "markdown" and extracted.name == "notes.md"
    out = merge_units(MARKDOWN.encode(), "notes.md", ["Das Haus", "Siehe", "die Doku", "und", "Eine zweite Zeile."])
    assert out.decode() == (
        "# Das Haus\n\nSiehe [die Doku][the docs] und `code`.\nEine zweite Zeile.\n\n[the docs]: http://x.org\n"
    )
    # one unit changed, the others left: those keep their own bytes
    keep = merge_units(SRT.encode(), "film.srt", ["Das Haus ist groß.", "The king."])
    assert keep.decode() == SRT.replace("The house is big.", "Das Haus ist groß.")


def test_records_keep_their_rows_and_get_the_translation_in_a_field_of_its_own():
    rows = '{"id": 1, "text": "The house."}\n\n{"id": 2, "text": "The king."}\n'
    extracted = extract_units(rows.encode(), "rows.jsonl")
    assert extracted.units == ["The house.", "The king."] and extracted.format == "jsonl"
    out = merge_units(rows.encode(), "rows.jsonl", ["Das Haus.", "Der König."], output_field="de")
    lines = out.decode().split("\n")
    assert json.loads(lines[0]) == {"id": 1, "text": "The house.", "de": "Das Haus."} and lines[1] == ""
    assert extract_units(b"id\tsrc\n1\tThe house.\n", "rows.tsv", field="src").units == ["The house."]


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda: merge_units(SRT.encode(), "film.srt", ["one"]), "film.srt has 2 units, and 1 translations were given"),
        (lambda: merge_units(SRT.encode(), "film.srt", "one two"), "film.srt has 2 units, and 1 translations"),
        (lambda: merge_units(SRT.encode(), "film.srt", ["a", 2]), "Every translation must be text"),
        (lambda: extract_units("text", "a.txt"), "Give the file's contents as bytes, not str."),
        (lambda: extract_units(b"%PDF", "a.pdf"), "Can't translate a.pdf: use a .docx, .jsonl, .markdown"),
    ],
)
def test_wrong_calls_get_one_sentence(call, says):
    with pytest.raises(InputError) as caught:
        call()
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_cli_extract_then_merge_a_translated_units_file(tmp_path, capsys):
    source = tmp_path / "film.srt"
    source.write_bytes(SRT.encode())
    units = tmp_path / "units.jsonl"
    assert main(["extract", str(source), "-o", str(units)]) == 0
    lines = [json.loads(line) for line in units.read_text(encoding="utf-8").splitlines()]
    assert lines == [{"text": "The house is big."}, {"text": "The king."}]
    assert main(["merge", str(source), str(units), "-o", str(tmp_path / "same.srt")]) == 0
    assert (tmp_path / "same.srt").read_bytes() == source.read_bytes()  # no translations yet: the file itself
    units.write_text("".join(json.dumps({**line, "translation": line["text"].upper()}) + "\n" for line in lines))
    assert main(["merge", str(source), str(units), "-o", str(tmp_path / "out.srt")]) == 0
    expected = merge_units(SRT.encode(), "film.srt", ["THE HOUSE IS BIG.", "THE KING."])
    assert (tmp_path / "out.srt").read_bytes() == expected and b"<i>THE KING.</i>" in expected
    assert "Wrote 2 units of film.srt" in capsys.readouterr().out
    units.write_text('{"text": "one"}\n')
    assert main(["merge", str(source), str(units), "-o", str(tmp_path / "bad.srt")]) == 2
    assert "film.srt has 2 units, and 1 translations were given" in capsys.readouterr().err
