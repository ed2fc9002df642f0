"""App processes (and benchmark scripts) forked from one that has already imported the slow libraries.

``python app.py`` spends 10 of its 12 CPU-seconds importing torch, transformers, gradio and matplotlib. The
suite starts the app several times on each test worker, so each worker keeps one zygote process (zygote.py)
that has imported them and forks an app from it on request; the fork then runs app.py as ``python app.py`` would
(same flags, environment, working folder and log), only without importing those libraries again.

Imported by servers.launch_app and the benchmark smoke test; tests that need the real start (a first run) launch
app.py itself.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# variables the zygote's imports may read: an app asking for other values than the zygote has cannot be forked
LIBRARY_VARIABLE_PREFIXES = ("HF_", "TRANSFORMERS_", "TORCH", "GRADIO_", "MPL", "OMP_", "TOKENIZERS_")


class ForkedProcess:
    """The parts of subprocess.Popen the tests use, for a process forked by the zygote (not this process's child:
    the zygote waits for it and writes its exit status to ``status``)."""

    def __init__(self, pid: int, status: Path) -> None:
        self.pid = pid
        self.status = status
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self.status.exists():
            self.returncode = int(self.status.read_text())
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"app {self.pid}", timeout or 0)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:  # while it has no status, the zygote has not waited for it: the pid is still its
            with contextlib.suppress(ProcessLookupError):  # reaped, its status not yet written: it has ended
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


_zygote: subprocess.Popen | None = None
_zygote_environment: dict[str, str] = {}
_status_folder: Path | None = None
_forks = itertools.count()


def zygote() -> subprocess.Popen:
    """This worker's zygote, started on first use and ended when the worker exits."""
    global _zygote, _zygote_environment, _status_folder
    if _zygote is None or _zygote.poll() is not None:
        _zygote_environment = dict(os.environ)
        _status_folder = Path(tempfile.mkdtemp(prefix="zygote-status-"))
        atexit.register(shutil.rmtree, _status_folder, ignore_errors=True)
        _zygote = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "zygote.py")],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        atexit.register(_zygote.stdin.close)  # at end of input the zygote exits; the apps it forked stay theirs
    return _zygote


def library_part(variables: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in variables.items() if name.startswith(LIBRARY_VARIABLE_PREFIXES)}


def can_fork(env: dict[str, str]) -> bool:
    """Whether an app with ``env`` would see the environment the zygote's imports saw (or will see)."""
    return library_part(env) == library_part(_zygote_environment if _zygote else dict(os.environ))


def fork_script(script: str, argv: list[str], env: dict[str, str], log: Path | None) -> ForkedProcess:
    """Run ``python SCRIPT *argv`` in a fork of the zygote, writing to ``log`` (or nowhere)."""
    process = zygote()
    status = _status_folder / str(next(_forks))  # not named by pid: a pid can come back within a session
    request = {"argv": [script, *argv], "env": env, "log": str(log or os.devnull), "status": str(status)}
    process.stdin.write(json.dumps(request) + "\n")
    process.stdin.flush()
    return ForkedProcess(int(process.stdout.readline()), status)
