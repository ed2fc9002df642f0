"""/answer and /summarize through gradio_client, as an API user calls them."""

from __future__ import annotations

import base64
import io

import pytest
from gradio_client.exceptions import AppError
from PIL import Image

CONTEXT = (
    "The Eiffel Tower was built in Paris for the World's Fair of 1889. Its iron lattice was designed by "
    "the company of Gustave Eiffel.\n\nBread rises because yeast turns sugars into carbon dioxide. "
    "Bakers score the dough with a blade so the crust opens where they want it to."
)


def ask(
    client,
    question="Who designed the tower?",
    context=CONTEXT,
    model="tiny-qa",
    precision="fp32",
    top_k=3,
    max_seq_len=48,
    doc_stride=16,
    max_answer_len=10,
    impossible=False,
    mode="auto",
):
    return client.predict(
        question,
        context,
        model,
        precision,
        top_k,
        max_seq_len,
        doc_stride,
        max_answer_len,
        impossible,
        mode,
        api_name="/answer",
    )


def summarize(
    client,
    text=CONTEXT,
    model="minilm-offline",
    num_sentences=2,
    ratio=0.2,
    algorithm="kmeans",
    min_length=40,
    max_length=600,
    use_first=True,
    layer="sentence embedding",
):
    return client.predict(
        text, model, num_sentences, ratio, algorithm, min_length, max_length, use_first, layer, api_name="/summarize"
    )


def test_answer_returns_table_highlights_and_windows(client):
    note, answers, highlighted, windows, ran = ask(client)
    rows = answers["data"]
    assert [row[0] for row in rows] == [1, 2, 3]
    assert [row[2] for row in rows] == sorted((row[2] for row in rows), reverse=True)
    for _, text, _, start, end, window in rows:
        assert CONTEXT[start:end] == text and window >= 1
    assert "Span extraction" in note and "tiny-qa" in ran
    assert highlighted.count("<sup") == 3 and "<script" not in highlighted
    assert 'class="chunk-viewer"' in windows and "outline:2px solid" in windows
    assert "overlap the previous chunk" in windows  # 48-token windows over this context overlap


def test_answer_in_retrieval_mode_says_so(client):
    note, answers, _, windows, ran = ask(client, question="Why does bread rise?", mode="retrieval", top_k=1)
    assert "Sentence retrieval, not span extraction" in note
    assert answers["data"][0][1] == "Bread rises because yeast turns sugars into carbon dioxide."
    assert "minilm-offline" in ran and windows.count("<tr") == 5  # header + one row per sentence


def test_answer_escapes_user_text(client):
    _, _, highlighted, windows, _ = ask(client, context="<img src=x onerror=alert(1)> " + CONTEXT)
    for html in (highlighted, windows):
        assert "<img" not in html and "&lt;img" in html


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"question": " "}, "question is empty"),
        ({"context": ""}, "context is empty"),
        ({"doc_stride": 48}, "doc_stride"),
        ({"question": "why " * 60}, "shorten the question"),
        ({"model": "minilm-offline"}, "list"),  # gradio checks the dropdown; registry_key checks again
        ({"mode": "span", "model": "distilbert-squad"}, "download"),  # in the registry, not cached, offline
    ],
)
def test_answer_bad_input_is_one_sentence(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        ask(client, **kwargs)


def test_summarize_returns_summary_source_plot_and_table(client):
    summary, source, elbow, table, notes, ran = summarize(client)
    rows = table["data"]
    assert [row[0] for row in rows] == [1, 2, 3, 4]
    picked = [row[2] for row in rows if row[1] == "✓"]
    assert len(picked) == 2 and all(text in summary for text in picked)
    assert picked[0] == "The Eiffel Tower was built in Paris for the World's Fair of 1889."  # use_first
    assert source.count("<sup") == 2 and "No sentence was dropped" in notes
    assert "minilm-offline" in ran
    assert elbow["type"] == "matplotlib"
    image = Image.open(io.BytesIO(base64.b64decode(elbow["plot"].split(",", 1)[1])))  # a data URL
    assert image.width > 200 and image.height > 100


def test_summarize_reports_dropped_sentences(client):
    summary, source, _, table, notes, _ = summarize(client, text="Short. " + CONTEXT, min_length=20)
    assert "1 sentence(s) dropped" in notes and "not longer than min_length" in notes
    assert "line-through" in source and "Short." not in summary


def test_summarize_with_a_hidden_layer(client):
    summary, _, _, table, _, ran = summarize(client, model="tiny-bert", layer="-1", num_sentences=1)
    assert len([row for row in table["data"] if row[1] == "✓"]) == 1 and summary and "tiny-bert" in ran


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "  "}, "text is empty"),
        ({"algorithm": "dbscan"}, "list of choices"),  # gradio checks radios and dropdowns before the handler
        ({"layer": "top"}, "list of choices"),
        ({"model": "tiny-qa"}, "list"),
    ],
)
def test_summarize_bad_input_is_one_sentence(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        summarize(client, **kwargs)
