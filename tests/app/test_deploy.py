"""Spaces metadata, the deploy script's dry run, share-link and auth rules, path probes, the rate limit."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, launch_app
from huggingface_hub import SpaceCard

from translator.serving.ratelimit import RateLimiter


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
    assert {"README.md", "app.py", "requirements.txt", "translator/__init__.py"} <= set(out)
    assert all(
        f in ("README.md", "app.py", "requirements.txt") or re.fullmatch(r"translator/(\w+/)*\w+\.py", f) for f in out
    )
    assert all((ROOT / f).is_file() for f in out)


def test_share_without_auth_refuses_to_start():
    result = subprocess.run(
        [sys.executable, "app.py", "--share", "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode != 0
    assert "--auth" in result.stderr and "Traceback" not in result.stderr


def test_malformed_auth_refuses_to_start():
    result = subprocess.run(
        [sys.executable, "app.py", "--auth", "nocolon"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "user:password" in result.stderr


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
    assert "Device:" in client.predict(api_name="/status")


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


def test_rate_limiter_window():
    now = [0.0]
    limiter = RateLimiter(per_minute=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    now[0] = 61
    assert limiter.allow("a")
    assert RateLimiter(0).allow("anyone")


def test_rate_limit_answers_429_over_http(tiny, tmp_path):
    process, url = launch_app(
        ["--offline", "--registry", str(tiny["registry"]), "--rate-limit", "2"], log_path=tmp_path / "app.log"
    )
    try:
        codes = [
            httpx.post(url + "gradio_api/call/status", json={"data": []}, timeout=10).status_code for _ in range(3)
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
