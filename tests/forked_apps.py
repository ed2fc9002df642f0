"""App processes forked from one that has already imported the slow libraries.

``python app.py`` spends 10 of its 12 CPU-seconds importing torch, transformers, gradio and matplotlib. The
suite starts the app several times on each test worker, so each worker keeps one "zygote" process that has
imported them and forks an app from it on request; the fork then runs app.py as ``python app.py`` would (same
flags, environment, working folder and log), only without importing those libraries again.

Imported by servers.launch_app; tests that need the real start (a first run, a bad flag) launch app.py itself.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# the zygote: import the slow libraries, then fork an app for each request line (argv, env, log) it reads
ZYGOTE = """
import json, os, runpy, signal, sys
import gradio, matplotlib.figure, sentence_transformers, torch, transformers  # the slow imports

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the apps: the zygote never waits for them
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the app may run and wait for commands of its own
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # line-buffered: tests read the log as it grows
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        sys.stdin = open(os.devnull)
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = request["argv"]
        sys.path[0] = os.getcwd()
        try:
            runpy.run_path("app.py", run_name="__main__")
        finally:
            os._exit(0)
    print(pid, flush=True)
"""

# variables the zygote's imports may read: an app asking for other values than the zygote has cannot be forked
LIBRARY_VARIABLE_PREFIXES = ("HF_", "TRANSFORMERS_", "TORCH", "GRADIO_", "MPL", "OMP_", "TOKENIZERS_")


class ForkedApp:
    """The parts of subprocess.Popen the tests use, for an app forked by the zygote (not this process's child)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # its status went to the kernel (see the zygote's SIGCHLD)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"app {self.pid}", timeout or 0)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


_zygote: subprocess.Popen | None = None
_zygote_environment: dict[str, str] = {}


def zygote() -> subprocess.Popen:
    """This worker's zygote, started on first use and ended when the worker exits."""
    global _zygote, _zygote_environment
    if _zygote is None or _zygote.poll() is not None:
        _zygote_environment = dict(os.environ)
        _zygote = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        atexit.register(_zygote.stdin.close)  # at end of input the zygote exits; the apps it forked stay theirs
    return _zygote


def library_part(variables: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in variables.items() if name.startswith(LIBRARY_VARIABLE_PREFIXES)}


def can_fork(env: dict[str, str]) -> bool:
    """Whether an app with ``env`` would see the environment the zygote's imports saw (or will see)."""
    return library_part(env) == library_part(_zygote_environment if _zygote else dict(os.environ))


def fork_app(argv: list[str], env: dict[str, str], log: Path | None) -> ForkedApp:
    """Run ``python app.py *argv`` in a fork of the zygote, writing to ``log`` (or nowhere)."""
    process = zygote()
    request = {"argv": ["app.py", *argv], "env": env, "log": str(log or os.devnull)}
    process.stdin.write(json.dumps(request) + "\n")
    process.stdin.flush()
    return ForkedApp(int(process.stdout.readline()))
