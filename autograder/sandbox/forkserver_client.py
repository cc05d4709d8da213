"""The grader's end of forkserver.py: one server per grading process.

Kept free of torch so that a command can start the server (which imports
torch) before importing torch itself: the two imports then overlap.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path

from autograder.paths import ROOT



class ForkServer:
    """The grader's end of forkserver.py: one server per grading process.

    The server is started fresh (`python -m autograder.sandbox.forkserver`),
    or, in a warm batch worker, forked by the worker's zygote (`use_zygote`):
    then it is not our child, and is watched and stopped by its pid.
    """

    def __init__(self, zygote: socket.socket | None = None):
        self.folder = Path(tempfile.mkdtemp(prefix="forkserver-"))  # 0700: holds only the lock
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            if zygote is None:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "autograder.sandbox.forkserver", str(theirs.fileno())],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=self.folder,
                    pass_fds=(theirs.fileno(),), env=grader_environment())
                self.pid = self.process.pid
            else:
                self.process = None
                self.pid = from_zygote(zygote, self.folder, theirs)
        finally:
            theirs.close()
        self.owner = os.getpid()

    def alive(self) -> bool:
        if os.getpid() == self.owner and self.process is not None:
            return self.process.poll() is None
        # A forked grader (grading.py runs suites in forks) shares the server
        # but is not its parent, nor is a zygote's server: ask the kernel.
        return running(self.pid)

    def spawn(self, module: str, workdir: Path, limits: dict, timeout: float, cuda: bool = False):
        """Fork a child for `module` (with CUDA started in it, if `cuda`); returns (pid, connection)."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            request = json.dumps({"module": module, "workdir": str(workdir), "limits": limits, "cuda": cuda}).encode()
            # Forked graders share the server's socket: one request and its
            # answer at a time. (A fresh open per call: flock locks belong to
            # the open file, which a fork would share.)
            with open(self.folder / "lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                socket.send_fds(self.control, [request], [theirs.fileno()])
                self.control.settimeout(timeout)
                try:
                    answer = self.control.recv(1 << 16)
                finally:
                    self.control.settimeout(None)
            if not answer:
                raise OSError("the fork server has gone")
            pid = int(json.loads(answer)["pid"])
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        return pid, Connection(mine.detach())

    def close(self) -> None:
        if os.getpid() != self.owner:
            return  # only the grader that started the server stops it
        if self.alive():
            self.control.close()  # the server kills its children and exits
            if self.process is not None:
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
            else:
                wait_gone(self.pid, 10)
        shutil.rmtree(self.folder, ignore_errors=True)


def from_zygote(zygote: socket.socket, folder: Path, theirs: socket.socket) -> int:
    """The pid of a fresh server the zygote forked for us. Answers to an
    earlier request (of a grading killed while it waited) are skipped."""
    ask = uuid.uuid4().hex
    socket.send_fds(zygote, [json.dumps({"id": ask, "folder": str(folder)}).encode()], [theirs.fileno()])
    zygote.settimeout(ZYGOTE_TIMEOUT)
    try:
        while True:
            answer = zygote.recv(1 << 16)
            if not answer:
                raise OSError("the worker's zygote has gone")
            answer = json.loads(answer)
            if answer.get("id") == ask:
                break
    finally:
        zygote.settimeout(None)
    if "error" in answer:
        raise OSError(f"the worker's zygote could not start a fork server: {answer['error']}")
    return int(answer["pid"])


def grader_environment() -> dict:
    """The environment of the grader's helpers, which start in other folders:
    the PYTHONPATH they inherit made absolute (a `.` would mean their folder)."""
    inherited = [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *inherited]))


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid: int, seconds: float) -> None:
    """Wait for a process that is not our child (its parent reaps it); kill it if it lingers."""
    deadline = time.monotonic() + seconds
    while running(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.01)


ZYGOTE_TIMEOUT = 60.0  # seconds; a fork takes milliseconds, so a silent zygote is stuck

_server: ForkServer | None = None
_zygote: socket.socket | None = None


def use_zygote(zygote: socket.socket) -> None:
    """In a warm worker's grading fork: take fork servers from the worker's zygote."""
    global _zygote, _server
    _zygote, _server = zygote, None


def fork_server() -> ForkServer:
    global _server
    if _server is None or not _server.alive():
        try:
            _server = ForkServer(_zygote)
        except OSError:
            if _zygote is None:
                raise
            # The zygote is gone (killed for memory) or stuck: this grading
            # starts a server of its own, a second slower; the worker starts
            # a new zygote for the next.
            _server = ForkServer()
        atexit.register(_server.close)
    return _server


def close_server() -> None:
    """Stop this process's server now (a fork leaving by os._exit runs no atexit)."""
    if _server is not None:
        _server.close()
