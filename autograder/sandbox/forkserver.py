"""A fork server: import torch once, then fork a fresh child per module.

Importing torch takes a second or two; forking a process that already has it
takes milliseconds. The server has imported torch but never run an operation
or touched CUDA, so its forks start clean.

Protocol (one JSON object per line): the grader writes
`{"module", "workdir", "limits", "socket"}` on the server's stdin; the server
forks, answers `{"pid": N}` on stdout, and the child connects to `socket`.
When stdin closes, the server kills every child it made and exits.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys
import time


def run_child(request: dict) -> None:
    from multiprocessing.connection import Connection

    from autograder.sandbox import child

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(request["socket"])
    child.main(Connection(sock.detach()), request["module"], request["workdir"], request["limits"])


def preload() -> None:
    """Import here, once, everything a child would otherwise import after each fork."""
    import numpy  # noqa: F401
    import sympy  # noqa: F401
    import torch  # noqa: F401  (the point of the server)
    import torch._subclasses.fake_tensor  # noqa: F401
    import torch.nn.functional  # noqa: F401
    import torch.testing  # noqa: F401

    from autograder.sandbox import child
    from autograder.sandbox.tracer import Trace

    child.python_readable_by_others()  # warm its cache
    # Entering the tracing modes the first time imports a lot lazily (seconds);
    # pay that once here. One thread, CPU only: no thread pool or CUDA to fork.
    torch.set_num_threads(1)
    with Trace():
        torch.ones(2, 2) @ torch.ones(2, 2)
    with child.fake_mode():
        torch.empty(2, 2, device="cuda") + 1


def serve() -> None:
    # Importing makes millions of objects and next to no garbage: the
    # collections it would trigger cost half a second of the grading's start.
    # Frozen afterwards, the preloaded objects are never scanned again, in
    # the server or in its children (whose pages then stay shared).
    gc.disable()
    preload()
    gc.freeze()
    gc.enable()

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    become_subreaper()
    children = []
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                run_child(request)
            finally:
                os._exit(0)
        children.append(pid)
        sys.stdout.write(json.dumps({"pid": pid}) + "\n")
        sys.stdout.flush()
    kill_all(children)
    os._exit(0)  # nothing left to save: skip tearing down torch (a second)


def become_subreaper() -> None:
    """Orphans of our children (a daemon a submission started) become ours to kill."""
    import ctypes

    PR_SET_CHILD_SUBREAPER = 36
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: process groups still cover most cases
        pass


def descendants() -> list[int]:
    """Processes whose parent is this server (its children and adopted orphans)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == me:
                found.append(int(entry))
    return found


def kill_all(children: list[int]) -> None:
    for _ in range(20):  # orphans keep arriving while their parents die
        pids = set(children) | set(descendants())
        children = []
        if not pids:
            return
        for pid in pids:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        time.sleep(0.05)


if __name__ == "__main__":
    serve()
