"""The grader's end of forkserver.py: one server per grading process.

Kept free of torch so that a command can start the server (which imports
torch) before importing torch itself: the two imports then overlap.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path

from autograder.paths import ROOT



class ForkServer:
    """The grader's end of forkserver.py: one server per grading process."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="forkserver-"))  # 0700: holds only the lock
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.sandbox.forkserver", str(theirs.fileno())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=self.folder, pass_fds=(theirs.fileno(),),
            env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])),
        )
        theirs.close()
        self.owner = os.getpid()

    def alive(self) -> bool:
        if os.getpid() == self.owner:
            return self.process.poll() is None
        # A forked grader (grading.py runs suites in forks) shares the server
        # but is not its parent, so it cannot wait for it: ask the kernel.
        try:
            os.kill(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def spawn(self, module: str, workdir: Path, limits: dict, timeout: float):
        """Fork a child for `module`; returns (pid, connection)."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            request = json.dumps({"module": module, "workdir": str(workdir), "limits": limits}).encode()
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
        if self.process.poll() is None:
            self.control.close()  # the server kills its children and exits
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


_server: ForkServer | None = None


def fork_server() -> ForkServer:
    global _server
    if _server is None or not _server.alive():
        _server = ForkServer()
        atexit.register(_server.close)
    return _server
