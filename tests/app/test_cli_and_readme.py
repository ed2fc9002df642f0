"""The command line's help reads as plain text, and the README's Python snippet runs as written (tiny models)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

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


def readme_snippets() -> list[str]:
    """The Python API section's snippets, in order: the offline one first, then the hub one."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"## Python API(.*?)\n## ", readme, re.S).group(1)
    return re.findall(r"```python\n(.*?)```", section, re.S)


def run_snippet(snippet: str, folder: Path, **env: str) -> list[str]:
    """The snippet's printed lines, run by a fresh Python in ``folder`` (outside the repo: the installed package)."""
    environment = {**os.environ, "TRANSLATOR_OFFLINE": "1", **env}
    environment.pop("PYTHONPATH", None)
    ran = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", snippet],
        capture_output=True,
        text=True,
        cwd=folder,
        env=environment,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    return ran.stdout.strip().splitlines()


def test_the_first_readme_command_installs_the_package_and_models_stay_out_of_git():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    assert re.search(r"pip install -r requirements\.txt -e \.( |$)", first), first
    finetune = re.search(r"translator finetune pairs\.tsv --output (\S+)", readme).group(1)
    ignored = subprocess.run(["git", "check-ignore", "-q", f"{finetune}/model.safetensors"], cwd=ROOT)
    assert ignored.returncode == 0, f"{finetune} is not git-ignored"


def test_readme_offline_snippet_comes_first_and_runs_on_the_bundled_minilm(tmp_path):
    offline, hub = readme_snippets()
    assert "opus-mt" not in offline and "distilbert" not in offline and "opus-mt" in hub
    lines = run_snippet(offline, tmp_path)  # no registry, no hub: only what the package carries
    assert len(lines) == 3 and lines[0].startswith("(") and "330 metres" in lines[2]


def test_readme_hub_snippet_runs_as_written_from_another_folder(tiny_models, tmp_path):
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
    lines = run_snippet(
        readme_snippets()[1], tmp_path, TRANSLATOR_REGISTRY_FILE=str(registry), TRANSLATOR_MAX_NEW_TOKENS="8"
    )
    assert len(lines) == 4
    assert lines[2].startswith("(")  # the attention shape
    assert " | " in lines[3]  # the original and the steered translation


def test_translate_with_a_model_that_cannot_load_says_so_in_one_line_without_empty_progress_bars(
    tiny, tmp_path, capsys
):
    source = tmp_path / "in.txt"
    source.write_text("The house is big.\n", encoding="utf-8")
    code = main(["translate", str(source), "--output", str(tmp_path / "out.txt"), "--model", "opus-mt-en-de"])
    printed = capsys.readouterr()
    assert code == 2 and printed.out == ""
    lines = printed.err.strip().splitlines()
    assert len(lines) == 1 and "opus-mt-en-de" in lines[0] and "unit" not in printed.err, printed.err
