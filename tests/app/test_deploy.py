"""Spaces metadata, the deploy script's dry run, share-link and auth rules, path probes, the rate limit over HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from huggingface_hub import SpaceCard
from servers import ROOT, launch_app


def test_readme_front_matter_is_valid_space_metadata():
    card = SpaceCard.load(ROOT / "README.md")
    pin = re.search(r"^gradio==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert card.data.sdk == "gradio"
    assert card.data.sdk_version == pin
    assert (ROOT / card.data.app_file).is_file()


def test_deploy_dry_run_lists_exactly_the_app_files():
    out = subprocess.run(
        [sys.executable, ".huggingface/deploy.py", "someone/space", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {"README.md", "app.py", "requirements.txt", "translator/__init__.py", "ui/translate.py"} <= set(out)
    assert all(
        f in ("README.md", "app.py", "requirements.txt") or re.fullmatch(r"(translator|ui)/(\w+/)*\w+\.py", f)
        for f in out
    )
    assert all((ROOT / f).is_file() for f in out)


# app.py run as a script in this interpreter; prints whether it failed and whether gradio was ever imported
AS_SCRIPT = """
import runpy, sys
sys.argv = ["app.py", *sys.argv[1:]]
try:
    runpy.run_path("app.py", run_name="__main__")
except SystemExit as stop:
    print(stop)
    print(stop.code != 0, "gradio" in sys.modules)
"""


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--share", "--port", "1"], "--auth"),  # a public link needs a login (or an explicit opt-out)
        (["--auth", "nocolon"], "user:password"),
        (["--auth-file", "/nonexistent/auth"], "cannot be read"),
        (["--trusted-proxy-hops", "-1"], "--trusted-proxy-hops"),  # argparse's usage error
    ],
)
def test_a_bad_flag_stops_the_app_before_gradio_loads(flags, message):
    result = subprocess.run(
        [sys.executable, "-c", AS_SCRIPT, *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "HF_HUB_OFFLINE": "1"},  # no TRANSLATOR_AUTH from the caller's environment
    )
    assert result.stdout.split()[-2:] == ["True", "False"], result.stdout + result.stderr  # failed, no gradio
    assert message in result.stdout + result.stderr and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def authed_url(tiny_models, tmp_path_factory):
    log = tmp_path_factory.mktemp("authed") / "app.log"
    process, url = launch_app(
        ["--offline", "--registry", str(tiny_models["registry"]), "--auth", "ada:lovelace"], log_path=log
    )
    yield url
    process.kill()
    process.wait(timeout=10)


def test_with_auth_an_unauthenticated_api_call_is_refused(authed_url):
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 (gradio_client raises a plain error on 401)
        Client(authed_url, verbose=False).predict(api_name="/status")
    config = httpx.get(authed_url + "config", timeout=10)
    assert config.status_code in (401, 403) or "auth_required" in config.text
    client = Client(authed_url, auth=("ada", "lovelace"), verbose=False)
    assert "device:** CPU" in client.predict(api_name="/status")


@pytest.mark.parametrize(
    "probe",
    [
        "gradio_api/file=/etc/passwd",
        "file=/etc/passwd",
        "gradio_api/file=../../../../etc/passwd",
        "gradio_api/file=app.py",
        "gradio_api/file=%2Fetc%2Fpasswd",
        "static/../../../../etc/passwd",
    ],
)
def test_path_probes_are_refused(app_url, probe):
    response = httpx.get(app_url + probe, timeout=10)
    assert response.status_code in (403, 404, 400, 405) or "root:" not in response.text
    assert "root:x:0:0" not in response.text and "import gradio" not in response.text


def test_rate_limit_answers_429_over_http_whatever_x_forwarded_for_says(tiny, tmp_path):
    """Each request claims another address; with no trusted proxy the peer address counts, so the third is refused
    (uvicorn's own rewrite of a loopback peer from the header must be off for this to hold)."""
    process, url = launch_app(
        ["--offline", "--registry", str(tiny["registry"]), "--rate-limit", "2"], log_path=tmp_path / "app.log"
    )
    try:
        codes = [
            httpx.post(
                url + "gradio_api/call/status",
                json={"data": []},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                timeout=10,
            ).status_code
            for i in range(3)
        ]
    finally:
        process.kill()
        process.wait(timeout=10)
    assert codes[:2] == [200, 200] and codes[2] == 429


def test_module_level_demo_has_a_queue():
    sys.path.insert(0, str(ROOT))
    import app

    assert app.demo._queue is not None and app.demo._queue.max_size == app.get_settings().queue_size
    assert Path(app.__file__).parent == ROOT
