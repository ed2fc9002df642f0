"""The command line's help reads as plain text, and the README's Python snippet runs as written (tiny models)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from servers import ROOT

from translator.__main__ import main


@pytest.fixture
def shown_help(capsys, monkeypatch) -> Callable[..., str]:
    """What ``python -m translator ARGS --help`` prints into a pipe (80 columns), from its ``main`` in this process:
    a process would import torch again (the module entry point runs as a process in test_finetune.py)."""
    monkeypatch.setenv("COLUMNS", "80")

    def show(*args: str) -> str:
        with pytest.raises(SystemExit) as stop:
            main([*args, "--help"])
        assert stop.value.code == 0
        return capsys.readouterr().out

    return show


def test_help_shows_no_rest_markup_and_finetune_help_warns_about_uncased_encoders(shown_help):
    top = shown_help()
    assert "``" not in top and ".venv/bin/python -m translator COMMAND" in top
    shown = shown_help("finetune")
    assert "``" not in shown
    assert "lower-case, accent-free" in re.sub(r"\s+", " ", shown) and "cased checkpoint" in shown


def test_readme_python_snippet_runs_as_written_from_another_folder(tiny_models, tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"## Python API.*?```python\n(.*?)```", readme, re.S).group(1)
    # the snippet's hub models, stood in for by tiny ones under the same registry keys
    paths = {"opus-mt-de-en": "marian", "opus-mt-en-de": "marian", "distilbert-squad": "qa"}
    registry = tmp_path / "registry.toml"
    registry.write_text(
        "".join(
            f'[models.{key}]\npath = "{tiny_models[name]}"\ntasks = ["{"qa" if name == "qa" else "translation"}"]\n'
            for key, name in paths.items()
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "TRANSLATOR_REGISTRY_FILE": str(registry), "TRANSLATOR_OFFLINE": "1"}
    env["TRANSLATOR_MAX_NEW_TOKENS"] = "8"
    env.pop("PYTHONPATH", None)
    ran = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    lines = ran.stdout.strip().splitlines()
    assert len(lines) == 5
    assert lines[3].startswith("(") and lines[4].startswith("(")  # the attention shapes
