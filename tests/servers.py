"""Helpers for tests that run the app in a child process, and valid arguments for each of its endpoints.

Imported by conftest and the app tests as ``servers`` (conftest puts tests/ on sys.path).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from forked_apps import ForkedProcess, can_fork, fork_script

if TYPE_CHECKING:
    from gradio_client import Client

ROOT = Path(__file__).resolve().parent.parent
# the app under test stops generating here: a random tiny Marian rarely says </s>, and 512 tokens take seconds
MAX_NEW_TOKENS = "24"

# api name -> (valid positional arguments, index of the main text argument, index of the model argument)
ENDPOINTS = {
    # the Translate settings, then the decoding ones (beam search; the sampling and diverse options at the UI defaults)
    "/translate": (
        ["The house is new.", "tiny-marian", "fp32", 2, 1, 1.0, 0, 0, "auto", False, "beam", 1.0, 0, 1.0, -1, 2, 0.5],
        0,
        1,
    ),
    "/answer": (
        ["Where is the tower?", "The tower is in Paris. It is tall.", "tiny-qa", "fp32", 2, 64, 16, 10, False, "span"],
        1,
        2,
    ),
    "/summarize": (
        [
            "The first sentence is here. A second one follows it. The third ends the text.",
            "tiny-bert",
            1,
            0.2,
            "kmeans",
            0,
            600,
            True,
            "-2",
        ],
        0,
        1,
    ),
    "/attention": (
        [
            "encoder",
            "tiny-bert",
            "tiny-marian",
            "The cat sat on the mat.",
            "",
            1,
            "fp32",
            "head",
            "encoder",
            1,
            [],
            "all",
            False,
            False,
            0.0,
        ],
        3,
        1,
    ),
    "/chunks": (["One sentence. Another sentence.", "tiny-bert", 16, 0, "sentences"], 0, 1),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | ForkedProcess, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"the app did not listen on {port} within {timeout}s")


def api_client(url: str, **kwargs: object) -> Client:
    """A gradio_client Client of the app at ``url``. Its certificate checks are off: the app is plain HTTP on
    loopback, and with them on every request builds a TLS context from the CA bundle (a tenth of a second of CPU)."""
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=False, **kwargs)


@dataclass(frozen=True)
class RunningApp:
    """An app launched by the tests: its process (for its memory), address, and the log it writes."""

    process: subprocess.Popen | ForkedProcess
    url: str
    log: Path


def launch_app(
    args: list[str], env: dict[str, str] | None = None, log_path: Path | None = None, fork: bool = True
) -> tuple[subprocess.Popen | ForkedProcess, str]:
    """Start ``python app.py ARGS`` on a free loopback port with a small new-token cap; return (process, url).

    Forked from this worker's zygote (forked_apps.py) unless ``fork`` is off or the environment asks for
    library settings the zygote was not started with: then as a new process, the way a user starts it."""
    port = free_port()
    argv = ["--host", "127.0.0.1", "--port", str(port), *args]
    # unbuffered: tests read the log while the app runs
    environment = {**os.environ, "TRANSLATOR_MAX_NEW_TOKENS": MAX_NEW_TOKENS, "PYTHONUNBUFFERED": "1", **(env or {})}
    if fork and can_fork(environment):
        process = fork_script("app.py", argv, environment, log_path)
    else:
        log = log_path.open("w") if log_path else subprocess.DEVNULL  # noqa: SIM115 (the child process writes it)
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), *argv],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process)
    except Exception:
        process.kill()
        raise
    return process, f"http://127.0.0.1:{port}/"


def stop(process: subprocess.Popen | ForkedProcess) -> None:
    """End a launched app: politely, then for sure."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
