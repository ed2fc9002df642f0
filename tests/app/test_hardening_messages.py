"""Messages that misled (issue 24, item 12): each now says what happened and what to do."""

from __future__ import annotations

import json

import pytest

from translator import InputError
from translator.tasks.files.documents import read_upload
from translator.tasks.files.progress_log import ProgressLog

LIMIT = 10_000_000


def test_one_byte_over_the_size_limit_shows_the_bytes():
    with pytest.raises(InputError) as refused:
        read_upload(b"x" * (LIMIT + 1), "notes.txt", max_bytes=LIMIT)
    assert str(refused.value) == "notes.txt is 10,000,001 bytes; files up to 10,000,000 bytes can be translated."
    with pytest.raises(InputError, match=r"is 12\.0 MB; files up to 10\.0 MB"):  # far over: megabytes read better
        read_upload(b"x" * 12_000_000, "notes.txt", max_bytes=LIMIT)


def test_the_download_command_an_offline_message_names_works_for_a_hub_id(tiny, capsys):
    """Offline, an uncached hub id is told to run `translator download <hub id>`: that command must take it and
    fail for the real reason (no hub), not with "Unknown model"."""
    from translator import ModelUnavailableError, load_model
    from translator.__main__ import _download

    with pytest.raises(ModelUnavailableError) as told:
        load_model("someone/uncached-model", "translation")
    assert "translator download someone/uncached-model" in str(told.value)
    assert _download(["someone/uncached-model"]) == 1
    said = capsys.readouterr().err
    assert "Unknown model" not in said and "the hub can't be reached" in said
    with pytest.raises(ModelUnavailableError, match="Unknown model"):  # a name that is no hub id: as before
        _download(["no-such-key"])


def test_a_cut_settings_line_says_what_it_set_aside(tmp_path):
    path = tmp_path / "out.txt.progress.jsonl"
    settings = {"model": "tiny-marian", "num_beams": 2}
    units = [json.dumps({"key": f"k{i}", "text": f"t{i}"}) for i in range(128)]
    path.write_text('{"settings": {"model": "tiny-mar\n' + "\n".join(units) + "\n", encoding="utf-8")
    log = ProgressLog(path, settings)
    assert log.discarded == 128 and log.done == {}
    kept = log.set_aside.read_text(encoding="utf-8").splitlines()
    assert len(kept) == 129  # nothing thrown away: the old lines are kept beside the new file
    assert json.loads(path.read_text(encoding="utf-8")) == {"settings": settings}
    assert ProgressLog(path, settings).discarded == 0  # the new file resumes as usual


def test_a_corpus_run_says_how_many_finished_units_it_set_aside(settings_with, tmp_path):
    settings_with(max_new_tokens=8)  # a random tiny Marian rarely ends a sentence on its own
    from translator import translate_corpus
    from translator.tasks.files.corpus import progress_path

    source = tmp_path / "in.txt"
    source.write_text("The house is new.\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    units = "".join(json.dumps({"key": f"k{i}", "text": f"t{i}"}) + "\n" for i in range(3))
    progress_path(out).write_text('{"settings": {"mo\n' + units, encoding="utf-8")
    report = translate_corpus([source], out, model="tiny-marian", num_beams=1, engine="transformers")
    assert any("held 3 finished units" in warning and ".old" in warning for warning in report.warnings), report.warnings
