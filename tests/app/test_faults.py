"""The app imported into this process, as Spaces runs it: its module-level demo, and faults inside handlers (served
here so a test can break its models on purpose). Every test that imports app.py into the test process is here, so a
test worker imports gradio once."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest
import torch
from gradio_client.exceptions import AppError
from servers import ENDPOINTS, MAX_NEW_TOKENS, ROOT, api_client, free_port

import translator
from translator import InputError, load_model


def test_module_level_demo_has_a_queue():
    sys.path.insert(0, str(ROOT))
    import app

    assert app.demo._queue is not None and app.demo._queue.max_size == app.get_settings().queue_size
    assert Path(app.__file__).parent == ROOT


@pytest.fixture(scope="module")
def inprocess(tiny_models):
    """A client of the app built and served in this process, on the tiny models."""
    sys.path.insert(0, str(ROOT))
    import app

    before = translator.get_settings()
    translator.configure(
        before.replace(registry_file=str(tiny_models["registry"]), offline=True, max_new_tokens=int(MAX_NEW_TOKENS))
    )
    blocks = app.build_demo()
    _, url, _ = blocks.launch(
        server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, show_error=False, quiet=True
    )
    yield api_client(url)
    blocks.close()
    translator.configure(before)


def test_out_of_memory_is_friendly_and_the_next_request_succeeds(inprocess, monkeypatch):
    """The model itself runs out of memory (QA: always the transformers model, whichever engine translates)."""
    client = inprocess
    args = ENDPOINTS["/answer"][0]
    before = client.predict(*args, api_name="/answer")[1]
    loaded = load_model(args[2], "qa", args[3])

    @functools.wraps(loaded.model.forward)  # QA reads forward's signature to pick the model's inputs
    def out_of_memory(*_args, **_kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(loaded.model, "forward", out_of_memory)
    with pytest.raises(AppError, match="ran out of memory.*shorten the input or lower the number of beams"):
        client.predict(*args, api_name="/answer")
    monkeypatch.undo()
    assert client.predict(*args, api_name="/answer")[1] == before  # the same model, still loaded, same answers


def test_a_handler_that_raises_once_does_not_block_the_queue(inprocess, monkeypatch, caplog):
    client = inprocess
    real = translator.chunk_text
    calls = []

    def broken_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug that must not reach the user")
        return real(*args, **kwargs)

    monkeypatch.setattr(translator, "chunk_text", broken_once)
    with pytest.raises(AppError) as error:
        client.predict(*ENDPOINTS["/chunks"][0], api_name="/chunks")
    assert "Something went wrong" in str(error.value) and "a bug" not in str(error.value)
    assert "a bug that must not reach the user" in caplog.text  # logged with its traceback on the server
    viewer, _ = client.predict(*ENDPOINTS["/chunks"][0], api_name="/chunks")
    assert "One sentence." in viewer


def test_an_error_that_quotes_the_caller_carries_no_markup(inprocess, monkeypatch):
    """gradio's toast renders a gr.Error message as HTML; a backend message quoting what was sent stays text."""
    client = inprocess

    def refuses(*_args, **_kwargs):
        raise InputError("Mode must be one of sentences, windows, not '<img src=x onerror=alert(1)>' & co.")

    monkeypatch.setattr(translator, "chunk_text", refuses)
    with pytest.raises(AppError) as error:
        client.predict(*ENDPOINTS["/chunks"][0], api_name="/chunks")
    message = str(error.value)
    assert "Mode must be one of" in message and "<" not in message and "&lt;img" in message and "&amp; co" in message
