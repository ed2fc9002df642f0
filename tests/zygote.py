"""The zygote: a process that has imported the slow libraries once and forks a script run from it on request.

Started by forked_apps.zygote() as ``python tests/zygote.py`` in the repository root. Each line it reads on stdin
is one JSON request ``{"argv", "env", "log", "status"}``; it forks, runs ``argv[0]`` in the fork the way
``python *argv`` would (that environment, stdout and stderr to ``log``), and answers the fork's pid on a line of
stdout. When a fork ends, the zygote (its parent, the only process that can wait for it) writes its exit status
to the file ``status``, in Popen.returncode's terms: the exit code, or minus the signal that ended it.
At end of input the zygote exits; forks still running are left to run.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import signal
import sys
import traceback
from types import FrameType

# what ``python app.py`` spends most of its start on; the forks find them imported
PRELOADED = ("gradio", "matplotlib.figure", "sentence_transformers", "torch", "transformers")

# pid of each running fork -> the file its exit status goes to
status_files: dict[int, str] = {}


def reap(signum: int, frame: FrameType | None) -> None:
    """Collect every fork that has ended (one SIGCHLD may stand for several) and write down how it ended."""
    while status_files:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        path = status_files.pop(pid)
        with open(path + ".part", "w") as file:
            file.write(str(os.waitstatus_to_exitcode(status)))
        os.replace(path + ".part", path)  # whole or absent: the tests poll for it


def exit_code(exit: SystemExit) -> int:
    """The status ``python`` exits with after this SystemExit (a message code is printed and exits 1)."""
    if exit.code is None or isinstance(exit.code, int):
        return exit.code or 0
    print(exit.code, file=sys.stderr)
    return 1


def run(request: dict) -> None:
    """In the fork: become ``python *argv`` with the request's environment and log, run it, exit with its status."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the script may start and wait for processes of its own
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    # the process's own streams, open until it exits; line-buffered: tests read the log as it grows
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stdin = open(os.devnull)  # noqa: SIM115
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))  # as ``python script`` sets it
    code = 0
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit as exit:
        code = exit_code(exit)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # not the zygote's exit handlers, and never back into its request loop


def main() -> None:
    for name in PRELOADED:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, reap)
    for line in sys.stdin:
        request = json.loads(line)
        # no SIGCHLD between the fork and the pid's entry: a fork that ends at once is still found in status_files
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        pid = os.fork()
        if pid == 0:
            run(request)
        status_files[pid] = request["status"]
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        print(pid, flush=True)


if __name__ == "__main__":
    main()
