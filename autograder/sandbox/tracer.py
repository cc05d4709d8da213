"""Count the torch calls a student's function makes, at two levels.

The Python level (`TorchFunctionMode`) sees what the code asked for:
`einsum`, `matmul`, `__getitem__`. The dispatcher level (`TorchDispatchMode`)
sees the kernels that ran (`aten.mm.default`), and still sees them when the
code switched the Python level off with `torch._C.DisableTorchFunction`.

Both modes run inside the student's call, while the student's code may have
replaced anything Python lets it reach: builtins, module globals, a
function's defaults or closure cells. So while the call runs the modes look
nothing up: each appends what it was handed (the function, and the tensor
classes that asked for their own `__torch_dispatch__`) to a list on its own
instance, which only torch's mode stacks hold (and the guards close those
while a traced call runs). Names are given afterwards, in `as_dict`, once
the sandbox has put every namespace back: the products (and everything that
leaves torch) by the identity of torch's own objects, found before any
student code ran, the rest by name.

Two things seen at the dispatcher make the whole trace untrustworthy, and
`problems` names them: an operator from outside torch's own libraries (one
the submission defined with torch.library runs its Python body with this
mode popped), and a tensor subclass with its own `__torch_dispatch__` (it
gets each kernel with the mode popped, and can compute anything out of
sight), except FakeTensor, under which the grader simulates CUDA.
"""

from __future__ import annotations

import sys
import types
from collections import Counter

import torch
from torch._subclasses.fake_tensor import FakeTensor
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

# Kernels that may run in a traced call: torch's own operator libraries.
TORCH_NAMESPACES = frozenset({"aten", "prims", "prim"})
# Tensor classes that may appear among a kernel's `types` (torch lists a
# plain tensor there for a few kernels, such as detach).
DISPATCHING_CLASSES = (FakeTensor, torch.Tensor, torch.nn.Parameter)
# The names of a matrix product, at each level (the hidden checks forbid
# them where an item does): kept here, once, so that each is also named by
# identity (see `known_names`) and cannot be renamed by a student.
PRODUCT_FUNCTIONS = (
    "matmul", "__matmul__", "__rmatmul__", "mm", "bmm", "mv", "dot", "vdot", "inner",
    "tensordot", "addmm", "addmv", "addbmm", "baddbmm", "einsum", "linear", "bilinear",
    "multi_dot", "chain_matmul", "linalg_multi_dot", "matrix_power", "kron", "outer", "ger",
    # a convolution with a kernel as wide as its input is a matrix product
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
)
PRODUCT_KERNELS = ("mm", "bmm", "mv", "dot", "vdot", "addmm", "addmv", "addbmm", "baddbmm",
                   "_mkldnn_matmul", "linear", "matmul", "convolution", "_convolution",
                   "mkldnn_convolution", "_slow_conv2d_forward", "slow_conv3d_forward", "convolution_overrideable")
# Leaving torch for NumPy (or anything that reads a tensor's memory).
LEAVES_TORCH = ("numpy", "__array__", "__array_wrap__", "__dlpack__", "tolist")
KNOWN_FUNCTIONS = (*PRODUCT_FUNCTIONS, *LEAVES_TORCH)
# and the composite kernels of those names, should one reach the dispatcher
KNOWN_KERNELS = (*PRODUCT_KERNELS, "thnn_conv2d", "conv1d", "conv2d", "conv3d", "einsum", "tensordot",
                 "inner", "outer", "kron")

_KNOWN: list = []  # filled once, in the fork server

# An object's identity as a number, like id(), which raises an audit event
# the sandbox's hook answers in Python (half a microsecond, and a traced loop
# makes hundreds of thousands of calls). object's own hash is its address,
# rotated: as unique as id(), and no type can override it here.
identity = object.__hash__


def known_names() -> "types.MappingProxyType":
    """{identity(object): (object, name)} for torch's own product functions and
    kernels: what a student cannot rename."""
    if _KNOWN:
        return _KNOWN[0]
    found: dict[int, tuple] = {}
    holders = (torch, torch.Tensor, torch.nn.functional, torch.linalg, torch._C._nn, torch._C._VariableFunctions)
    for name in KNOWN_FUNCTIONS:
        for holder in holders:
            value = getattr(holder, name, None)
            if value is not None:
                found[identity(value)] = (value, name)
    linalg = getattr(torch.linalg, "multi_dot", None)
    if linalg is not None:
        found[identity(linalg)] = (linalg, "linalg_multi_dot")
    for name in KNOWN_KERNELS:
        packet = getattr(torch.ops.aten, name, None)
        if packet is None:
            continue
        for overload in packet.overloads():
            op = getattr(packet, overload)
            found[identity(op)] = (op, name)
    _KNOWN.append(types.MappingProxyType(found))
    return _KNOWN[0]


def short_name(func, *, _getattr=getattr, _hasattr=hasattr, _type=type, _isinstance=isinstance) -> str:
    """`matmul` for torch.matmul and Tensor.matmul; `shape.get` for a property."""
    name = _getattr(func, "__name__", None) or _type(func).__name__
    if not _isinstance(name, str):
        name = "?"
    if name in ("__get__", "__set__") and _hasattr(func, "__self__"):
        owner = _getattr(func.__self__, "__name__", "?")
        return f"{owner if _isinstance(owner, str) else '?'}.{'get' if name == '__get__' else 'set'}"
    return name


def kernel_name(func) -> str:
    """aten.mm.default -> mm."""
    name = getattr(getattr(func, "overloadpacket", func), "__name__", "?")
    return name if isinstance(name, str) else "?"


class CallCounter(TorchFunctionMode):
    # Our own look-up, not one inherited (the audit hook refuses setting
    # attributes on this class and its bases).
    __getattribute__ = object.__getattribute__

    def __init__(self):
        super().__init__()
        self.seen: list = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.seen.append(func)
        return func(*args, **(kwargs or {}))


class KernelCounter(TorchDispatchMode):
    __getattribute__ = object.__getattribute__  # as in CallCounter

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # torch would wrap __torch_dispatch__ in dynamo's `disable`, which sets
        # and resets dynamo's frame hook around every kernel: four trips
        # through the vault's guard each (guards.py). No frame hook can be
        # set in a child, so there is nothing to disable.
        return False

    def __init__(self):
        super().__init__()
        self.seen: list = []
        self.dispatching: list = []  # the `types` of kernels that tensor subclasses asked for

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.seen.append(func)
        if types:
            self.dispatching.append(types)
        return func(*args, **(kwargs or {}))


def _counts(seen: list, name_of) -> dict[str, int]:
    """Names and counts of what a counter saw, by identity first (counted in C:
    a traced loop sees hundreds of thousands of calls)."""
    known = known_names()
    by_id = Counter(map(identity, seen))
    objects = dict(zip(map(identity, seen), seen))
    counts: dict[str, int] = {}
    for key, count in by_id.items():
        func = objects[key]
        found = known.get(key)
        name = found[1] if found is not None and found[0] is func else name_of(func)
        counts[name] = counts.get(name, 0) + count
    return counts


class Trace:
    """Both counters around one or more calls: `with Trace() as trace: ...`.

    The vault closes the guards exactly while the modes are on the stacks.
    """

    def __init__(self):
        self.python = CallCounter()
        self.kernels = KernelCounter()

    def __enter__(self):
        self.kernels.__enter__()
        self.python.__enter__()
        sys.audit("grader.tracing", True)
        return self

    def __exit__(self, *exc):
        sys.audit("grader.tracing", False)
        self.python.__exit__(*exc)
        self.kernels.__exit__(*exc)
        return False

    def modes(self) -> tuple:
        return self.python, self.kernels

    def problems(self) -> list[str]:
        """What makes this trace untrustworthy (see the module's docstring)."""
        found = []
        if any(getattr(func, "namespace", None) not in TORCH_NAMESPACES
               for func in dict(zip(map(identity, self.kernels.seen), self.kernels.seen)).values()):
            found.append("an operator defined outside torch (torch.library) during a traced call")
        if any(not any(kind is allowed for allowed in DISPATCHING_CLASSES)  # by identity: no metaclass __eq__
               for kinds in self.kernels.dispatching for kind in kinds):
            found.append("a tensor subclass with its own __torch_dispatch__ during a traced call")
        return found

    def as_dict(self) -> dict:
        return {"calls": _counts(self.python.seen, short_name), "kernels": _counts(self.kernels.seen, kernel_name)}
