"""Every endpoint against hostile input, through gradio_client on the app at 127.0.0.1.

Each request gets a correct result or one clear sentence within seconds, never the generic
"something went wrong", and the server answers the next request.
"""

from __future__ import annotations

import concurrent.futures
import html
import json
import re
import time

import httpx
import pytest
from gradio_client.exceptions import AppError
from html_text import drawing_text
from servers import ENDPOINTS

GENERIC = "Something went wrong"
MEGABYTE = "word " * 200_000

BAD_TEXT = {
    "empty": "",
    "whitespace": " \n\t  ",
    "one megabyte": MEGABYTE,
    "nul bytes": "abc\x00\x00def\x00",
    "binary junk": bytes(range(256)).decode("latin-1") * 4,
}
GOOD_ODD_TEXT = {
    "emoji": "I love this 😀🚀. It works 👍🏽.",
    "rtl": "مرحبا بالعالم. هذا نص قصير.",
    "cjk": "今日は晴れです。明日は雨です。",
}


def call(client, api_name: str, args: list) -> tuple[str, object]:
    """('ok', result) or ('error', message), timed: every answer must come within seconds."""
    started = time.monotonic()
    try:
        result = client.predict(*args, api_name=api_name)
        outcome = ("ok", result)
    except AppError as exc:
        outcome = ("error", str(exc))
    assert time.monotonic() - started < 60, f"{api_name} took too long"
    return outcome


def assert_clear_error(outcome: tuple[str, object]) -> None:
    kind, message = outcome
    assert kind == "error", f"expected a clear error, got a result: {str(message)[:200]}"
    assert isinstance(message, str) and message.strip() and GENERIC not in message, message
    assert "Traceback" not in message and len(message) < 400, message
    assert not re.search(r"</?(html|body|div|span|script|p|br|b)\b", message), message


def assert_server_still_answers(client) -> None:
    try:
        status = client.predict(api_name="/status")
    except concurrent.futures.CancelledError:
        # gradio_client's shared event stream closed as this call joined (seen once, under CI load, right after a
        # rejected call): the client gave up, not the server. A server that is down fails the second call too.
        status = client.predict(api_name="/status")
    assert "device:** CPU" in status


@pytest.mark.parametrize("api_name", list(ENDPOINTS))
@pytest.mark.parametrize("case", list(BAD_TEXT))
def test_bad_text_gets_one_clear_sentence(client, api_name, case):
    args, text_index, _ = ENDPOINTS[api_name]
    args = list(args)
    args[text_index] = BAD_TEXT[case]
    assert_clear_error(call(client, api_name, args))
    assert_server_still_answers(client)


@pytest.mark.parametrize("api_name", list(ENDPOINTS))
def test_unpaired_surrogates_over_raw_http(app_url, client, api_name):
    """gradio_client can't encode a lone surrogate, but any HTTP caller can send one as JSON escapes."""
    args, text_index, _ = ENDPOINTS[api_name]
    args = list(args)
    args[text_index] = "broken \ud800 text"
    url = f"{app_url}gradio_api/call{api_name}"
    body = json.dumps({"data": args})  # ensure_ascii escapes the surrogate as \ud800
    event = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=10).json()
    stream = httpx.get(f"{url}/{event['event_id']}", timeout=60).text
    assert "event: error" in stream and "binary data" in stream, stream[:300]
    assert_server_still_answers(client)


@pytest.mark.parametrize("api_name", list(ENDPOINTS))
@pytest.mark.parametrize("case", list(GOOD_ODD_TEXT))
def test_emoji_rtl_and_cjk_work(client, tiny_models, api_name, case):
    args, text_index, _ = ENDPOINTS[api_name]
    args = list(args)
    text = args[text_index] = GOOD_ODD_TEXT[case]
    kind, result = call(client, api_name, args)
    assert kind == "ok", result
    # the characters survive: each view shows the whole text, answers and summaries are pieces of it
    if api_name == "/translate":
        assert drawing_text(result[3]) == text  # the chunk viewer
    elif api_name == "/answer":
        answers = [dict(zip(result[1]["headers"], row, strict=True)) for row in result[1]["data"]]
        assert answers and all(text[a["Start"] : a["End"]] == a["Answer"] for a in answers)
    elif api_name == "/summarize":
        assert result[0] in text and drawing_text(result[1]) == text
    elif api_name == "/attention":
        from transformers import AutoTokenizer

        tokens = AutoTokenizer.from_pretrained(tiny_models["bert"]).tokenize(text)
        assert tokens and all(html.escape(token) in result[0] for token in tokens)
    else:
        assert drawing_text(result[0]) == text  # the chunk viewer


@pytest.mark.parametrize("api_name", list(ENDPOINTS))
@pytest.mark.parametrize("model", ["no-such-model", "../../etc/passwd", "/tmp", "Helsinki-NLP/opus-mt-en-fr", 7])
def test_models_outside_the_registry_are_refused(client, api_name, model):
    args, _, model_index = ENDPOINTS[api_name]
    args = list(args)
    args[model_index] = model
    assert_clear_error(call(client, api_name, args))


NUMBER_CASES = {
    "/translate": [(3, 0), (3, 99), (4, 3), (3, "many"), (5, 1e9), (6, -1), (7, 10**9), (2, "int3")],
    "/answer": [(4, 0), (4, 10**6), (5, 8), (6, 10_000), (7, 0), (4, None), (9, "guess")],
    "/summarize": [(2, -3), (2, 10**6), (3, 5.0), (3, -0.5), (4, "spectral"), (5, 900), (8, "99")],
    "/attention": [(5, 0), (5, 99), (9, 99), (10, [99]), (11, "C->D"), (14, 5.0), (0, "decoder-only"), (9, 0)],
    "/chunks": [(2, 0), (2, 10**7), (3, -1), (4, "paragraphs"), (2, "ten")],
}


@pytest.mark.parametrize(
    ("api_name", "index", "value"),
    [(api, index, value) for api, cases in NUMBER_CASES.items() for index, value in cases],
)
def test_out_of_range_and_wrong_types(client, api_name, index, value):
    args = list(ENDPOINTS[api_name][0])
    args[index] = value
    assert_clear_error(call(client, api_name, args))
    assert_server_still_answers(client)


def test_question_longer_than_its_passage(client):
    args = list(ENDPOINTS["/answer"][0])
    args[0] = "Where exactly and why and when is the tower that we talk about " * 5
    args[1] = "The tower is in Paris."
    assert_clear_error(call(client, "/answer", args))
