"""Count the torch calls a student's function makes, at two levels.

The Python level (`TorchFunctionMode`) sees what the code asked for:
`einsum`, `matmul`, `__getitem__`. The dispatcher level (`TorchDispatchMode`)
sees the kernels that ran (`aten.mm.default`), and still sees them when the
code switched the Python level off with `torch._C.DisableTorchFunction`.
"""

from __future__ import annotations

from collections import Counter

from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode


def short_name(func) -> str:
    """`matmul` for torch.matmul and Tensor.matmul; `shape.get` for a property."""
    name = getattr(func, "__name__", None) or type(func).__name__
    if name == "__get__" and hasattr(func, "__self__"):
        return f"{getattr(func.__self__, '__name__', '?')}.get"
    if name == "__set__" and hasattr(func, "__self__"):
        return f"{getattr(func.__self__, '__name__', '?')}.set"
    return name


class CallCounter(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.calls = Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls[short_name(func)] += 1
        return func(*args, **(kwargs or {}))


class KernelCounter(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.kernels = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        # aten.mm.default -> mm
        self.kernels[func.overloadpacket.__name__] += 1
        return func(*args, **(kwargs or {}))


class Trace:
    """Both counters around one call: `with Trace() as trace: ...`."""

    def __init__(self):
        self.python = CallCounter()
        self.kernels = KernelCounter()

    def __enter__(self):
        self.kernels.__enter__()
        self.python.__enter__()
        return self

    def __exit__(self, *exc):
        self.python.__exit__(*exc)
        self.kernels.__exit__(*exc)
        return False

    def as_dict(self) -> dict:
        return {"calls": dict(self.python.calls), "kernels": dict(self.kernels.kernels)}
