"""The Translate tab's engine choice, sentence packing with its flags and retry, the coverage check and file upload,
through the API a gradio_client user calls (the tiny-model app, offline)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

TEXT = "The house is big. The river runs to the city. The dog sees the car.\n\nParis is the capital of France."
SRT = (
    "1\n00:00:01,000 --> 00:00:02,500\nThe house is big.\n\n"
    "2\n00:00:03,000 --> 00:00:04,250\nThe river runs to the city.\n<i>Paris</i> is far.\n\n"
    "3\n01:02:03,004 --> 01:02:05,006\nThe house is big.\n"
)
TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}$", re.M)


def settings(engine="auto", pack=False, chunk_tokens=0, precision="fp32"):
    """The Translate tab's settings after the text box: model, precision, beams, n-best, length penalty, no-repeat,
    max chunk tokens, engine, pack."""
    return ["tiny-marian", precision, 2, 1, 1.0, 0, chunk_tokens, engine, pack]


def translate(client, text=TEXT, **kwargs):
    return client.predict(text, *settings(**kwargs), api_name="/translate")


def flagged_in_warning(warnings: str) -> int:
    found = re.search(r"(\d+) of (\d+) chunks may be missing part of their source", warnings)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("engine", ["transformers", "ctranslate2"])
def test_the_chosen_engine_runs_and_the_run_line_says_so(client, engine):
    _, warnings, _, _, ran = translate(client, engine=engine)
    assert f"**engine:** {engine} ·" in ran and ran.endswith(f"**engine choice:** {engine}")
    assert "Translated with" not in warnings  # no auto note when the user chose


def test_auto_says_which_engine_ran_and_why(client):
    _, warnings, _, _, ran = translate(client, engine="auto")
    engine = re.search(r"\*\*engine:\*\* (\w+) .*\*\*engine choice:\*\* auto, which took \1 ", ran).group(1)
    # the tiny Marian converts, so auto takes the fast engine; the note under the run line gives the reason: it
    # informs, so it is no warning, and it names no API argument
    assert engine == "ctranslate2"
    assert "\n\n> ℹ️ Translated with CTranslate2" in ran and "engine=" not in ran
    assert "Translated with" not in warnings


def test_unknown_engine_is_one_sentence(client):
    with pytest.raises(AppError, match="not in the list of choices"):  # gradio checks the dropdown's value
        translate(client, engine="onnx")


def test_packed_chunks_are_marked_and_counted_and_retried(client):
    _, warnings, _, viewer, _ = translate(client, pack=True)
    rows = viewer.count("<tr style=")
    assert rows == 2  # two paragraphs, each packed into one chunk under the default 96 tokens
    marked = set(re.findall(r"chunk (\d+): \d+ tokens; ⚑ possibly missing part of the source", viewer))  # titles
    assert len(marked) == flagged_in_warning(warnings) > 0  # a random tiny model never ends a sentence: all flagged
    assert "fewer sentences than the source" in viewer  # the first chunk's three sentences come back as one
    assert "translate them again sentence by sentence" in warnings and "retry_flagged" not in warnings
    assert "Press <b>Re-translate flagged chunks sentence by sentence</b>, just below" in warnings

    _, warnings, _, viewer, ran = client.predict(TEXT, *settings(pack=True), api_name="/retry_flagged")
    assert "translated again sentence by sentence" in ran and "Press" not in warnings
    assert viewer.count("<tr style=") == 4  # the three-sentence chunk is now three one-sentence chunks
    assert "fewer sentences than the source" not in viewer


def test_sentence_by_sentence_gives_one_chunk_per_sentence(client):
    _, _, _, viewer, _ = translate(client, pack=False, chunk_tokens=0)
    assert viewer.count("<tr style=") == 4


def test_coverage_of_one_chunk_marks_the_source(client):
    translate(client, engine="transformers")
    html = client.predict(2, api_name="/coverage")  # chunk 2 of the session's last translation
    assert 'class="coverage"' in html and "coverage-source" in html
    assert "The river runs to the city." in re.sub(r"<[^>]+>", "", html)  # the source of chunk 2, drawn
    assert re.search(r"(\d+) of (\d+) source tokens received almost no attention|Every source token", html)
    with pytest.raises(AppError, match="Pick a chunk number from 1 to 4"):
        client.predict(9, api_name="/coverage")


def test_coverage_of_a_fast_engine_translation_runs_on_transformers(client):
    translate(client, engine="ctranslate2", precision="auto")  # int8 on a CPU: a type transformers doesn't have
    html = client.predict(1, api_name="/coverage")
    assert 'class="coverage"' in html and "The house is big." in re.sub(r"<[^>]+>", "", html)


def test_srt_comes_back_as_srt_with_timestamps_intact(client, tmp_path):
    source = tmp_path / "talk.srt"
    source.write_text(SRT, encoding="utf-8")
    path, notes, viewer, ran = client.predict(handle_file(str(source)), *settings(), api_name="/translate_file")
    out = Path(path)
    assert out.name == "talk.de.srt"  # same base name, target language, same format
    text = out.read_text(encoding="utf-8")
    assert TIMESTAMP.findall(text) == TIMESTAMP.findall(SRT)
    assert re.findall(r"^\d+$", text, re.M) == ["1", "2", "3"]  # cue numbers kept
    assert "The house is big." not in text  # the cue text was translated
    # the two identical cues were translated once and got the same text
    cues = [block.split("\n", 2)[2] for block in text.strip().split("\n\n")]
    assert cues[0] == cues[2]
    assert 'class="chunk-viewer"' in viewer and "The river runs to the city." in viewer
    assert "tiny-marian" in ran


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("report.docx", b"plain text, not a zip archive", "report.docx is not a Word document"),
        ("talk.srt", b"no cues here at all.\n", "talk.srt has no cues with timestamps"),
        ("notes.txt", "\N{LATIN SMALL LETTER E WITH ACUTE}".encode("latin-1") + b" text", "notes.txt is not UTF-8"),
        ("big.txt", b"word " * 20_001, "characters"),
    ],
)
def test_a_bad_file_is_one_sentence(client, tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(AppError, match=message) as failure:
        client.predict(handle_file(str(path)), *settings(), api_name="/translate_file")
    assert str(failure.value).count(". ") <= 1 and "Traceback" not in str(failure.value)


def test_a_file_of_another_type_is_refused(client, tmp_path):
    path = tmp_path / "slides.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(AppError, match="file"):
        client.predict(handle_file(str(path)), *settings(), api_name="/translate_file")


@pytest.mark.parametrize("engine", ["auto", "transformers"])
def test_8bit_on_a_cpu_gets_one_coherent_note(client, engine):
    _, warnings, _, _, ran = translate(client, engine=engine, precision="8bit")
    said = re.findall(r"[^.>]*8bit[^.]*\.", warnings + ran)
    # one sentence about what 8bit became here: CTranslate2's int8, or (on transformers) 4-bit NF4 for want of CUDA;
    # never both "loaded 4bit instead" and "8bit runs on transformers"
    assert len(said) <= 1, said
    precision = re.search(r"\*\*precision:\*\* (\w+)", ran).group(1)
    assert precision in ("int8", "4bit") and (precision == "int8") == (engine == "auto")
    if precision == "4bit":
        assert said and "loaded 4bit (NF4) instead" in said[0]
