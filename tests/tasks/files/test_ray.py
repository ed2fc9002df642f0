from __future__ import annotations

import json

from translator.tasks.files import corpus
from translator.tasks.files.corpus import translate_corpus

WORDS = "the house is big river runs to city paris capital of france king and queen museum".split()
OPTIONS = {"model": "tiny-marian", "num_beams": 2}


def test_ray_with_two_local_actors_gives_the_in_process_output_in_the_same_order(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "RAY_BATCH_UNITS", 6)  # several batches, so both actors get work
    rows = [
        {"n": i, "text": " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(3 + i % 5)) + "."} for i in range(24)
    ]
    source = tmp_path / "rows.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    film = tmp_path / "film.srt"
    film.write_text("1\n00:00:01,000 --> 00:00:02,000\nThe king.\n\n2\n00:00:03,000 --> 00:00:04,000\nThe city.\n")

    here = translate_corpus([source, film], tmp_path / "here", **OPTIONS)
    on_ray = translate_corpus([source, film], tmp_path / "ray", ray_address="local", ray_actors=2, **OPTIONS)

    assert on_ray.translated == here.translated == len(rows) + 2
    for name in ("rows.jsonl", "film.srt"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()
    written = [json.loads(line) for line in (tmp_path / "ray" / "rows.jsonl").read_text().splitlines()]
    assert [row["n"] for row in written] == list(range(len(rows)))
