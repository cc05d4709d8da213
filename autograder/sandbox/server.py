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

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class ForkServer:
    """The grader's end of forkserver.py: one server per grading process."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="forkserver-"))  # 0700: only we connect
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.sandbox.forkserver"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=self.folder,
            env=dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")])),
        )
        self.owner = os.getpid()
        self.count = 0

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
        self.count += 1
        path = str(self.folder / f"s{os.getpid()}-{self.count}")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(1)
        listener.settimeout(timeout)
        try:
            request = {"module": module, "workdir": str(workdir), "limits": limits, "socket": path}
            # Forked graders share the server's pipes: one request and its
            # answer at a time. (A fresh open per call: flock locks belong to
            # the open file, which a fork would share.)
            with open(self.folder / "lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
                pid = int(json.loads(self.process.stdout.readline())["pid"])
            sock, _ = listener.accept()
        finally:
            listener.close()
            os.unlink(path)
        sock.settimeout(None)
        return pid, Connection(sock.detach())

    def close(self) -> None:
        if os.getpid() != self.owner:
            return  # only the grader that started the server stops it
        if self.process.poll() is None:
            self.process.stdin.close()  # the server kills its children and exits
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
