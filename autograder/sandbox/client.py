"""The grader's side of the sandbox: a child process per student module.

`Submission(module, folder)` copies just that module's file into a private
folder, starts a child for it from the fork server, and lets the hidden tests
call into it. Whatever happens in the child (an exception, a hang, an exit, a
crash, an integrity breach) comes back as an `Outcome`; the child is
restarted for the next call. Nothing one item's calls leave behind may
reach another's (`for_item`): where seccomp keeps a call from leaving a
thread, a process or a timer behind, a module's items share a child until it
grows by GROWTH_LIMIT; elsewhere each item gets a fresh one.
Objects the student creates stay in the child and are used through `Remote`.

Budgets keep a hostile module from stretching a grading: the whole grading
has a deadline (`set_deadline`), a module's imports share one allowance of
time (a slow import is paid once, not once per item), and an item whose
child keeps dying stops being restarted.
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

from autograder.sandbox import cuda, wire
from autograder.sandbox.failures import ChildGone, ChildTimedOut
from autograder.sandbox.forkserver_client import fork_server

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
CUDA_START = 60.0  # seconds a child may take to start real CUDA, before its import (sandbox/cuda.py)
IMPORT_BUDGET = 30.0  # seconds all of a module's imports may take together
GROWTH_LIMIT = 512 * 2**20  # bytes a shared child may grow before the next item gets a fresh one
SLOW_IMPORT = 2.0  # an import slower than this is paid once: the module's items share a child
MOST_CRASHES = 6  # a child that died this often within one item is not started again for it
ANSWER_LIMIT = 32 * 2**20  # bytes: the largest real answer is well under a megabyte

_deadline: list[float | None] = [None]


def set_deadline(seconds_from_now: float | None) -> None:
    """The time the whole grading may take from now (None: no limit). Forks
    of the grader inherit it: one deadline for every group of suites."""
    _deadline[0] = None if seconds_from_now is None else time.monotonic() + seconds_from_now


def remaining() -> float | None:
    return None if _deadline[0] is None else _deadline[0] - time.monotonic()



# -- what the grader sends ----------------------------------------------------------


@dataclass(frozen=True)
class Remote:
    """An object that lives in the child (a student's `Lin`, a kept tensor).

    `generation` is the child it lives in: after a restart it is gone."""

    submission: "Submission"
    handle: wire.Handle
    generation: int = 0

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
        return value.submission._target(value)
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
    # Set by the grader's side only, never from what the child sent: a
    # student's exception may be named "Timeout" or "Crash".
    timed_out: bool = False
    crashed: bool = False

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

    def grads_aliased(self) -> list[tuple[int, int]]:
        """(i, j) where the `.g` the call left on argument i shares memory
        with argument j's values or `.g` (j may be i: a gradient that is its
        own tensor)."""
        found = []
        for i, arg in enumerate(self.args):
            mine = arg.get("g_storage")
            if not isinstance(mine, int) or not arg.get("g_set"):
                continue
            for j, other in enumerate(self.args):
                if other.get("storage") == mine or (j != i and other.get("g_storage") == mine):
                    found.append((i, j))
        return found

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
    """A call the child did not answer: `kind` is "Timeout" or "Crash"."""
    return Outcome(error={"type": kind, "bases": [kind], "message": message, "where": ""},
                   timed_out=kind == "Timeout", crashed=kind == "Crash")


def bounded_error(error) -> dict:
    """A student's exception as the child described it, as text of bounded
    length whatever the child sent (reports clean it again)."""
    if not isinstance(error, dict):
        return {"type": "BadAnswer", "bases": [], "message": "the child sent an unreadable error", "where": ""}

    def text(value, limit: int) -> str:
        return value[:limit] if isinstance(value, str) else ""

    bases = error.get("bases")
    return {
        "type": text(error.get("type"), 100) or "Exception",
        "bases": [text(b, 100) for b in bases[:20]] if isinstance(bases, list) else [],
        "message": text(error.get("message"), 1000),
        "where": text(error.get("where"), 300),
    }


@dataclass(frozen=True)
class Timed:
    """A timed batch: seconds for its calls, and what the tracer saw of them."""

    seconds: float
    trace: dict | None


# -- the child process ---------------------------------------------------------------


class Submission:
    """One student module, running in its own child process (one per item)."""

    def __init__(self, module: str, folder: Path, *, call_timeout: float = CALL_TIMEOUT,
                 isolate_items: bool = True):
        self.module = module
        self.source = Path(folder) / f"{module}.py"
        self.call_timeout = call_timeout
        self.pid = None
        self.conn = None
        self.workdir = None
        self.import_error: dict | None = None
        self.starts = 0
        self.restarts = 0
        self.import_seconds = 0.0
        self.isolate_items = isolate_items
        self.size_at_start: int | None = None
        self.layers: dict = {}
        self.item: str | None = None
        self.crashes: dict[str | None, int] = {}
        self.hung: dict[str, str] = {}  # target -> why: once hung, it is not waited for again

    @property
    def present(self) -> bool:
        return self.source.is_file()

    # -- life cycle --

    def for_item(self, item: str) -> None:
        """Calls from now on belong to `item`: a fresh child when it changes,
        unless the child cannot have left anything behind that would touch
        the next item's calls (seccomp stops it from starting a thread, a
        process or a timer) and has not grown by more than GROWTH_LIMIT
        (what one item's leak would take from the next)."""
        if item == self.item:
            return
        if self.isolate_items or self._grew():
            self.close()
        self.item = item
        self.hung.clear()  # a function that hung for one item is tried again for the next

    def _grew(self) -> bool:
        size = resident_bytes(self.pid)
        return size is not None and self.size_at_start is not None and size - self.size_at_start > GROWTH_LIMIT

    def start(self) -> None:
        self.close()
        if self.import_seconds >= IMPORT_BUDGET:
            self.import_error = {"type": "TimeoutError", "where": "", "message": (
                f"importing it took {self.import_seconds:.0f} s in all over {self.starts - 1} starts, "
                f"more than the {IMPORT_BUDGET:g} s a module's imports may take: it is not started again")}
            return
        try:
            self.workdir = Path(tempfile.mkdtemp(prefix=f"child-{self.module}-"))
            shutil.copyfile(self.source, self.workdir / self.source.name)
            os.chmod(self.workdir, 0o755)  # readable after the child drops to nobody
        except OSError as exc:  # a full disk (another child's files, perhaps): this check fails, not the grading
            raise ChildGone(f"could not prepare a folder for {self.module}.py: {exc.strerror or exc}") from exc
        real_cuda = cuda.available()
        # RLIMIT_NPROC counts every thread of user nobody, and a CUDA child has
        # several: there seccomp (in every thread) is what refuses new ones.
        limits = dict(LIMITS, **(ROOT_ONLY_LIMITS if os.geteuid() == 0 and not real_cuda else {}))
        timeout = self._limit(START_TIMEOUT)
        started = time.monotonic()
        try:
            self.pid, self.conn = fork_server().spawn(self.module, self.workdir, limits, timeout, real_cuda)
        except (OSError, ValueError) as exc:  # no fork, or no answer in time
            raise ChildGone(f"could not start a process for {self.module}.py: {exc}") from exc
        hello = None
        if real_cuda:  # starting CUDA was the grader's time; the import's starts now
            hello = self._cuda_started()
            started, timeout = time.monotonic(), self._limit(START_TIMEOUT)
        try:
            hello = hello or self._receive(timeout, "importing the module")
        except ChildGone as exc:
            if not isinstance(exc, ChildTimedOut):
                raise
            # An import that never ends (a loop outside any function) would
            # cost every test the whole wait again: fail them all at once.
            hello = {"ok": False, "error": {
                "type": "TimeoutError", "where": "",
                "message": f"importing it took over {timeout:g} s: is there an endless loop "
                           "outside any function?"}}
        took = time.monotonic() - started
        self.import_seconds += took
        layers = hello.get("layers")
        self.layers = layers if isinstance(layers, dict) else {}  # which of the kernel's layers hold
        if took > SLOW_IMPORT or self.layers.get("seccomp") is True:
            self.isolate_items = False  # a slow import is paid once; seccomp keeps items apart
        self.size_at_start = resident_bytes(self.pid)
        self.import_error = None if hello.get("ok") else bounded_error(hello.get("error"))

    def _cuda_started(self) -> dict | None:
        """Wait for a CUDA child's word that its lock-down (with CUDA started)
        is done, before its import begins: None once it is, else the answer
        that says why not."""
        limit = self._limit(CUDA_START)
        try:
            ready = self._receive(limit, "starting CUDA")
        except ChildTimedOut:
            ready = {"ok": False, "error": {"type": "TimeoutError", "where": "", "message": (
                f"the grader could not start CUDA in the sandbox within {limit:g} s")}}
        return None if ready.get("ready") is True else ready

    def ensure_started(self) -> None:
        if self.conn is None and self.import_error is None:
            left = remaining()
            if left is not None and left <= 0:
                raise ChildTimedOut("timeout: the grading's time budget ran out before this check")
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

    def _limit(self, timeout: float) -> float:
        """`timeout`, cut to what is left of the grading's budget."""
        left = remaining()
        return timeout if left is None else max(0.0, min(timeout, left))

    def _receive(self, timeout: float, doing: str) -> dict:
        try:
            ready = self.conn.poll(timeout)
        except (EOFError, OSError):
            ready = True
        if not ready:
            self.close()
            raise ChildTimedOut(f"timeout: no answer within {timeout:g} s")
        try:
            data = self.conn.recv_bytes(maxlength=ANSWER_LIMIT)
            return wire.loads(data)
        except (EOFError, OSError) as exc:
            self.close()
            raise ChildGone(f"the process ended while {doing}") from exc
        except ValueError as exc:
            self.close()
            raise ChildGone(f"unreadable answer while {doing}: {exc}") from exc

    def request(self, message: dict, timeout: float | None = None) -> dict:
        left = remaining()
        if left is not None and left <= 0:
            raise ChildTimedOut("timeout: the grading's time budget ran out before this check")
        self.ensure_started()
        if self.conn is None:
            raise ChildGone(f"{self.module}.py did not import: {self.import_error['message']}")
        self.conn.send_bytes(wire.dumps(message))
        answer = self._receive(self._limit(timeout or self.call_timeout), f"running {message.get('op')}")
        if answer.get("integrity"):
            self.close()  # the child may be compromised: never ask it again
        return answer

    def _target(self, target) -> Any:
        if isinstance(target, Remote):
            if target.generation != self.starts:
                raise ChildGone("the object no longer exists: its process was restarted")
            return {"$ref": target.handle.id}
        return target

    def _crashed_too_often(self) -> Outcome | None:
        crashes = self.crashes.get(self.item, 0)
        if crashes >= MOST_CRASHES:
            return failure("Crash", f"the process died {crashes} times during these checks: "
                                    "the rest of them were not run")
        return None

    def call(self, target, *args, method=None, device="cpu", trace=True, timeout=None, **kwargs) -> Outcome:
        """Call a function or class of the module (by name) or a remote object."""
        key = f"{getattr(target, 'type', target)}.{method}" if method else str(getattr(target, "type", target))
        if key in self.hung:
            return failure("Timeout", f"{self.hung[key]} (an earlier call did not finish either)")
        given_up = self._crashed_too_often()
        if given_up is not None:
            return given_up
        try:
            message = {
                "op": "call",
                "target": self._target(target),
                "method": method,
                "args": [encode_arg(a) for a in args],
                "kwargs": {k: encode_arg(v) for k, v in kwargs.items()},
                "device": device,
                "trace": trace,
            }
            self.ensure_started()
            if self.import_error is not None:
                return Outcome(error=dict(self.import_error, message=f"{self.module}.py did not import: "
                                          f"{self.import_error['type']}: {self.import_error['message']}"))
            answer = self.request(message, timeout)
        except ChildGone as exc:
            kind = "Timeout" if isinstance(exc, ChildTimedOut) else "Crash"
            if kind == "Timeout":
                self.hung[key] = str(exc)
            else:
                self.crashes[self.item] = self.crashes.get(self.item, 0) + 1
            return failure(kind, str(exc))
        return self._outcome(answer)

    def _outcome(self, answer: dict) -> Outcome:
        if answer.get("integrity"):
            return failure("Integrity", bounded_error(answer.get("error"))["message"])
        try:
            value = wire.decode(answer.get("value"))
        except ValueError as exc:  # the only error decode raises, whatever the child sent
            return failure("BadValue", f"the result could not be read: {exc}")
        if isinstance(value, wire.Handle):
            value = Remote(self, value, self.starts)
        error = answer.get("error")
        return Outcome(
            value=value,
            error=None if error is None else bounded_error(error),
            seconds=float(answer.get("seconds", 0.0)) if isinstance(answer.get("seconds"), (int, float)) else 0.0,
            trace=_trace(answer.get("trace")),
            args=[a if isinstance(a, dict) else {} for a in answer.get("args", [])][:64]
            if isinstance(answer.get("args"), list) else [],
            state_changed=[str(c)[:40] for c in answer.get("state_changed", [])][:10]
            if isinstance(answer.get("state_changed"), list) else [],
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
        """A callable made in the child for the student's code (see probes.make_callable)."""
        return self._value({"op": "callable", "spec": spec})

    def recorded(self, callable_: Remote) -> dict:
        """What a callable made by `callable` recorded of its calls."""
        self._target(callable_)
        return self._value({"op": "recorded", "handle": callable_.handle.id})

    def probe(self, name: str, *args):
        return self._value({"op": "probe", "name": name, "args": [encode_arg(a) for a in args]})

    def repeat(self, target, args, number: int, timeout: float, *, trace: bool = True) -> Timed:
        """`number` calls, timed here, not by the child; traced as a single
        call is (unless `trace` is off: the bench's ladder), so the code cannot
        tell a timed call from a checked one.

        Where the kernel keeps scheduler statistics the time is the CPU time
        the child's threads spent (so waiting for a busy CPU does not count);
        elsewhere the wall-clock time of the request.
        """
        message = {"op": "repeat", "target": self._target(target),
                   "args": [encode_arg(a) for a in args], "number": number, "trace": trace}
        cpu_before = cpu_seconds(self.pid)
        start = time.perf_counter()
        answer = self.request(message, timeout)
        seconds = time.perf_counter() - start
        cpu_after = cpu_seconds(self.pid)
        if not answer.get("ok"):
            raise StudentError(self._outcome(answer) if answer.get("integrity")
                               else Outcome(error=bounded_error(answer.get("error"))))
        if cpu_before is not None and cpu_after is not None:
            seconds = max(cpu_after - cpu_before, 1e-9)
        return Timed(seconds, _trace(answer.get("trace")))


def _trace(raw) -> dict | None:
    """A trace from the child, as counts of names, whatever it sent."""
    if not isinstance(raw, dict):
        return None
    out = {}
    for key in ("calls", "kernels"):
        counts = raw.get(key)
        out[key] = ({str(name)[:80]: int(n) for name, n in list(counts.items())[:2000]
                     if isinstance(n, int) and not isinstance(n, bool)}
                    if isinstance(counts, dict) else {})
    return out


def resident_bytes(pid: int | None) -> int | None:
    """A child's resident memory, from /proc (None where it cannot be read)."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


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
