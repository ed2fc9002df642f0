"""Spaces metadata, the deploy script's dry run, share-link and auth rules, path probes, the rate limit over HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import httpx
import pytest
from huggingface_hub import SpaceCard
from servers import ROOT, api_client, launch_app, stop


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


# app.py run as a script once per flag set, all in one interpreter (each run would import torch again in its own);
# prints per run what it wrote, whether it failed, and whether gradio was imported by then
AS_SCRIPT = """
import contextlib, io, json, runpy, sys, traceback
for flags in json.loads(sys.argv[1]):
    sys.argv = ["app.py", *flags]
    out, err, failed = io.StringIO(), io.StringIO(), None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path("app.py", run_name="__main__")
        except SystemExit as stop:
            print(stop)
            failed = stop.code != 0
        except Exception:
            traceback.print_exc()
    run = {"out": out.getvalue(), "err": err.getvalue(), "failed": failed, "gradio": "gradio" in sys.modules}
    print("RUN", json.dumps(run))
"""
BAD_FLAGS = [
    (["--share", "--port", "1"], "--auth"),  # a public link needs a login (or an explicit opt-out)
    (["--auth", "nocolon"], "user:password"),
    (["--auth-file", "/nonexistent/auth"], "cannot be read"),
    (["--trusted-proxy-hops", "-1"], "--trusted-proxy-hops"),  # argparse's usage error
]


@pytest.fixture(scope="module")
def bad_flag_runs() -> dict[str, dict]:
    """Each flag set's run of app.py (keyed by its flags joined by spaces)."""
    flag_sets = [flags for flags, _ in BAD_FLAGS]
    result = subprocess.run(
        [sys.executable, "-c", AS_SCRIPT, json.dumps(flag_sets)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "HF_HUB_OFFLINE": "1"},  # no TRANSLATOR_AUTH from the caller's environment
    )
    runs = [json.loads(line[4:]) for line in result.stdout.splitlines() if line.startswith("RUN ")]
    assert len(runs) == len(flag_sets), result.stdout + result.stderr
    return {" ".join(flags): run for flags, run in zip(flag_sets, runs, strict=True)}


@pytest.mark.parametrize(("flags", "message"), BAD_FLAGS)
def test_a_bad_flag_stops_the_app_before_gradio_loads(bad_flag_runs, flags, message):
    run = bad_flag_runs[" ".join(flags)]
    shown = run["out"] + run["err"]
    assert (run["failed"], run["gradio"]) == (True, False), shown  # failed, with no gradio imported yet
    assert message in shown and "Traceback" not in run["err"], shown


@pytest.fixture(scope="module")
def authed_url(tiny_models, tmp_path_factory):
    log = tmp_path_factory.mktemp("authed") / "app.log"
    process, url = launch_app(
        ["--offline", "--registry", str(tiny_models["registry"]), "--auth", "ada:lovelace"], log_path=log
    )
    yield url
    stop(process)


def test_with_auth_an_unauthenticated_api_call_is_refused(authed_url):
    with pytest.raises(Exception):  # noqa: B017 (gradio_client raises a plain error on 401)
        api_client(authed_url).predict(api_name="/status")
    config = httpx.get(authed_url + "config", timeout=10)
    assert config.status_code in (401, 403) or "auth_required" in config.text
    client = api_client(authed_url, auth=("ada", "lovelace"))
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
        stop(process)
    assert codes[:2] == [200, 200] and codes[2] == 429
