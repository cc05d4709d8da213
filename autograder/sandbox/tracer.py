"""Count the torch calls a student's function makes, at two levels.

The Python level (`TorchFunctionMode`) sees what the code asked for:
`einsum`, `matmul`, `__getitem__`. The dispatcher level (`TorchDispatchMode`)
sees the kernels that ran (`aten.mm.default`), and still sees them when the
code switched the Python level off with `torch._C.DisableTorchFunction`.

Both modes run inside the student's call, while the student's code may have
replaced builtins or torch's functions for a moment: everything they use is
bound when the class is defined (default arguments, their own attribute
look-up), not looked up when they run. The counters are reachable only
through torch's mode stacks, which guards.py closes while a traced call
runs.
"""

from __future__ import annotations

from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from autograder.sandbox import guards


def short_name(func, *, _getattr=getattr, _hasattr=hasattr, _type=type, _isinstance=isinstance) -> str:
    """`matmul` for torch.matmul and Tensor.matmul; `shape.get` for a property."""
    name = _getattr(func, "__name__", None) or _type(func).__name__
    if not _isinstance(name, str):
        name = "?"
    if name in ("__get__", "__set__") and _hasattr(func, "__self__"):
        owner = _getattr(func.__self__, "__name__", "?")
        return f"{owner if _isinstance(owner, str) else '?'}.{'get' if name == '__get__' else 'set'}"
    return name


class CallCounter(TorchFunctionMode):
    # Our own look-up, not one inherited: a student who patches the base
    # class's __getattribute__ for the length of a call must not decide
    # what `__torch_function__` or `self.calls` mean here.
    __getattribute__ = object.__getattribute__

    def __init__(self):
        super().__init__()
        self.calls: dict[str, int] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None, *, _name=short_name):
        calls = self.calls
        name = _name(func)
        calls[name] = calls.get(name, 0) + 1
        return func(*args, **(kwargs or {}))


class KernelCounter(TorchDispatchMode):
    __getattribute__ = object.__getattribute__  # as in CallCounter

    def __init__(self):
        super().__init__()
        self.kernels: dict[str, int] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None, *, _getattr=getattr):
        kernels = self.kernels
        name = _getattr(_getattr(func, "overloadpacket", func), "__name__", "?")  # aten.mm.default -> mm
        kernels[name] = kernels.get(name, 0) + 1
        return func(*args, **(kwargs or {}))


class Trace:
    """Both counters around one or more calls: `with Trace() as trace: ...`.

    The guards are on exactly while the modes are on the stacks.
    """

    def __init__(self):
        self.python = CallCounter()
        self.kernels = KernelCounter()

    def __enter__(self):
        self.kernels.__enter__()
        self.python.__enter__()
        guards.set_tracing(True)
        return self

    def __exit__(self, *exc):
        guards.set_tracing(False)
        self.python.__exit__(*exc)
        self.kernels.__exit__(*exc)
        return False

    def modes(self) -> tuple:
        return self.python, self.kernels

    def as_dict(self) -> dict:
        return {"calls": dict(self.python.calls), "kernels": dict(self.kernels.kernels)}
