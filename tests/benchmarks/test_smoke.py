"""Every benchmark script runs at its smallest size (``--smoke``), so a move in translator/ can't break one silently.

Each runs as ``python benchmarks/SCRIPT --smoke`` would, forked from the worker's zygote (forked_apps.py): the
imports of torch and transformers, most of a smoke run, are paid once.
"""

from __future__ import annotations

import os
import subprocess

import pytest
import torch
from forked_apps import fork_script
from servers import ROOT, stop

BENCHMARKS = ROOT / "benchmarks"
# scripts, not the helpers they share (timing.py)
SCRIPTS = sorted(path.name for path in BENCHMARKS.glob("*.py") if 'if __name__ == "__main__":' in path.read_text())
# seconds a script may take at its smallest size on a busy machine (they take 5 to 15)
TIME_LIMIT = 120


def test_every_script_is_found():
    assert {"attention.py", "gpu.py", "summarize.py", "translate_long.py"} <= set(SCRIPTS)
    assert "timing.py" not in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_script_runs_at_its_smallest_size(script, tmp_path):
    log = tmp_path / "output.log"
    process = fork_script(str(BENCHMARKS / script), ["--smoke"], dict(os.environ), log)
    try:
        code = process.wait(timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        stop(process)
        pytest.fail(f"{script} --smoke ran over {TIME_LIMIT} s:\n{log.read_text(errors='replace')[-3000:]}")
    output = log.read_text(errors="replace")
    assert code == 0, f"{script} --smoke exited with {code}:\n{output[-3000:]}"
    if script == "gpu.py" and not torch.cuda.is_available():
        assert "no CUDA GPU: nothing to measure" in output
