"""A fork server: import torch once, then fork a fresh child per module.

Importing torch takes a second or two; forking a process that already has it
takes milliseconds. The server has imported torch but never run an operation
or touched CUDA, so its forks start clean. Before the first fork it also
prepares what every child needs for its sandbox (child.Kit): the guards on
torch's mode stacks and the snapshot of the namespaces to check.

Protocol: the grader and the server share a Unix socketpair of sequenced
packets (one request, one answer). A request is `{"module", "workdir",
"limits", "cuda"}` in JSON with one file descriptor attached (SCM_RIGHTS): the
child's end of a fresh socketpair the grader made for that child. The server
forks; the child keeps that descriptor as its connection; the server closes
it and answers `{"pid": N}`. No socket has a name anywhere, so no child can
find or reach another child's connection. When the grader's end closes, the
server kills every child it made and exits.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys
import time

from autograder.sandbox import lifetime


def run_child(request: dict, fd: int, kit) -> None:
    from autograder.sandbox import child

    child.main(fd, request["module"], request["workdir"], request["limits"], kit,
               real_cuda=request.get("cuda") is True)


def preload() -> None:
    """Import here, once, everything a child would otherwise import after each fork."""
    import numpy  # noqa: F401
    import sympy  # noqa: F401
    import torch  # noqa: F401  (the point of the server)
    import torch._subclasses.fake_tensor  # noqa: F401
    import torch.nn.functional  # noqa: F401
    import torch.testing  # noqa: F401

    from autograder.sandbox import child, cuda, probes, syscalls  # noqa: F401  (syscalls loads libseccomp here)
    from autograder.sandbox.tracer import Trace

    child.python_readable_by_others()  # warm its cache
    # Entering the tracing modes the first time imports a lot lazily (seconds);
    # pay that once here. One thread, CPU only: no thread pool or CUDA to fork.
    torch.set_num_threads(1)
    with Trace():
        torch.ones(2, 2) @ torch.ones(2, 2)
    # No fork of a process that started the CUDA driver can use CUDA
    # (sandbox/cuda.py). FakeTensorMode asks torch.cuda.is_available(), which
    # starts it unless NVML answers, and a fake CUDA tensor makes a real one
    # where there is a device: so NVML answers here, fake tensors are warmed
    # up on meta where a device exists, and not at all where NVML cannot tell.
    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"
    devices = cuda.possible_devices()
    if devices >= 0:
        with probes.fake_mode():
            torch.empty(2, 2, device="meta" if devices else "cuda") + 1


def prepare():
    """Preload, then the Kit every child starts from; the objects made so far frozen."""
    # Importing makes millions of objects and next to no garbage: the
    # collections it would trigger cost half a second of the grading's start.
    # Frozen afterwards, the preloaded objects are never scanned again, in
    # the server or in its children (whose pages then stay shared).
    gc.disable()
    preload()
    from autograder.sandbox.child import Kit

    kit = Kit()
    gc.freeze()
    gc.enable()
    return kit


def serve(control: socket.socket, kit) -> None:
    """Fork a child per request on `control` until the grader's end closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    become_subreaper()
    children = []
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 1 << 16, 1)
        except OSError:
            break
        if not data:
            break
        request = json.loads(data)
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                run_child(request, fds[0], kit)
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        children.append(pid)
        control.sendall(json.dumps({"pid": pid}).encode())
    kill_all(children)
    os._exit(0)  # nothing left to save: skip tearing down torch (a second)


def zygote(control: socket.socket) -> None:
    """Preload once, then fork a fresh, never-used fork server per request.

    A warm batch worker (hosts/batch/warm_worker.py) grades one submission
    after another; each grading asks this process for a server of its own (a
    request `{"id", "folder"}` with the grading's end of a new control socket
    attached) instead of paying the preload again. The zygote never runs a
    request itself, so every server starts from the same untouched state;
    it answers `{"id", "pid"}` (or `{"id", "error"}` when it could not fork)
    and exits when the worker's end closes.
    """
    lifetime.die_with(os.getppid(), code=0)  # first: a worker gone while we preload takes us along
    kit = prepare()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # servers are reaped automatically
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 1 << 16, 1)
        except OSError:
            break
        if not data:
            break
        try:
            request = json.loads(data)
            if len(fds) != 1:
                raise ValueError(f"a request needs one descriptor, not {len(fds)}")
            pid = os.fork()
        except (OSError, ValueError) as exc:  # out of memory or processes: this request only
            for fd in fds:
                os.close(fd)
            control.sendall(json.dumps({"id": request_id(data), "error": str(exc)}).encode())
            continue
        if pid == 0:
            try:
                control.close()  # a server, and its children, cannot reach the zygote
                os.chdir(request["folder"])
                serve(socket.socket(fileno=fds[0]), kit)
            finally:
                os._exit(0)
        os.close(fds[0])
        control.sendall(json.dumps({"id": request.get("id"), "pid": pid}).encode())
    os._exit(0)


def request_id(data: bytes):
    try:
        return json.loads(data).get("id")
    except (ValueError, AttributeError):
        return None


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
    if sys.argv[1] == "--zygote":
        zygote(socket.socket(fileno=int(sys.argv[2])))
    else:
        serve(socket.socket(fileno=int(sys.argv[1])), prepare())
