"""What a gradio_client user sees: every output named, optional inputs optional, numbers typed as numbers; and a
request that gradio's own validation rejects leaves one log line, not a traceback."""

from __future__ import annotations

import re

import pytest
from servers import ENDPOINTS

WHOLE_NUMBERS = {
    "/translate": (
        "num_beams",
        "n_best",
        "no_repeat_ngram_size",
        "max_chunk_tokens",
        "top_k",
        "seed",
        "num_beam_groups",
    ),
    "/answer": ("top_k", "max_seq_len", "doc_stride", "max_answer_len"),
    "/summarize": ("num_sentences", "min_length", "max_length"),
    "/attention": ("num_beams", "layer"),
    "/chunks": ("max_tokens", "stride"),
    "/coverage": ("chunk_number",),
    "/beam_tree": ("num_beams", "no_repeat_ngram_size", "n_best", "top_k", "seed", "num_beam_groups"),
    "/compare": ("a_beams", "b_beams"),
    "/translate_file": ("num_beams", "n_best", "no_repeat_ngram_size", "max_chunk_tokens", "top_k", "seed"),
}
# inputs a caller may leave out
OPTIONAL = {"/attention": ("text_pair",), "/compare": ("reference",)}


@pytest.fixture(scope="module")
def api(client) -> dict:
    return client.view_api(print_info=False, return_format="dict")["named_endpoints"]


def test_every_output_of_every_endpoint_has_a_name(api):
    assert {"/translate", "/answer", "/summarize", "/attention", "/chunks", "/status", "/coverage"} <= set(api)
    unnamed = {
        endpoint: labels
        for endpoint, labels in ((e, [r["label"] for r in api[e]["returns"]]) for e in api)
        if not labels or [label for label in labels if not label or re.fullmatch(r"value_\d+", label)]
    }
    assert unnamed == {}


def test_optional_inputs_are_optional_and_whole_numbers_are_integers(api):
    for endpoint, names in OPTIONAL.items():
        parameters = {p["parameter_name"]: p for p in api[endpoint]["parameters"]}
        assert all(parameters[name]["parameter_has_default"] for name in names), endpoint
        assert [parameters[name]["parameter_default"] for name in names] == [""] * len(names)
    attention = {p["parameter_name"]: p for p in api["/attention"]["parameters"]}
    assert attention["heads"]["python_type"]["type"] == "list[int]"
    for endpoint, names in WHOLE_NUMBERS.items():
        parameters = {p["parameter_name"]: p for p in api[endpoint]["parameters"]}
        assert {name: parameters[name]["python_type"]["type"] for name in names} == dict.fromkeys(names, "int")


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (4, "paragraphs"),  # not one of the Mode radio's choices: gradio's preprocess refuses it
        (2, "ten"),  # a word for a number: gradio's slider fails to compare it
    ],
)
def test_a_request_gradio_rejects_is_one_log_line(app_server, client, index, value):
    written_before = app_server.log.stat().st_size
    arguments = list(ENDPOINTS["/chunks"][0])
    arguments[index] = value
    with pytest.raises(Exception, match=value):
        client.predict(*arguments, api_name="/chunks")
    assert "device:** CPU" in client.predict(api_name="/status")  # answered after it: the rejection is logged
    with app_server.log.open("rb") as log:
        log.seek(written_before)
        text = log.read().decode("utf-8", "replace")  # only what this request wrote, in the session app's log
    assert "Traceback" not in text
    assert len([line for line in text.splitlines() if value in line]) == 1
