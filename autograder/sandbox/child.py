"""The child process that holds one student module and answers the grader.

It starts forked from the fork server (torch imported, the torch guards of
guards.py in place, the snapshot of pristine.py taken), locks itself down
(its own process group, resource limits, a scrubbed environment, output to
/dev/null, no other file descriptor than its connection, Landlock, seccomp,
an audit hook), forgets the grader's modules, imports the student's module
from its private copy, then answers requests until the grader hangs up.
Every request and answer is plain data (wire.py). Nothing here decides a
score: the grader compares what comes back.

Student code runs only inside `Child.invoke`, the one boundary: right after
it returns, the child clears torch's frame hook, puts back every namespace
the student changed (pristine.py), and gathers what the audit hook and the
guards refused. Any of that fails the call with an integrity note, and the
child exits after answering, so the grader starts a fresh one. Values the
student returns are encoded by exact type (wire.py), so encoding them runs
no student code, and everything the call touched stays referenced until
its answer is ready; then it is let go and collected inside the boundary
(`settle`), so a finalizer the student planted costs that call, not the
next one.
"""

from __future__ import annotations

import gc
import json.decoder
import json.encoder
import json.scanner
import os
import resource
import signal
import sys
import time
from contextlib import nullcontext

import torch

from autograder.loading import load_file
from autograder.sandbox import audit, cuda, guards, landlock, probes, syscalls, wire
from autograder.sandbox.student_errors import describe_exception, plain
from autograder.sandbox.pristine import Watch
from autograder.sandbox.tracer import Trace

# Environment a child keeps; everything else (tokens, paths to the grader) goes.
KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TZ")
PLAIN_TENSORS = (torch.Tensor, torch.nn.Parameter)


class Integrity(BaseException):
    """The student's code reached for the sandbox: the call cannot be trusted.

    A BaseException, so that no `except Exception` in a probe swallows it."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# -- the connection ---------------------------------------------------------------


class Channel:
    """Length-prefixed frames on the child's socket, as multiprocessing's
    Connection frames them (the grader reads them with one). Everything it
    calls is bound when it is made, before any student code exists."""

    def __init__(self, fd: int):
        self.fd = fd
        self._read, self._write = os.read, os.write
        self._join = b"".join
        self._from_bytes = int.from_bytes
        encoder = json.encoder.c_make_encoder(
            None, _refuse_to_encode, json.encoder.encode_basestring_ascii, None, ":", ",",
            False, False, True)
        self._encode = lambda message: "".join(encoder(message, 0)).encode("ascii")
        self._scan = json.scanner.c_make_scanner(json.decoder.JSONDecoder())

    def _exactly(self, count: int, *, _len=len, _min=min) -> bytes | None:
        chunks, left = [], count
        while left:
            chunk = self._read(self.fd, _min(left, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            left -= _len(chunk)
        return self._join(chunks)

    def receive(self, *, _type=type) -> dict | None:
        """The next request, or None when the grader hung up."""
        header = self._exactly(4)
        if header is None:
            return None
        size = self._from_bytes(header, "big", signed=True)
        if size == -1:
            header = self._exactly(8)
            size = self._from_bytes(header, "big") if header else 0
        data = self._exactly(size)
        if data is None:
            return None
        message, _ = self._scan(data.decode("utf-8"), 0)
        return message if _type(message) is dict else None

    def send(self, message: dict, *, _len=len, _memoryview=memoryview) -> None:
        data = self._encode(message)
        size = _len(data)
        header = (size.to_bytes(4, "big", signed=True) if size < 0x7FFFFFFF
                  else (-1).to_bytes(4, "big", signed=True) + size.to_bytes(8, "big"))
        view = _memoryview(header + data)
        while view:
            view = view[self._write(self.fd, view):]


def _refuse_to_encode(value):
    raise TypeError(f"cannot send {type(value).__name__}")


# -- the child ---------------------------------------------------------------------


class Child:
    def __init__(self, channel: Channel, monitor: audit.Monitor, watch: Watch):
        self.channel = channel
        self.monitor = monitor
        self.watch = watch
        self.handles: dict[int, object] = {}
        self.recordings: dict[int, list] = {}  # handle id -> what a callable recorded
        self.module = None
        self.tainted = False
        self.breach: list[str] = []
        self.baseline = guards.mode_state()
        self.global_baseline = global_state()

    # -- the boundary ----------------------------------------------------------------

    def invoke(self, function, args=(), kwargs=None, *, importing: bool = False):
        """Run student code: (value, error) where error is the described
        exception or None. Raises Integrity when the code reached for the
        sandbox. `importing`: the module's own import, whose changes to
        torch and the standard library are put back without failing it (a
        module that patches torch.allclose at import changes no verdict)."""
        before = guards.mode_state()
        value = error = None
        try:
            try:
                value = function(*args, **(kwargs or {}))
            except Integrity:
                raise
            except BaseException as exc:  # the student's exception, whatever it is
                error = exc.error if type(exc) is StudentRaised else describe_exception(exc)
        except Integrity:
            raise
        except BaseException:  # describing it ran student code too (a hostile __str__)
            error = plain("Exception", "<an exception that could not be described>")
        finally:
            hooked = guards.clear_eval_frame()  # first: no Python frame may run under a student's hook
        self.check(before, hooked, forgive_changes=importing)
        return value, error

    def run(self, function, *args, **kwargs):
        """`invoke` for probes: the value, or the student's exception raised as StudentRaised."""
        value, error = self.invoke(function, args, kwargs)
        if error is not None:
            raise StudentRaised(error)
        return value

    def check(self, before: tuple | None = None, hooked: bool = False, forgive_changes: bool = False) -> None:
        problems = self.monitor.take()
        if hooked:
            problems.append("a frame hook was left set (torch._dynamo)")
        problems += self._restore("core", forgive_changes)
        if not guards.same_state(guards.mode_state(), before if before is not None else self.baseline):
            problems.append("changed torch's mode stacks or dispatch state")
        if gc.isenabled():
            gc.disable()
            problems.append("switched the sandbox's garbage collector on")
        if problems:
            self.breached(problems)
        if self.tainted:  # once: a student who caught the first Integrity is not let off
            raise Integrity(self.breach)

    def check_trace(self, trace: Trace | None) -> None:
        """A trace that saw work done out of its sight fails the call."""
        problems = trace.problems() if trace is not None else []
        if problems:
            self.breached(problems)

    def breached(self, problems: list[str]) -> None:
        """The call reached for the sandbox: it fails, and so does every later one."""
        self.tainted = True
        self.breach += problems
        raise Integrity(self.breach)

    def _restore(self, group: str, forgive_changes: bool = False) -> list[str]:
        problems = []
        for _ in range(3):  # putting a namespace back may run student code (a key's __eq__)
            changed = self.watch.restore(group) + self.watch.added_to_classes(group)
            if not changed:
                break
            if not forgive_changes:
                problems.append("changed " + ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else ""))
        else:
            problems.append("kept changing torch's namespaces")
        return problems

    def pristine(self, group: str) -> None:
        """Check a group of namespaces only some answers rely on (pristine.LAZY_MODULES),
        just before trusted code relies on them."""
        problems = self._restore(group)
        if problems:
            self.breached(problems)

    # -- handles -------------------------------------------------------------------

    def keep(self, value) -> wire.Handle:
        handle = wire.Handle(len(self.handles) + 1, wire.type_name(value))
        self.handles[handle.id] = value
        return handle

    def encode(self, value):
        return wire.encode(value, self.keep, before_sympy=lambda: self.pristine("sympy"))

    # -- arguments -------------------------------------------------------------------

    def build(self, raw, device: str):
        """A value from the grader, with its tensors put on `device`."""
        if type(raw) is list:
            return [self.build(v, device) for v in raw]
        if type(raw) is not dict:
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
        return wire.decode(raw)

    def place(self, spec: dict, device: str) -> torch.Tensor:
        if device in ("meta", "fake-cuda"):
            # Only the shape and dtype count there, so the values are not
            # decoded: under FakeTensorMode that went through its dispatch,
            # about 4 ms of a device check's first call in a fresh child.
            info = wire.decode_tensor(dict(spec, data=None))
            tensor = torch.empty(info.shape, dtype=info.dtype, device="cuda" if device == "fake-cuda" else "meta")
        else:
            tensor = wire.decode_tensor(spec)
            if isinstance(tensor, wire.TensorInfo):
                tensor = torch.zeros(tensor.shape, dtype=tensor.dtype)
            if device == "cuda":
                tensor = tensor.to("cuda")
        if spec.get("view") == "t":  # the grader sent a transposed, non-contiguous view
            tensor = tensor.t()
        if spec.get("requires_grad"):
            tensor.requires_grad_(True)
        return tensor

    def target(self, raw, method: str | None = None):
        """The function or object a request names (student code: a module's
        __getattr__, a property), resolved inside the boundary."""
        if type(raw) is dict and "$ref" in raw:
            found = self.handles[int(raw["$ref"])]
        elif self.module is None:
            raise RuntimeError("the module did not import")
        else:
            found = getattr(self.module, raw)
        return getattr(found, method) if method else found

    # -- requests --------------------------------------------------------------------

    def op_call(self, request: dict, keep: list) -> dict:
        device = request.get("device", "cpu")
        if device == "fake-cuda":
            self.pristine("fake")
        with probes.fake_mode() if device == "fake-cuda" else nullcontext():
            args = [self.build(a, device) for a in request.get("args", [])]
            kwargs = {k: self.build(v, device) for k, v in request.get("kwargs", {}).items()}
            keep += [args, kwargs]
            before = [snapshot(a) for a in args]
            kinds = [type(a) for a in args]
            state = global_state()
            trace = Trace() if request.get("trace") else None
            start = time.perf_counter()
            with trace or nullcontext():
                value, error = self.invoke(_call, (self.target, request["target"], request.get("method"),
                                                   args, kwargs))
            seconds = time.perf_counter() - start
            keep.append(value)
            self.check_trace(trace)
            if [type(a) for a in args] != kinds:
                self.breached(["changed the class of an argument"])
            answer = {
                "ok": error is None,
                "error": error,
                "seconds": seconds,
                "trace": trace.as_dict() if trace else None,
                "args": [after(a, b, self.encode) for a, b in zip(args, before)],
                "state_changed": restore_state(state),
            }
            if device == "fake-cuda":
                self.pristine("fake")  # what the call did to fake tensors' classes, before one is read
            if error is None:
                answer["value"] = self.encode(value)
        return answer

    def op_repeat(self, request: dict, keep: list) -> dict:
        """Call `number` times, traced exactly as a single call is (so the code
        cannot tell it is being timed); the grader times the request from
        outside and compares the trace with `number` single calls."""
        args = [self.build(a, "cpu") for a in request.get("args", [])]
        keep.append(args)
        number = int(request["number"])
        trace = Trace() if request.get("trace", True) else None
        with trace or nullcontext():
            _, error = self.invoke(_repeat, (self.target, request["target"], args, number))
        self.check_trace(trace)
        return {"ok": error is None, "error": error, "trace": trace.as_dict() if trace else None}

    def op_getattr(self, request: dict, keep: list) -> dict:
        value, error = self.invoke(_call_getattr, (self.target, request["target"], request["name"]))
        keep.append(value)
        if error is not None:
            return {"ok": False, "error": error}
        return {"ok": True, "value": self.encode(value)}

    def op_keep(self, request: dict, keep: list) -> dict:
        handle = self.keep(self.build(request["value"], request.get("device", "cpu")))
        return {"ok": True, "value": {"$handle": handle.id, "type": handle.type}}

    def op_callable(self, request: dict, keep: list) -> dict:
        """A callable for the student's code (time_call's f, chain_rule's f and g)."""
        function, records = probes.make_callable(request["spec"])
        handle = self.keep(function)
        self.recordings[handle.id] = records
        return {"ok": True, "value": {"$handle": handle.id, "type": handle.type}}

    def op_recorded(self, request: dict, keep: list) -> dict:
        """What a callable recorded of its calls."""
        records = self.recordings[int(request["handle"])]
        return {"ok": True, "value": self.encode(probes.recorded(records))}

    def op_probe(self, request: dict, keep: list) -> dict:
        args = [self.build(a, "cpu") for a in request.get("args", [])]
        keep.append(args)
        self.pristine("fake")  # some probes run on simulated CUDA
        value, error = self.invoke(probes.PROBES[request["name"]], (self, *args))
        self.pristine("fake")
        keep.append(value)
        if error is not None:
            return {"ok": False, "error": error}
        return {"ok": True, "value": self.encode(value)}

    def answer(self, request: dict, keep: list) -> dict:
        try:
            return getattr(self, f"op_{request['op']}")(request, keep)
        except Integrity as exc:
            return integrity_answer(exc.problems)
        except BaseException as exc:  # noqa: BLE001 - a broken request, or the grader's own bug
            return {"ok": False, "error": plain(type(exc).__name__, str(exc)[:500])}

    def serve(self) -> None:
        while not self.tainted:
            request = self.channel.receive()
            if request is None:
                return
            keep: list = []  # what the request touched, alive until its answer is ready
            try:
                answer = self.answer(request, keep)
                del keep[:]
                self.settle()
            except Integrity as exc:
                answer = integrity_answer(exc.problems)
            self.channel.send(answer)

    def settle(self) -> None:
        """Before an answer goes out, what its call left behind is let go and
        collected, inside the boundary: a finalizer the student planted on an
        argument or a value runs now, so what it does (exit the process,
        change torch's global state, reach for the sandbox) costs this call,
        not the next one, which may be another item's. Its check is the one
        between two requests: nothing of the student's can run after the
        answer (no thread, timer or signal handler can be made).

        Only the youngest generation is collected: the child collects nothing
        else (gc is off), so it holds everything made since the last request.
        A cycle tied to an older object waits for a collection nobody runs."""
        self.invoke(gc.collect, (0,))
        changed = restore_state(self.global_baseline)
        if changed:
            self.breached(["changed torch's global state after its call (" + ", ".join(changed) + ")"])


class StudentRaised(Exception):
    """The student's code raised where a probe called it; `error` describes it."""

    def __init__(self, error: dict):
        super().__init__(error.get("message", ""))
        self.error = error


def integrity_answer(problems: list[str]) -> dict:
    message = "the code reached for the grader's sandbox: " + "; ".join(problems)
    return {"ok": False, "integrity": problems, "error": plain("Integrity", message[:1000])}


# What the boundary runs: the same few frames for a single call and a timed batch.


def _call(resolve, target, method, args, kwargs):
    return resolve(target, method)(*args, **kwargs)


def _repeat(resolve, target, args, number):
    for _ in range(number):
        _call(resolve, target, None, args, {})


def _call_getattr(resolve, target, name):
    return getattr(resolve(target), name)


def snapshot(value):
    """(a copy of a tensor argument's values, its `.g` and a copy of that), or None."""
    if type(value) not in PLAIN_TENSORS or not wire.tensor_has_data(value):
        return None
    grad = value.__dict__.get("g")
    kept = grad.detach().clone() if type(grad) in PLAIN_TENSORS and wire.tensor_has_data(grad) else None
    return value.detach().clone(), grad, kept


def after(value, before, encode) -> dict:
    """What happened to an argument: its values changed in place? a `.g`
    set on it, and where its memory is (to tell a fresh gradient from an
    alias)? a `.g` it had before changed or replaced?"""
    if type(value) not in PLAIN_TENSORS:
        return {}
    data, old_grad, old_values = before if before is not None else (None, None, None)
    out = {"mutated": data is not None and not same_values(data, value.detach())}
    if wire.tensor_has_data(value):
        out["storage"] = value.untyped_storage().data_ptr()
    grad = value.__dict__.get("g")
    if old_grad is not None:
        out["g_changed"] = grad is not old_grad or (old_values is not None and not same_values(old_values, grad))
    if grad is not None:
        out["g"] = encode(grad)
        out["g_set"] = grad is not old_grad
        if type(grad) in PLAIN_TENSORS and wire.tensor_has_data(grad):
            out["g_storage"] = grad.untyped_storage().data_ptr()
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


def lock_down(workdir: str, limits: dict, keep_fd: int, seccomp: bytes | None = None,
              real_cuda: bool = False) -> dict:
    """Returns which of the kernel's layers are in force (`landlock`, `seccomp`, `cuda`)."""
    os.setsid()  # our own process group: the grader kills it whole
    os.chdir(workdir)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    # Nothing inherited but the connection: no pipe of the fork server, no other child's socket.
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 1 << 16)
    kept = KEPT_ENVIRONMENT + (cuda.ENVIRONMENT if real_cuda else ())
    for name in list(os.environ):
        if name not in kept:
            del os.environ[name]
    os.environ["HOME"] = workdir
    if not real_cuda and cuda.built_with_cuda():
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # a device this child does not use: no driver starts for it
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too large file is an error, not a kill
    if real_cuda:  # the driver reserves more address space than RLIMIT_AS would allow
        limits = cuda.limits(limits, cuda.data_in_use())
    for name, value in limits.items():
        limit = getattr(resource, name)
        soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        hard_value = value + 5 if name == "RLIMIT_CPU" else value
        if hard != resource.RLIM_INFINITY:
            hard_value = min(hard_value, hard)
        resource.setrlimit(limit, (value, hard_value))
    readable, devices = readable_paths(), []
    if real_cuda:
        readable, devices = readable + cuda.READABLE, cuda.device_files()
    layers = {"landlock": landlock.restrict(readable, [workdir], devices), "cuda": real_cuda}
    if os.geteuid() == 0 and python_readable_by_others():  # graded as root: drop to nobody
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    # Threads made from here on (the CUDA driver's, autograd's) inherit
    # Landlock and the user; seccomp below is loaded into every thread.
    if real_cuda:
        try:
            cuda.start()
        except Exception as exc:  # noqa: BLE001 - the grader's machine, not the student's code
            raise RuntimeError(f"the grader could not start CUDA in the sandbox: {str(exc)[:300]}") from None
    else:
        cuda.start_autograd()  # autograd's threads (with a device, cuda.start's backward starts them)
    torch.set_num_threads(1)  # one thread: steadier timings, no oversubscription
    sys.dont_write_bytecode = True  # the module is imported once per child: no .pyc to write
    layers["seccomp"] = syscalls.restrict(seccomp)
    gc.disable()  # collections run where the child chooses (see serve)
    return layers


def forget_the_grader(workdir: str) -> None:
    """The grader's modules leave sys.modules and its folders sys.path: the
    student's `import autograder.sandbox.child` finds nothing (Landlock keeps
    the files unreadable) or, without Landlock, a fresh copy that shares no
    object with this child."""
    for name in _GRADER_MODULES:  # found in the fork server: a walk over sys.modules here costs
        sys.modules.pop(name, None)  # milliseconds of copied pages in every child
    sys.path[:] = [workdir] + [p for p in sys.path if p and not _holds_the_grader(p)]


_GRADER_MODULES: list[str] = []


def note_the_grader_modules() -> None:
    """In the fork server, once: the names of the grader's loaded modules."""
    _GRADER_MODULES[:] = [n for n in sys.modules if n == "autograder" or n.startswith("autograder.")]


def _holds_the_grader(path: str) -> bool:
    return os.path.isdir(os.path.join(path, "autograder", "sandbox"))


# Where the grader keeps what a submission must never read.
PRIVATE = [os.path.abspath(os.path.join(os.path.dirname(__file__), *parts))
           for parts in (("..", "..", "solutions"), ("..", "hidden"), ("..", "..", "source"), ("..",))]
SYSTEM = ["/usr", "/lib", "/lib64", "/etc", "/dev", "/sys", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat"]


def readable_paths() -> list[str]:
    """The Python installation, the system's libraries and this process's own
    /proc entry: no folder that holds the grader's files."""
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path,
                  f"/proc/{os.getpid()}", *SYSTEM]
    found = []
    for path in candidates:
        path = os.path.abspath(path or ".")
        if not any(private == path or private.startswith(path + os.sep) for private in PRIVATE):
            found.append(path)
    return list(dict.fromkeys(found))


_readable_cache: list[bool] = []


def python_readable_by_others() -> bool:
    """Could an unprivileged user still import the standard library, torch, numpy, sympy?"""
    if not _readable_cache:
        _readable_cache.append(_python_readable_by_others())
    return _readable_cache[0]


def _python_readable_by_others() -> bool:
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


def main(fd: int, module_name: str, workdir: str, limits: dict, kit: "Kit", real_cuda: bool = False) -> None:
    """Entry point in the forked child."""
    channel = Channel(fd)
    hello = {"ok": True, "pid": os.getpid()}
    try:
        hello["layers"] = lock_down(workdir, limits, fd, kit.seccomp, real_cuda=real_cuda)
        if real_cuda:
            channel.send({"ready": True})  # CUDA started: the import's time starts now
        forget_the_grader(workdir)
        sys.audit("grader.child", os.getpid(), workdir)  # the vault starts refusing (audit.py)
        child = Child(channel, kit.monitor, kit.watch)
        path = os.path.join(workdir, f"{module_name}.py")
        child.module, error = child.invoke(load_file, (path, module_name), importing=True)
        child.global_baseline = global_state()  # what the import set (a default dtype) holds for every call
        if error is not None:
            hello = {"ok": False, "pid": os.getpid(), "error": error}
    except Integrity as exc:
        hello = integrity_answer(exc.problems) | {"pid": os.getpid()}
        child = None
    except BaseException as exc:  # noqa: BLE001 - the set-up failed: say why, then stop
        hello = {"ok": False, "pid": os.getpid(), "error": plain(type(exc).__name__, str(exc)[:500])}
        child = None
    channel.send(hello)
    if child is not None and hello["ok"]:
        child.serve()
    os._exit(0)


class Kit:
    """What the fork server prepares once for all its children: the seccomp
    filter, the code the audit hook trusts, the guards and the snapshot of
    the namespaces."""

    def __init__(self):
        from autograder.sandbox import tracer

        note_the_grader_modules()
        wire.tensor_types()  # found here, once: a child never looks the types up again
        tracer.known_names()
        self.seccomp = syscalls.compile_filter()
        self.trusted = trusted_code()
        originals, caller_allowed = guards.install()
        classes = sandbox_classes()
        self.monitor = audit.install(audit.Keys(
            trusted=self.trusted, main=main.__code__, originals=originals, caller_allowed=caller_allowed,
            stubs={"tracing": guards.STUB_CODE, "registration": guards.STUB_CODE,
                   "module": guards.MODULE_STUB_CODE},  # set_eval_frame: only the vault calls it
            loaded=frozenset(sys.modules),  # a walk over sys.modules in a child costs milliseconds
            asks={"grader.tracing": (tracer.Trace.__enter__.__code__, tracer.Trace.__exit__.__code__),
                  "grader.child": (main.__code__,), "grader.mode_state": (guards.mode_state.__code__,),
                  "grader.eval_frame": (guards.clear_eval_frame.__code__,)},
            classes=classes, also_protected=guards.trusted_torch_codes()))
        modules = sandbox_modules()
        seal(modules)
        self.watch = Watch(extra_classes=classes, sandbox_modules=modules)


def sandbox_modules() -> tuple:
    """The modules of the grader that a child holds."""
    from autograder.sandbox import child, pristine, slow_variants, student_errors, tracer

    return (audit, child, guards, pristine, probes, slow_variants, student_errors, tracer, wire)


def sandbox_classes() -> tuple:
    """The classes of the sandbox's modules and the non-builtin classes they
    derive from: nobody in a child may set their attributes."""
    import traceback

    found: dict[int, type] = {}
    for module in sandbox_modules():
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                for cls in value.__mro__:
                    if not cls.__flags__ & (1 << 8):  # Py_TPFLAGS_IMMUTABLETYPE: cannot change anyway
                        found[id(cls)] = cls
    for cls in (traceback.StackSummary, traceback.FrameSummary):
        found[id(cls)] = cls
    return tuple(found.values())


def seal(modules: tuple) -> None:
    """Module-level containers of the sandbox become read-only: a student who
    reaches a module's globals (any function's `__globals__`) must not be able
    to edit a table the child trusts (dtypes, probes, the tensor types)."""
    from types import MappingProxyType

    for module in modules:
        namespace = vars(module)
        for name, value in list(namespace.items()):
            if name.startswith("__"):
                continue
            if type(value) is dict:
                namespace[name] = MappingProxyType(value)
            elif type(value) is list:
                namespace[name] = tuple(value)
            elif type(value) is set:
                namespace[name] = frozenset(value)


def trusted_code() -> dict[int, object]:
    """Every code object of the sandbox's modules, by id (kept alive here)."""
    found: dict[int, object] = {}
    for module in sandbox_modules():
        for value in vars(module).values():
            for code in _codes_of(value):
                _collect(code, found)
    return found


def _codes_of(value) -> list:
    code = getattr(value, "__code__", None)
    if code is not None:
        return [code]
    if isinstance(value, type):
        codes = []
        for member in vars(value).values():
            member = getattr(member, "__func__", member)
            codes += _codes_of(member) if not isinstance(member, type) else []
            for accessor in ("fget", "fset", "fdel"):
                if getattr(member, accessor, None) is not None:
                    codes += _codes_of(getattr(member, accessor))
        return codes
    return []


def _collect(code, found: dict) -> None:
    if id(code) in found:
        return
    found[id(code)] = code
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            _collect(const, found)
