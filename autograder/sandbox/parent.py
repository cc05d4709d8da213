"""The grader's side of the sandbox: one child process per student module.

`Submission(module, folder)` copies just that module's file into a private
folder, starts a child for it from the fork server, and lets the hidden tests
call into it. Whatever happens in the child (an exception, a hang, an exit, a
crash) comes back as an `Outcome`; the child is restarted for the next call.
Objects the student creates stay in the child and are used through `Remote`.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from autograder.sandbox import wire
from autograder.sandbox.server import fork_server

# Resource limits of a child (resource.setrlimit names).
LIMITS = {
    "RLIMIT_CPU": 600,  # seconds of CPU in all; the wall-clock limit usually comes first
    "RLIMIT_AS": 8 * 2**30,  # address space: torch alone maps about 1.5 GiB
    "RLIMIT_FSIZE": 16 * 2**20,  # largest file it may write
    "RLIMIT_NOFILE": 256,
}
ROOT_ONLY_LIMITS = {"RLIMIT_NPROC": 64}  # per user: only meaningful once we drop to nobody
START_TIMEOUT = 20.0  # seconds to import the student's module (torch is already imported)
CALL_TIMEOUT = 10.0  # default seconds for one call

class ChildGone(RuntimeError):
    pass


# -- what the grader sends ----------------------------------------------------------


@dataclass(frozen=True)
class Remote:
    """An object that lives in the child (a student's `Lin`, a kept tensor)."""

    submission: "Submission"
    handle: wire.Handle

    @property
    def type(self) -> str:
        return self.handle.type

    def get(self, name: str):
        return self.submission.get(self, name)

    def call(self, *args, **kwargs) -> "Outcome":
        return self.submission.call(self, *args, **kwargs)

    def method(self, name: str, *args, **kwargs) -> "Outcome":
        return self.submission.call(self, *args, method=name, **kwargs)


@dataclass(frozen=True)
class Transposed:
    """Send `base.t()`: a transposed view, so the child gets a non-contiguous tensor."""

    base: torch.Tensor


@dataclass(frozen=True)
class Seed:
    """A `torch.Generator` seeded in the child."""

    seed: int


@dataclass(frozen=True)
class Grad:
    """A tensor that requires grad in the child."""

    tensor: torch.Tensor


def encode_arg(value) -> Any:
    if isinstance(value, Remote):
        return {"$ref": value.handle.id}
    if isinstance(value, Transposed):
        return {"$tensor": {**wire.encode_tensor(value.base.contiguous()), "view": "t"}}
    if isinstance(value, Grad):
        return {"$tensor": {**wire.encode_tensor(value.tensor), "requires_grad": True}}
    if isinstance(value, Seed):
        return {"$generator": int(value.seed)}
    if isinstance(value, torch.Tensor):
        return {"$tensor": {**wire.encode_tensor(value), "requires_grad": False}}
    if isinstance(value, list):
        return [encode_arg(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode_arg(v) for v in value]}
    if isinstance(value, dict):
        return {"$dict": [[encode_arg(k), encode_arg(v)] for k, v in value.items()]}

    def refuse(obj):
        raise TypeError(f"cannot send {type(obj).__name__} to a child")

    return wire.encode(value, refuse)


# -- what comes back ----------------------------------------------------------------


@dataclass
class Outcome:
    """The result of one call into the student's code."""

    value: Any = None
    error: dict | None = None
    seconds: float = 0.0
    trace: dict | None = None
    args: list = field(default_factory=list)
    state_changed: list = field(default_factory=list)
    raw_value: Any = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def raised(self, name: str) -> bool:
        """Did the call raise `name` (or a subclass of it)?"""
        return self.error is not None and (
            name == self.error.get("type") or name in self.error.get("bases", [])
        )

    @property
    def error_text(self) -> str:
        if self.error is None:
            return ""
        text = f"{self.error.get('type')}: {self.error.get('message', '')}".strip()
        return f"{text} ({self.error['where']})" if self.error.get("where") else text

    def mutated(self) -> list[int]:
        """Positions of the arguments the call changed in place."""
        return [i for i, arg in enumerate(self.args) if arg.get("mutated")]

    def grad(self, position: int):
        """The `.g` the call left on argument `position`, if any."""
        raw = self.args[position].get("g") if position < len(self.args) else None
        return None if raw is None else wire.decode(raw)

    @property
    def device(self) -> str | None:
        raw = self.raw_value
        if isinstance(raw, dict) and "$tensor" in raw:
            return raw["$tensor"]["device"]
        return None

    @property
    def stride(self) -> tuple | None:
        raw = self.raw_value
        if isinstance(raw, dict) and "$tensor" in raw:
            return tuple(raw["$tensor"]["stride"])
        return None

    def calls(self, *names: str) -> int:
        """How many Python-level torch calls of these names the call made."""
        calls = (self.trace or {}).get("calls", {})
        return sum(calls.get(name, 0) for name in names) if names else sum(calls.values())

    def kernels(self, *names: str) -> int:
        kernels = (self.trace or {}).get("kernels", {})
        return sum(kernels.get(name, 0) for name in names) if names else sum(kernels.values())


def failure(kind: str, message: str) -> Outcome:
    return Outcome(error={"type": kind, "bases": [kind], "message": message, "where": ""})


# -- the child process ---------------------------------------------------------------


class Submission:
    """One student module, running in its own child process."""

    def __init__(self, module: str, folder: Path, *, call_timeout: float = CALL_TIMEOUT):
        self.module = module
        self.source = Path(folder) / f"{module}.py"
        self.call_timeout = call_timeout
        self.pid = None
        self.conn = None
        self.workdir = None
        self.import_error: dict | None = None
        self.starts = 0
        self.restarts = 0
        self.hung: dict[str, str] = {}  # target -> why: once hung, it is not waited for again

    @property
    def present(self) -> bool:
        return self.source.is_file()

    # -- life cycle --

    def start(self) -> None:
        self.close()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"child-{self.module}-"))
        shutil.copyfile(self.source, self.workdir / self.source.name)
        os.chmod(self.workdir, 0o755)  # readable after the child drops to nobody
        limits = dict(LIMITS, **(ROOT_ONLY_LIMITS if os.geteuid() == 0 else {}))
        try:
            self.pid, self.conn = fork_server().spawn(self.module, self.workdir, limits, START_TIMEOUT)
        except (OSError, ValueError) as exc:  # no fork, or no connection in time
            raise ChildGone(f"could not start a process for {self.module}.py: {exc}") from exc
        try:
            hello = self._receive(START_TIMEOUT, "importing the module")
        except ChildGone as exc:
            if not str(exc).startswith("timeout"):
                raise
            # An import that never ends (a loop outside any function) would
            # cost every test the whole wait again: fail them all at once.
            hello = {"ok": False, "error": {
                "type": "TimeoutError",
                "message": f"importing it took over {START_TIMEOUT:g} s: is there an endless loop "
                           "outside any function?"}}
        self.import_error = None if hello.get("ok") else hello.get("error")

    def ensure_started(self) -> None:
        if self.conn is None and self.import_error is None:
            self.restarts += self.starts > 0
            self.starts += 1
            self.start()

    def close(self) -> None:
        if self.pid is not None:
            kill_group(self.pid)
            self.pid = None
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    # -- requests --

    def _receive(self, timeout: float, doing: str) -> dict:
        try:
            ready = self.conn.poll(timeout)
        except (EOFError, OSError):
            ready = True
        if not ready:
            self.close()
            raise ChildGone(f"timeout: no answer within {timeout:g} s")
        try:
            data = self.conn.recv_bytes(maxlength=256 * 2**20)
            return wire.loads(data)
        except (EOFError, OSError) as exc:
            self.close()
            raise ChildGone(f"the process ended while {doing}") from exc
        except ValueError as exc:
            self.close()
            raise ChildGone(f"unreadable answer while {doing}: {exc}") from exc

    def request(self, message: dict, timeout: float | None = None) -> dict:
        self.ensure_started()
        if self.conn is None:
            raise ChildGone(f"{self.module}.py did not import: {self.import_error['message']}")
        self.conn.send_bytes(wire.dumps(message))
        return self._receive(timeout or self.call_timeout, f"running {message.get('op')}")

    def _target(self, target) -> Any:
        return {"$ref": target.handle.id} if isinstance(target, Remote) else target

    def call(self, target, *args, method=None, device="cpu", trace=True, timeout=None, **kwargs) -> Outcome:
        """Call a function or class of the module (by name) or a remote object."""
        message = {
            "op": "call",
            "target": self._target(target),
            "method": method,
            "args": [encode_arg(a) for a in args],
            "kwargs": {k: encode_arg(v) for k, v in kwargs.items()},
            "device": device,
            "trace": trace,
        }
        key = f"{getattr(target, 'type', target)}.{method}" if method else str(getattr(target, "type", target))
        if key in self.hung:
            return failure("Timeout", f"{self.hung[key]} (an earlier call did not finish either)")
        try:
            self.ensure_started()
            if self.import_error is not None:
                return Outcome(error=dict(self.import_error, message=f"{self.module}.py did not import: "
                                          f"{self.import_error['type']}: {self.import_error['message']}"))
            answer = self.request(message, timeout)
        except ChildGone as exc:
            kind = "Timeout" if str(exc).startswith("timeout") else "Crash"
            if kind == "Timeout":
                self.hung[key] = str(exc)
            return failure(kind, str(exc))
        return self._outcome(answer)

    def _outcome(self, answer: dict) -> Outcome:
        try:
            value = wire.decode(answer.get("value"))
        except (ValueError, KeyError, TypeError) as exc:
            return failure("BadValue", f"the result could not be read: {exc}")
        if isinstance(value, wire.Handle):
            value = Remote(self, value)
        return Outcome(
            value=value,
            error=answer.get("error"),
            seconds=float(answer.get("seconds", 0.0)),
            trace=answer.get("trace"),
            args=answer.get("args", []),
            state_changed=answer.get("state_changed", []),
            raw_value=answer.get("value"),
        )

    def _value(self, message: dict):
        outcome = self._outcome(self.request(message))
        if not outcome.ok:
            raise StudentError(outcome)
        return outcome.value

    def get(self, target: Remote, name: str):
        return self._value({"op": "getattr", "target": self._target(target), "name": name})

    def keep(self, value, device: str = "cpu") -> Remote:
        return self._value({"op": "keep", "value": encode_arg(value), "device": device})

    def callable(self, **spec) -> Remote:
        return self._value({"op": "keep", "value": {"$callable": spec}})

    def probe(self, name: str, *args):
        return self._value({"op": "probe", "name": name, "args": [encode_arg(a) for a in args]})

    def repeat(self, target, args, number: int, timeout: float) -> float:
        """Seconds for `number` calls, measured here, not by the child.

        Where the kernel keeps scheduler statistics this is the CPU time the
        child's threads spent (so waiting for a busy CPU does not count);
        elsewhere the wall-clock time of the request.
        """
        message = {"op": "repeat", "target": self._target(target),
                   "args": [encode_arg(a) for a in args], "number": number}
        cpu_before = cpu_seconds(self.pid)
        start = time.perf_counter()
        answer = self.request(message, timeout)
        seconds = time.perf_counter() - start
        cpu_after = cpu_seconds(self.pid)
        if not answer.get("ok"):
            raise StudentError(Outcome(error=answer.get("error")))
        if cpu_before is not None and cpu_after is not None:
            return max(cpu_after - cpu_before, 1e-9)
        return seconds


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time of all of a process's threads so far, from /proc (the kernel's
    count, which the process cannot change); None where it cannot be read."""
    if pid is None:
        return None
    total = 0
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            with open(f"{task.path}/schedstat") as stats:
                total += int(stats.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e9


class StudentError(Exception):
    """The student's code failed where the test needed it to work."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.error_text)
        self.outcome = outcome


def kill_group(pid: int) -> None:
    """SIGKILL a child and everything in its process group."""
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass
