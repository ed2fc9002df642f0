"""The zygote's forks report how they really ended (a crash must not read as a clean exit), as Popen would."""

from __future__ import annotations

import os
import signal

import pytest
from forked_apps import fork_script

ENDINGS = {
    "returns": ("print('done')", 0, "done"),
    "exits 3": ("import sys; sys.exit(3)", 3, ""),
    "exits with a message": ("import sys; sys.exit('cannot go on')", 1, "cannot go on"),
    "raises": ("raise ValueError('broken')", 1, "ValueError: broken"),
    "is killed": ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", -signal.SIGKILL, ""),
}


@pytest.mark.parametrize("ending", ENDINGS)
def test_a_fork_reports_its_real_exit_status(tmp_path, ending):
    source, code, logged = ENDINGS[ending]
    script, log = tmp_path / "script.py", tmp_path / "script.log"
    script.write_text(source + "\n", encoding="utf-8")
    process = fork_script(str(script), [], dict(os.environ), log)
    assert process.wait(timeout=30) == code
    assert process.poll() == code
    assert logged in log.read_text(encoding="utf-8")


def test_a_fork_runs_as_python_script_would(tmp_path):
    script, log = tmp_path / "script.py", tmp_path / "script.log"
    script.write_text("import os, sys\nprint(sys.argv[1:], os.environ['PROBE'], sys.path[0])\n", encoding="utf-8")
    process = fork_script(str(script), ["--flag", "value"], {**os.environ, "PROBE": "seen"}, log)
    assert process.wait(timeout=30) == 0
    assert log.read_text(encoding="utf-8").strip() == f"['--flag', 'value'] seen {tmp_path}"


def test_a_terminated_fork_reports_the_signal(tmp_path):
    script, ready = tmp_path / "script.py", tmp_path / "ready"
    script.write_text(f"import pathlib, time\npathlib.Path({str(ready)!r}).touch()\ntime.sleep(60)\n", encoding="utf-8")
    process = fork_script(str(script), [], dict(os.environ), None)
    while not ready.exists():  # terminated once it runs the script, not while still the zygote's copy
        assert process.poll() is None
    process.terminate()
    assert process.wait(timeout=30) == -signal.SIGTERM


def test_the_app_with_a_bad_flag_exits_2(tmp_path):
    log = tmp_path / "app.log"
    process = fork_script("app.py", ["--no-such-flag"], dict(os.environ), log)
    assert process.wait(timeout=60) == 2
    assert "unrecognized arguments: --no-such-flag" in log.read_text(encoding="utf-8")
