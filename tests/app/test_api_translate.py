from __future__ import annotations

import re

import pytest
from gradio_client.exceptions import AppError

TEXT = "The house is big. The river runs to the city.\n\nParis is the capital of France."


def translate(
    client,
    text=TEXT,
    model="tiny-marian",
    precision="fp32",
    beams=2,
    n_best=2,
    length_penalty=1.0,
    no_repeat=0,
    chunk_tokens=0,
):
    return client.predict(
        text, model, precision, beams, n_best, length_penalty, no_repeat, chunk_tokens, api_name="/translate"
    )


def test_translate_returns_text_nbest_viewer_and_run_line(client):
    output, warnings, nbest, viewer, ran = translate(client)
    assert output.count("\n\n") == 1  # the paragraph break survived
    rows = nbest["data"]
    assert [row[1] for row in rows[:2]] == [1, 2] and rows[0][3] >= rows[1][3]  # rank, score: best first
    assert 'class="chunk-viewer"' in viewer and "<script" not in viewer
    assert "tiny-marian" in ran and "fp32" in ran and re.search(r"\*\*engine:\*\* (transformers|ctranslate2)", ran)
    # the warnings name exactly the chunks the viewer marks as cut (a random tiny model often runs to the cap)
    cut = viewer.count("output hit the length or time limit")
    assert (f"{cut} chunk(s) stopped before the model ended" in warnings) == (cut > 0)
    assert ("⚠️" in warnings) == bool(warnings)


def test_translate_takes_the_decoding_after_the_older_inputs(client):
    """Callers that pass only the older inputs get beam search (above); the decoding inputs follow them."""
    older = (TEXT, "tiny-marian", "fp32", 1, 2, 1.0, 0, 0, "transformers", False)
    sampled = [client.predict(*older, "sampling", 1.0, 0, 1.0, 7, api_name="/translate")[0] for _ in range(2)]
    assert sampled[0] == sampled[1]  # the same seed, the same samples
    diverse = client.predict(*older[:3], 4, 2, *older[5:], "diverse", 1.0, 0, 1.0, -1, 2, 1.0, api_name="/translate")
    assert "transformers" in diverse[4] and diverse[2]["data"][1][1] == 2  # two translations per chunk


def test_translate_escapes_user_text(client):
    _, _, _, viewer, _ = translate(client, text="<img src=x onerror=alert(1)> is big.", beams=1, n_best=1)
    assert "<img" not in viewer and "&lt;img" in viewer


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text": "   "}, "empty"),
        ({"text": "x" * 20_001}, "limit"),
        ({"beams": 2, "n_best": 3}, "n-best"),
        ({"model": "opus-mt-en-de"}, "download"),  # in the registry but not cached, and offline
        ({"model": "/etc"}, "list"),  # gradio checks the dropdown; registry_key checks again
    ],
)
def test_translate_bad_input_is_one_sentence(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        translate(client, **kwargs)


def test_chunks_plan_without_a_model(client):
    viewer, ran = client.predict(TEXT, "tiny-bert", 8, 0, "sentences", api_name="/chunks")
    assert viewer.count("<tr") >= 3 and "/ 8" in viewer
    assert "tiny-bert" in ran
    viewer, _ = client.predict(TEXT, "tiny-qa", 8, 3, "windows", api_name="/chunks")
    assert "3 tokens overlap the previous chunk" in viewer


@pytest.mark.parametrize(
    "args, message",
    [
        (("  ", "tiny-bert", 8, 0, "sentences"), "empty"),
        ((TEXT, "tiny-bert", 8, 2, "sentences"), "windows"),
        ((TEXT, "tiny-bert", 8, 8, "windows"), "stride"),
        ((TEXT, "not-a-model", 8, 0, "sentences"), "list"),
    ],
)
def test_chunks_bad_input_is_one_sentence(client, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/chunks")
