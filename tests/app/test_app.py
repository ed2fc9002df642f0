from __future__ import annotations

import subprocess
import sys


def test_import_translator_does_not_import_gradio():
    code = "import sys, translator; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_client_lists_the_api(client):
    info = client.view_api(print_info=False, return_format="dict")
    endpoints = set(info["named_endpoints"])
    assert {"/status", "/translate", "/answer", "/summarize", "/attention", "/chunks"} <= endpoints
    status = client.predict(api_name="/status")
    assert "device:** CPU" in status


def test_the_queue_polls_calmly_while_idle():
    import gradio as gr

    from ui.common import PROGRESS_POLL_SECONDS, QUEUE_POLL_SECONDS, Studio

    plain = gr.Blocks().queue()._queue
    # the attributes Studio changes are gradio's own (a gradio that renamed them would be left polling at 1 ms)
    assert {"sleep_when_free", "progress_update_sleep_when_free"} <= set(vars(plain))
    calm = Studio().queue(max_size=3)._queue
    assert (calm.sleep_when_free, calm.progress_update_sleep_when_free) == (QUEUE_POLL_SECONDS, PROGRESS_POLL_SECONDS)
    assert calm.max_size == 3  # the caller's settings still apply
