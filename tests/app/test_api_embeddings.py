"""The /embeddings endpoint through gradio_client, as an API user calls it."""

from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError

OUTPUTS = [
    "The word's occurrences, layer by layer",
    "The texts, layer by layer",
    "Token similarity at the layer",
    "Token map at the layer (PCA)",
    "Notes",
    "Numbers",
    "What ran",
]


def embeddings(client, texts, word="", *, model="tiny-bert", precision="fp32", pooling="mean", layer=1, special=False):
    return client.predict(texts, word, model, precision, pooling, layer, special, api_name="/embeddings")


def test_the_endpoint_names_its_inputs_and_outputs(client):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/embeddings"]
    assert [p["parameter_name"] for p in api["parameters"]] == [
        "texts",
        "word",
        "model",
        "precision",
        "pooling",
        "layer",
        "special",
    ]
    assert [r["label"] for r in api["returns"]] == OUTPUTS
    parameters = {p["parameter_name"]: p for p in api["parameters"]}
    assert parameters["word"]["parameter_has_default"] and parameters["layer"]["python_type"]["type"] == "int"


def test_a_word_followed_over_the_api(client):
    word_view, sentence_view, heatmap, token_map, notes, curves, ran = embeddings(
        client, "the house is by the river\n\nthe river is long\na house in the city", "river"
    )
    assert "“river”: every two occurrences" in word_view and "<svg" in heatmap and "<svg" in token_map
    assert "[CLS] (dashed)" in sentence_view
    assert "“river” is not in text 3." in notes
    assert curves["layers"] == 2 and curves["word"]["word"] == "river"
    [pair] = curves["word"]["pairs"]  # the blank line is no text: texts 1 and 2 have the word
    assert (pair["a"], pair["b"]) == ("T1", "T2") and len(pair["similarity"]) == 3
    assert [entry["texts"] for entry in curves["texts"]] == [[1, 2], [1, 3], [2, 3]]
    assert "tiny-bert" in ran and "fp32" in ran and "**texts:** 3" in ran and "**layers:** 2" in ran


def test_the_bank_example_on_the_bundled_minilm(client):
    texts = (
        "He sat on the bank of the river and watched the water.\n"
        "She went to the bank to deposit her money.\n"
        "The bank approved the loan for my new house.\n"
        "We had a picnic on the grassy bank by the stream."
    )
    *_, curves, ran = embeddings(client, texts, "bank", model="minilm-offline", layer=6)
    last = {(p["a"], p["b"]): p["similarity"][-1] for p in curves["word"]["pairs"]}
    same = [last[("T1", "T4")], last[("T2", "T3")]]
    assert min(same) > max(value for pair, value in last.items() if pair not in (("T1", "T4"), ("T2", "T3"))), last
    assert "minilm-offline" in ran and "**layers:** 6" in ran


def test_no_word_draws_the_rest(client):
    word_view, _, heatmap, _, notes, curves, _ = embeddings(client, "the house is new", layer=9)
    assert "Type a word that two or more texts share" in word_view and "<svg" in heatmap
    assert curves["word"] is None and "showing layer 2, not 9" in notes


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"texts": " \n \n"}, "The texts box is empty"),
        ({"texts": "\n".join(["the city"] * 17)}, "Give 1 to 16 texts, not 17."),
        ({"texts": "the house\nthe city", "word": "house"}, "“house” must be in at least two texts to compare, and"),
        ({"texts": "the house\nthe city", "model": "no-such-model"}, "no-such-model"),
        ({"texts": "the house", "pooling": "max"}, "max"),
        ({"texts": "the house", "layer": -1}, "-1"),
        ({"texts": "abc\x00def"}, "binary data"),
        ({"texts": "word " * 1000}, "4,000"),
    ],
)
def test_bad_requests_get_one_clear_sentence(client, arguments, message):
    arguments = {"texts": "", **arguments}
    with pytest.raises(AppError) as raised:
        embeddings(client, **arguments)
    text = str(raised.value)
    assert message in text and "Something went wrong" not in text and "Traceback" not in text
    assert "device:** CPU" in client.predict(api_name="/status")  # the server answers the next request
