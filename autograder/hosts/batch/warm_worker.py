"""A warm batch worker: import the grader once, grade submission after submission.

    python -m autograder.hosts.batch.warm_worker

A fresh `python -m autograder grade` pays for importing torch, pytest,
hypothesis and sympy, and its fork server pays again, before its first
test: seconds per submission. A worker pays once. It imports what grading
needs and starts a zygote (forkserver.py `--zygote`, itself a fresh
process that never runs a submission), then for each request forks a
grading: a fresh copy of the worker's untouched state that runs the `grade`
command and exits. That grading asks the zygote for a fork server of its own,
whose sandboxed children run the student's code. So every submission gets
a new grader process, a new fork server and new children, as with
`--isolation process`; nothing a submission does reaches the worker, the
zygote, or the next submission.

Protocol: one JSON line per request on stdin, `{"path", "timeout"}`, and one
JSON line per answer on stdout, `{"returncode", "output", "timed_out",
"report"}` (the report's JSON text, or null), after a first line
`{"ready": FINGERPRINT}`. The worker exits when stdin closes; its graders and
zygote die with it (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import runpy
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from autograder.grading import fingerprint, isolated
from autograder.sandbox import forkserver_client, lifetime

GRADE_OPTIONS = ["--jobs", "1"]  # one core per student: the batch runs several at once
REPORT, LOG = "report.json", "log.txt"  # what a grading leaves in its folder


class Zygote:
    """The forkserver zygote, preloading while this process imports the grader;
    started again when it has died (killed for memory, say), so one loss
    costs no later student."""

    def __init__(self):
        # An empty folder of its own as its working folder: `python -m` puts
        # it first on sys.path, which every sandboxed child may read.
        self.folder = tempfile.mkdtemp(prefix="zygote-")
        self.start()

    def start(self) -> None:
        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.sandbox.forkserver", "--zygote", str(theirs.fileno())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), cwd=self.folder,
            env=forkserver_client.grader_environment())
        theirs.close()

    def alive(self) -> socket.socket:
        """The socket of a running zygote."""
        if self.process.poll() is not None:
            self.socket.close()
            self.start()
        return self.socket


def warm() -> None:
    """Import, with no collections, everything the `grade` command imports."""
    gc.disable()
    import click  # noqa: F401  (the command line's own, 10 ms, is left to each grading)

    from autograder.grading import pipeline
    from autograder.report import formats  # noqa: F401

    pipeline.warm_up()
    gc.freeze()  # never scanned again, in the worker or its forks
    gc.enable()


def grade_in_fork(zygote: socket.socket, path: str, folder: Path) -> int:
    """Fork a grading of `path` in a session of its own, writing its report,
    its messages and every temporary file in `folder`; its pid."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    try:
        code = 1
        try:
            os.setsid()  # a timeout kills its whole group, never the worker
            lifetime.die_with(parent)
            with open(os.devnull) as stdin, open(folder / LOG, "w") as out:
                os.dup2(stdin.fileno(), 0)
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
            # Its temporary files (the copied submission, the children's
            # folders) go where the worker removes them, even after a timeout.
            os.environ["TMPDIR"] = tempfile.tempdir = str(folder)
            forkserver_client.use_zygote(zygote)
            code = run_grade([path, "--format", "json", "--output", str(folder / REPORT), *GRADE_OPTIONS])
        except BaseException:  # noqa: BLE001 - the fork must answer with an exit status, whatever happened
            traceback.print_exc()
        finally:
            forkserver_client.close_server()  # os._exit runs no atexit handler
            sys.stdout.flush()
            sys.stderr.flush()
    finally:
        os._exit(code)  # never back into the worker's loop, whatever failed above


def run_grade(arguments: list[str]) -> int:
    """The exit status of `python -m autograder grade ARGUMENTS`, run here."""
    sys.argv = ["autograder", "grade", *arguments]
    try:
        runpy.run_module("autograder", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return 0


def wait(pid: int, timeout: float) -> int | None:
    """The fork's exit status, or None when it ran out of time and was stopped."""
    pidfd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([pidfd], [], [], timeout)
    finally:
        os.close(pidfd)
    if not ready:
        stop(pid)
        return None
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def stop(pid: int) -> None:
    """Kill a grading that ran out of time, then what is left of its group."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    isolated.end_group(pid)


def answer(zygote: Zygote, request: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="autograder-worker-", ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o711)  # a child dropped to nobody (as root) must reach its folder inside
        pid = grade_in_fork(zygote.alive(), request["path"], folder)
        returncode = wait(pid, float(request["timeout"]))
        report = read(folder / REPORT) if returncode == 0 else None
        printed = (read(folder / LOG) or "")[-20_000:]
    # Read from the disk now, not the cached start-up value: a grader changed
    # during the batch is named as it graded (and the batch then regrades).
    return {"returncode": returncode, "output": printed, "timed_out": returncode is None, "report": report,
            "grader": fingerprint.compute()}


def read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:  # never written: the fork died first
        return None


def serve(requests) -> None:
    lifetime.die_with(os.getppid())  # a batch or Dask worker killed outright takes us along
    # Answers go out on a copy of stdout; stdout itself becomes stderr, so
    # nothing printed by an import or a warning can break the protocol.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    zygote = Zygote()
    warm()
    print(json.dumps({"ready": fingerprint.current()}), file=answers, flush=True)
    for line in requests:
        print(json.dumps(answer(zygote, json.loads(line))), file=answers, flush=True)
    shutil.rmtree(zygote.folder, ignore_errors=True)
    os._exit(0)  # no teardown of torch and the frozen heap (seconds)


if __name__ == "__main__":
    serve(sys.stdin)
