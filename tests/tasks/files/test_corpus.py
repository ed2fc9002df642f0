from __future__ import annotations

import json

import pytest

import translator.tasks.files.documents as documents_task
from translator import InputError, translate
from translator.__main__ import main
from translator.tasks.files import corpus
from translator.tasks.files.corpus import progress_path, translate_corpus
from translator.tasks.files.documents import translate_document

OPTIONS = {"model": "tiny-marian", "num_beams": 2}
SENTENCES = [
    "The house is big.",
    "The river runs to the city.",
    "Paris is the capital of France.",
    "The museum was built in the last century.",
    "London and Berlin.",
    "The king and the queen.",
    "A new line starts here.",
    "The team has a new school.",
    "The house is big.",  # a repeat: translated once
    "The world of music.",
]
SRT = "1\n00:00:01,000 --> 00:00:02,000\nThe house is big.\n\n2\n00:00:03,000 --> 00:00:04,000\nThe king.\n"
MARKDOWN = "# The city\n\nSee `code` and [the museum](http://m.org).\n"


@pytest.fixture
def corpus_files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    rows = [{"id": i, "text": text} for i, text in enumerate(SENTENCES)]
    (folder / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    tsv = "id\ttext\n" + "".join(f"{i}\t{text}\n" for i, text in enumerate(SENTENCES[:4]))
    (folder / "rows.tsv").write_text(tsv, encoding="utf-8")
    (folder / "film.srt").write_text(SRT, encoding="utf-8")
    (folder / "notes.md").write_text(MARKDOWN, encoding="utf-8")
    return sorted(folder.iterdir())


def count_translate_calls(monkeypatch) -> list[str]:
    """Every text translate() gets from the document and corpus paths, one entry per unit sent."""
    seen: list[str] = []

    def counting(text: str, **options):
        seen.extend(text.split(documents_task.SEPARATOR))
        return translate(text, **options)

    monkeypatch.setattr(documents_task, "translate", counting)
    return seen


def test_cli_writes_what_the_app_and_translate_give_for_the_same_text(tiny, corpus_files, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["translate", *map(str, corpus_files), "-o", str(out), "--model", "tiny-marian", "--beams", "2"])
    assert code == 0
    assert "wrote" in capsys.readouterr().out
    for name in ("film.srt", "notes.md"):  # documents: byte for byte what the Translate tab's backend makes
        app = translate_document((tmp_path / "in" / name).read_bytes(), name, **OPTIONS, engine="auto")
        assert (out / name).read_bytes() == app.data
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == list(range(len(SENTENCES)))  # input order, other fields kept
    assert [row["translation"] for row in rows] == [translate(s, **OPTIONS).text for s in SENTENCES]
    lines = (out / "rows.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id\ttext\ttranslation"
    assert [line.split("\t")[2] for line in lines[1:]] == [translate(s, **OPTIONS).text for s in SENTENCES[:4]]
    assert not progress_path(out).exists()  # removed once every output is written


def test_resume_after_an_interrupt_translates_only_what_was_missing(tiny, corpus_files, tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "GROUP_UNITS", 3)  # the progress file is written every 3 units
    inputs, out = [p for p in corpus_files if p.suffix == ".jsonl"], tmp_path / "rows.jsonl"
    seen = count_translate_calls(monkeypatch)

    def stop_after_six(done: int, total: int) -> None:
        if done >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        translate_corpus(inputs, out, on_progress=stop_after_six, **OPTIONS)
    first = list(seen)
    distinct = list(dict.fromkeys(SENTENCES))
    assert first == distinct[:6] and not out.exists()
    saved = progress_path(out).read_text(encoding="utf-8").splitlines()
    assert len(saved) == 1 + 6  # the settings line, then one line per finished unit

    seen.clear()
    report = translate_corpus(inputs, out, **OPTIONS)
    assert seen == distinct[6:]  # nothing translated twice, nothing lost
    assert (report.resumed, report.translated, report.distinct) == (6, len(distinct) - 6, len(distinct))
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["translation"] for row in rows] == [translate(s, **OPTIONS).text for s in SENTENCES]
    assert not progress_path(out).exists()


def test_a_line_cut_short_by_a_crash_is_dropped_and_translated_again(tiny, corpus_files, tmp_path, monkeypatch):
    inputs, out = [p for p in corpus_files if p.suffix == ".jsonl"], tmp_path / "rows.jsonl"
    monkeypatch.setattr(corpus, "GROUP_UNITS", 2)

    def stop(done: int, total: int) -> None:
        if done >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        translate_corpus(inputs, out, on_progress=stop, **OPTIONS)
    log = progress_path(out)
    log.write_bytes(log.read_bytes()[:-10])  # the last unit's line, half written
    seen = count_translate_calls(monkeypatch)
    translate_corpus(inputs, out, **OPTIONS)
    assert seen == list(dict.fromkeys(SENTENCES))[3:]


def test_other_settings_start_afresh(tiny, corpus_files, tmp_path, monkeypatch):
    inputs, out = [p for p in corpus_files if p.suffix == ".jsonl"], tmp_path / "rows.jsonl"

    def stop(done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        translate_corpus(inputs, out, on_progress=stop, model="tiny-marian", num_beams=1)
    seen = count_translate_calls(monkeypatch)
    report = translate_corpus(inputs, out, **OPTIONS)
    assert report.resumed == 0 and seen == list(dict.fromkeys(SENTENCES))


def test_cli_ctrl_c_says_where_the_work_is_kept_and_exits_130(tiny, corpus_files, tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(corpus, "translate_corpus", interrupted)
    out = tmp_path / "rows.jsonl"
    assert main(["translate", str(corpus_files[2]), "-o", str(out), "--model", "tiny-marian"]) == 130
    assert f"kept in {progress_path(out)}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "content", "options", "says"),
    [
        ("rows.jsonl", '{"id": 1}\n', {}, "Line 1 of rows.jsonl has no text field 'text'"),
        ("rows.jsonl", "{broken\n", {}, "Line 1 of rows.jsonl is not valid JSON"),
        ("rows.tsv", "a\tb\n", {"field": "source"}, None),
        ("slides.pdf", "%PDF", {}, "Can't translate slides.pdf"),
    ],
)
def test_bad_corpus_files_get_one_sentence(tiny, tmp_path, name, content, options, says):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    if says is None:  # a TSV without the named header translates its first column
        translate_corpus([path], tmp_path / "out.tsv", **options, **OPTIONS)
        assert (tmp_path / "out.tsv").read_text(encoding="utf-8") == f"a\tb\t{translate('a', **OPTIONS).text}\n"
        return
    with pytest.raises(InputError, match=says):
        translate_corpus([path], tmp_path / ("out" + path.suffix), **options, **OPTIONS)


def test_outputs_never_overwrite_inputs(tiny, corpus_files):
    with pytest.raises(InputError, match="is the input itself"):
        translate_corpus([corpus_files[0]], corpus_files[0], **OPTIONS)
