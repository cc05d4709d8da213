"""The child process that holds one student module and answers the grader.

It starts forked from the fork server (torch already imported), locks itself
down (own process group, resource limits, scrubbed environment, output to
/dev/null), imports the module from its private copy, then answers requests
until the grader hangs up. Every request and answer is plain data (wire.py).
Nothing here decides a score: the grader compares what comes back.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import resource
import signal
import sys
import time
import traceback
from contextlib import ExitStack, nullcontext

import torch

from autograder.sandbox import landlock, probes, wire
from autograder.sandbox.tracer import Trace

# Environment a child keeps; everything else (tokens, paths to the grader) goes.
KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TZ")


class Child:
    def __init__(self, conn):
        self.conn = conn
        self.handles: dict[int, object] = {}
        self.module = None

    # -- handles -------------------------------------------------------------

    def keep(self, value) -> wire.Handle:
        handle = wire.Handle(len(self.handles) + 1, type(value).__qualname__)
        self.handles[handle.id] = value
        return handle

    def encode(self, value):
        return wire.encode(value, self.keep)

    # -- arguments -----------------------------------------------------------

    def build(self, raw, device: str):
        """A value from the grader, with its tensors put on `device`."""
        if isinstance(raw, list):
            return [self.build(v, device) for v in raw]
        if not isinstance(raw, dict):
            return raw
        if "$ref" in raw:
            return self.handles[int(raw["$ref"])]
        if "$tensor" in raw:
            return self.place(raw["$tensor"], device)
        if "$tuple" in raw:
            return tuple(self.build(v, device) for v in raw["$tuple"])
        if "$dict" in raw:
            return {self.build(k, device): self.build(v, device) for k, v in raw["$dict"]}
        if "$generator" in raw:
            return torch.Generator().manual_seed(int(raw["$generator"]))
        if "$callable" in raw:
            return probes.make_callable(raw["$callable"])
        return wire.decode(raw)

    def place(self, spec: dict, device: str) -> torch.Tensor:
        tensor = wire.decode_tensor(spec)
        if isinstance(tensor, wire.TensorInfo):
            tensor = torch.zeros(tensor.shape, dtype=tensor.dtype)
        if device in ("meta", "fake-cuda"):
            target = "cuda" if device == "fake-cuda" else "meta"
            tensor = torch.empty(tensor.shape, dtype=tensor.dtype, device=target)
        elif device == "cuda":
            tensor = tensor.to("cuda")
        if spec.get("view") == "t":  # the grader sent a transposed, non-contiguous view
            tensor = tensor.t()
        if spec.get("requires_grad"):
            tensor.requires_grad_(True)
        return tensor

    # -- requests ------------------------------------------------------------

    def target(self, raw):
        if isinstance(raw, dict) and "$ref" in raw:
            return self.handles[int(raw["$ref"])]
        if self.module is None:
            raise RuntimeError("the module did not import")
        return getattr(self.module, raw)

    def op_call(self, request: dict) -> dict:
        device = request.get("device", "cpu")
        mode = fake_mode() if device == "fake-cuda" else nullcontext()
        with mode:
            args = [self.build(a, device) for a in request.get("args", [])]
            kwargs = {k: self.build(v, device) for k, v in request.get("kwargs", {}).items()}
            target = self.target(request["target"])
            if request.get("method"):
                target = getattr(target, request["method"])
            before = [snapshot(a) for a in args]
            state = global_state()
            with ExitStack() as stack:
                trace = stack.enter_context(Trace()) if request.get("trace") else None
                start = time.perf_counter()
                try:
                    value, error = target(*args, **kwargs), None
                except BaseException as exc:  # the student's exception, whatever it is
                    value, error = None, describe(exc)
                seconds = time.perf_counter() - start
            answer = {
                "ok": error is None,
                "error": error,
                "seconds": seconds,
                "trace": trace.as_dict() if trace else None,
                "args": [after(a, b, self.encode) for a, b in zip(args, before)],
                "state_changed": restore_state(state),
            }
            if error is None:
                answer["value"] = self.encode(value)
        return answer

    def op_getattr(self, request: dict) -> dict:
        value = getattr(self.target(request["target"]), request["name"])
        return {"ok": True, "value": self.encode(value)}

    def op_keep(self, request: dict) -> dict:
        handle = self.keep(self.build(request["value"], request.get("device", "cpu")))
        return {"ok": True, "value": {"$handle": handle.id, "type": handle.type}}

    def op_probe(self, request: dict) -> dict:
        args = [self.build(a, "cpu") for a in request.get("args", [])]
        value = probes.PROBES[request["name"]](self, *args)
        return {"ok": True, "value": self.encode(value)}

    def op_repeat(self, request: dict) -> dict:
        """Call `number` times with no tracing; the grader times the request."""
        target = self.target(request["target"])
        args = [self.build(a, "cpu") for a in request.get("args", [])]
        for _ in range(int(request["number"])):
            target(*args)
        return {"ok": True}

    def answer(self, request: dict) -> dict:
        try:
            return getattr(self, f"op_{request['op']}")(request)
        except BaseException as exc:
            return {"ok": False, "error": describe(exc)}

    def serve(self) -> None:
        while True:
            try:
                data = self.conn.recv_bytes()
            except (EOFError, OSError):
                return
            self.conn.send_bytes(wire.dumps(self.answer(wire.loads(data))))


def fake_mode():
    from torch._subclasses.fake_tensor import FakeTensorMode

    return FakeTensorMode(allow_non_fake_inputs=False)


def describe(exc: BaseException) -> dict:
    """An exception as plain data: its type, its base types and its message."""
    try:
        message = str(exc)
    except BaseException:
        message = "<the exception's message could not be read>"
    return {
        "type": type(exc).__name__,
        "bases": [cls.__name__ for cls in type(exc).__mro__ if cls.__module__ == "builtins"],
        "message": message[:2000],
        "where": where(exc),
    }


def where(exc: BaseException) -> str:
    """The innermost line of the student's file in the traceback, if any."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if f.filename.startswith(os.getcwd())]
    if not mine:
        return ""
    frame = mine[-1]
    return f"{os.path.basename(frame.filename)}:{frame.lineno}: {(frame.line or '').strip()}"[:300]


def snapshot(value):
    if isinstance(value, torch.Tensor) and wire.tensor_has_data(value):
        return value.detach().clone()
    return None


def after(value, before, encode) -> dict:
    """What happened to an argument: changed in place? a `.g` set on it?"""
    if not isinstance(value, torch.Tensor):
        return {}
    out = {"mutated": before is not None and not same_values(before, value.detach())}
    grad = getattr(value, "g", None)
    if grad is not None:
        out["g"] = encode(grad)
    return out


def same_values(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.is_floating_point():
        return bool(((a == b) | (a.isnan() & b.isnan())).all())
    return torch.equal(a, b)


def global_state() -> dict:
    return {
        "default_dtype": torch.get_default_dtype(),
        "grad_enabled": torch.is_grad_enabled(),
        "num_threads": torch.get_num_threads(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
    }


SETTERS = {
    "default_dtype": torch.set_default_dtype,
    "grad_enabled": torch.set_grad_enabled,
    "num_threads": torch.set_num_threads,
    "deterministic": torch.use_deterministic_algorithms,
}


def restore_state(before: dict) -> list[str]:
    """Put torch's global state back as it was; name what the call changed."""
    now = global_state()
    changed = [key for key in before if now[key] != before[key]]
    for key in changed:  # only these: use_deterministic_algorithms alone takes over a ms
        SETTERS[key](before[key])
    return changed


# -- start-up ------------------------------------------------------------------


def lock_down(workdir: str, limits: dict) -> None:
    os.setsid()  # our own process group: the grader kills it whole
    os.chdir(workdir)
    for name in list(os.environ):
        if name not in KEPT_ENVIRONMENT:
            del os.environ[name]
    os.environ["HOME"] = workdir
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too large file is an error, not a kill
    for name, value in limits.items():
        limit = getattr(resource, name)
        soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        hard_value = value + 5 if name == "RLIMIT_CPU" else value
        if hard != resource.RLIM_INFINITY:
            hard_value = min(hard_value, hard)
        resource.setrlimit(limit, (value, hard_value))
    landlock.restrict(readable_paths(), [workdir])
    if os.geteuid() == 0 and python_readable_by_others():  # graded as root: drop to nobody
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    torch.set_num_threads(1)  # one thread: steadier timings, no oversubscription


# Where the grader keeps what a submission must never read.
PRIVATE = [os.path.abspath(os.path.join(os.path.dirname(__file__), *parts))
           for parts in (("..", "..", "solutions"), ("..", "hidden"))]
SYSTEM = ["/usr", "/lib", "/lib64", "/etc", "/dev", "/sys", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat"]


def readable_paths() -> list[str]:
    """The Python installation, the system's libraries and this process's own
    /proc entry: no folder that holds the grader's private files."""
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path,
                  os.path.dirname(os.path.abspath(__file__)), f"/proc/{os.getpid()}", *SYSTEM]
    found = []
    for path in candidates:
        path = os.path.abspath(path or ".")
        if not any(private == path or private.startswith(path + os.sep) for private in PRIVATE):
            found.append(path)
    return list(dict.fromkeys(found))


@functools.cache
def python_readable_by_others() -> bool:
    """Could an unprivileged user still import the standard library, torch, numpy, sympy?"""
    import numpy
    import sympy

    folders = [os.path.dirname(os.__file__)] + [
        os.path.dirname(os.path.dirname(m.__file__)) for m in (torch, numpy, sympy)
    ]
    for folder in folders:
        path = os.path.abspath(folder)
        while True:
            if not os.stat(path).st_mode & 0o001:
                return False
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
        if os.stat(folder).st_mode & 0o005 != 0o005:
            return False
    return True


def import_module(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main(conn, module_name: str, workdir: str, limits: dict) -> None:
    """Entry point in the forked child."""
    child = Child(conn)
    try:
        lock_down(workdir, limits)
        sys.path[:0] = [workdir]
        child.module = import_module(module_name, os.path.join(workdir, f"{module_name}.py"))
        hello = {"ok": True, "pid": os.getpid()}
    except BaseException as exc:
        hello = {"ok": False, "pid": os.getpid(), "error": describe(exc)}
    conn.send_bytes(wire.dumps(hello))
    child.serve()
    os._exit(0)
