"""Namespaces the child's own code relies on, checked after every student call.

After student code runs, the child's trusted code goes on in the same
process: it encodes the answer (wire.py), compares arguments for purity,
runs the probes. All of that looks names up at run time in modules (torch,
json, builtins) and classes (torch.Tensor, nn.Module) the student's code
can reach and change: `torch.Tensor.numpy = ...` would let a lying tensor
through the encoder. So a snapshot of those namespaces is taken before the
student's module is imported, and after every call into student code
`Watch.restore()` compares each namespace with its snapshot (by identity,
in C: about 60 microseconds for the lot), puts back whatever was replaced
or deleted, and names it, so the grader can fail that call. Only code is
watched (functions, classes, modules, descriptors): plain values in those
namespaces are torch's own state and change as it works. Names the student
adds to a module (a helper stored on `torch`, say) are kept; a name added
to a class is removed, since it can change attribute look-ups
(`__getattr__`).
"""

from __future__ import annotations

import operator
import sys
from dataclasses import dataclass

# Values that are data, not code: never watched.
DATA = (bool, int, float, complex, str, bytes, type(None), list, dict, set, tuple, frozenset)

# Modules whose namespaces trusted code (and torch code it calls) reads.
MODULES = (
    "builtins", "torch", "torch._C", "torch.nn", "torch.nn.functional", "torch.nn.modules.module",
    "torch.nn.parameter", "torch.overrides", "torch.utils._python_dispatch", "torch.autograd",
    "torch.autograd.function", "torch.autograd.gradcheck", "torch._tensor", "torch._tensor_str",
    "torch._subclasses.fake_tensor", "torch.random", "numpy", "sympy", "math", "base64", "binascii",
    "json", "json.encoder", "json.decoder", "json.scanner", "os", "posix", "time", "traceback",
    "linecache", "contextlib", "functools", "operator", "struct", "types", "statistics",
)


def watched_classes() -> list[type]:
    import sympy
    import torch
    from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode

    roots = [torch.Tensor, torch.nn.Parameter, torch.nn.Module, torch.autograd.Function,
             torch.autograd.function.FunctionCtx, TorchFunctionMode, TorchDispatchMode,
             FakeTensorMode, FakeTensor, torch.nn.Linear, torch.nn.Sequential, torch.nn.ReLU,
             sympy.Symbol, sympy.Integer, sympy.Rational, sympy.Float, sympy.Add, sympy.Mul, sympy.Pow]
    found: dict[int, type] = {}
    for root in roots:
        for cls in root.__mro__:
            if cls is not object and cls.__module__ != "builtins":
                found[id(cls)] = cls
    return list(found.values())


@dataclass
class _Entry:
    label: str
    live: object  # a module's dict, or a class's mappingproxy
    keys: list
    values: list
    owner: object  # the class, for setattr; None for a module
    size_at_start: int = 0
    data_keys: frozenset = frozenset()

    def __post_init__(self):
        self.size_at_start = len(self.live)
        self.data_keys = frozenset(k for k in self.live if k not in set(self.keys))


class Watch:
    def __init__(self, extra_classes: tuple[type, ...] = ()):
        self.entries: list[_Entry] = []
        for name in MODULES:
            module = sys.modules.get(name)
            if module is not None:
                self._add(name, vars(module), None)
        for cls in [*watched_classes(), *extra_classes]:
            self._add(f"{cls.__module__}.{cls.__qualname__}", vars(cls), cls)

    def _add(self, label: str, live, owner) -> None:
        # Only what code is looked up as: functions, classes, modules,
        # descriptors. Plain values (torch's own flags, counters, caches)
        # change as torch works and are not the child's to keep.
        keys = [key for key, value in live.items() if not isinstance(value, DATA)]
        self.entries.append(_Entry(label, live, keys, [live[key] for key in keys], owner))

    def restore(self) -> list[str]:
        """Put every namespace back as it was; the names that had changed."""
        changed = []
        is_ = operator.is_
        for entry in self.entries:
            live = entry.live
            if all(map(is_, map(live.get, entry.keys), entry.values)):
                continue
            changed += self._repair(entry)
        return changed

    def _repair(self, entry: _Entry) -> list[str]:
        changed = []
        for key, value in zip(entry.keys, entry.values):
            if entry.live.get(key) is not value:
                changed.append(f"{entry.label}.{key}")
                self._set(entry, key, value)
        return changed

    def added_to_classes(self) -> list[str]:
        """Names added to a watched class since the snapshot (they can change
        look-ups: a `__getattr__`, a property over an instance attribute);
        removed again."""
        added = []
        for entry in self.entries:
            if entry.owner is None or len(entry.live) == entry.size_at_start:
                continue
            known = set(entry.keys) | entry.data_keys
            for key in [k for k in entry.live if k not in known]:
                added.append(f"{entry.label}.{key} (added)")
                self._delete(entry, key)
        return added

    @staticmethod
    def _set(entry: _Entry, key, value) -> None:
        if entry.owner is None:
            entry.live[key] = value
        else:
            type.__setattr__(entry.owner, key, value)

    @staticmethod
    def _delete(entry: _Entry, key) -> None:
        if entry.owner is None:
            del entry.live[key]
        else:
            type.__delattr__(entry.owner, key)
