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
