"""Namespaces the child's own code relies on, checked after every student call.

After student code runs, the child's trusted code goes on in the same
process: it encodes the answer (wire.py), compares arguments for purity,
runs the probes. All of that looks names up at run time in modules (torch,
numpy, builtins) and classes (torch.Tensor, nn.Module) the student's code
can reach and change: `torch.Tensor.numpy = ...` would let a lying tensor
through the encoder. So a snapshot of those namespaces is taken before the
student's module is imported, and after every call into student code
`Watch.restore()` compares each namespace with its snapshot, puts back
whatever was replaced or deleted, and names it, so the grader can fail that
call. Only code is guarded (functions, classes, modules, descriptors):
plain values in those namespaces are torch's own state and change as it
works. Names the student adds to a module (a helper stored on `torch`,
say) are kept; a name added to a class is removed, since it can change
attribute look-ups (`__getattr__`).

The check runs after every call, so it is made cheap: first every value of
a namespace against the whole snapshot, by identity, in C (about 25
nanoseconds a name, a tenth of a millisecond for all); only when that
differs (torch changed one of its own flags, or something else changed) a
second pass looks at the guarded names one by one. Immutable types (most of
torch's C classes) cannot change and are not watched; nor are modules the
child's trusted code does not read after a call (its connection's framing
and JSON are bound before the import).
"""

from __future__ import annotations

import operator
import sys
from dataclasses import dataclass

# Values that are data, not code: not guarded (torch's flags, counters, caches).
DATA = (bool, int, float, complex, str, bytes, type(None), list, dict, set, tuple, frozenset)

# Modules whose names trusted code (and the torch code it calls) looks up
# after a call: all of a module's code (None), or only the names it reads.
MODULES: dict[str, tuple[str, ...] | None] = {
    "builtins": None, "torch.overrides": None, "torch.utils._python_dispatch": None,
    "sys": ("audit", "_getframe"),  # the sandbox's code asks the vault through sys.audit
    "math": ("isfinite", "prod"), "time": ("perf_counter",), "base64": ("b64encode", "b64decode"),
    "binascii": ("a2b_base64", "b2a_base64"),
    "torch": ("Tensor", "Size", "Generator", "dtype", "nn", "autograd", "overrides", "utils", "_C",
              "_subclasses", "_tensor_str", "_dynamo", "equal", "randn", "ones", "ones_like", "zeros", "empty",
              "from_numpy", "no_grad", "manual_seed", "get_default_dtype", "set_default_dtype",
              "is_grad_enabled", "set_grad_enabled", "get_num_threads", "set_num_threads",
              "are_deterministic_algorithms_enabled", "use_deterministic_algorithms",
              "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
              "complex64", "complex128"),
    "torch.nn": ("Parameter", "Module", "Linear", "ReLU", "Sequential", "functional"),
    "numpy": ("array_equal", "asarray", "asanyarray", "ascontiguousarray", "dtype", "frombuffer", "ndarray",
              "generic", "isnan", "all", "any", "bool_"),
    # sympy is large; the encoder reads only these of its names (wire.encode_sympy).
    "sympy": ("Symbol", "Dummy", "Integer", "Rational", "Float", "pi", "E", "S", "Basic", "Add", "Mul", "Pow",
              "sin", "cos", "tan", "exp", "log", "Abs", "sinh", "cosh", "tanh", "Heaviside", "Max", "Min",
              "asin", "acos", "atan"),
}
IMMUTABLE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: a class nobody can change


# Namespaces only some answers rely on, checked just before those (the
# child's `Child.pristine`): sympy's classes before a sympy expression is
# encoded, fake tensors' before and after a run on simulated CUDA.
LAZY_MODULES = {"fake": ("torch._subclasses.fake_tensor",)}


def watched_classes() -> dict[str, list[type]]:
    """The classes to watch, by group."""
    import sympy
    import torch
    from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode

    roots = {
        "core": [torch.Tensor, torch.nn.Parameter, torch.nn.Module, torch.autograd.Function,
                 torch.autograd.function.FunctionCtx, TorchFunctionMode, TorchDispatchMode,
                 torch._C.DispatchKeySet],
        "fake": [FakeTensorMode, FakeTensor],
        "sympy": [sympy.Symbol, sympy.Dummy, sympy.Integer, sympy.Rational, sympy.Float,
                  sympy.Add, sympy.Mul, sympy.Pow],
    }
    found: dict[str, dict[int, type]] = {group: {} for group in roots}
    seen: set[int] = set()
    for group, classes in roots.items():
        for root in classes:
            for cls in root.__mro__:
                if cls is not object and not cls.__flags__ & IMMUTABLE and id(cls) not in seen:
                    seen.add(id(cls))
                    found[group][id(cls)] = cls
    return {group: list(classes.values()) for group, classes in found.items()}


@dataclass
class _Entry:
    label: str
    live: object  # a module's dict, or a class's mappingproxy
    keys: list  # the guarded names: code, not data
    values: list
    owner: object  # the class, for setattr; None for a module
    everything: list = None  # every value at the last clean check, in order: the quick comparison
    partial: bool = False
    closed: bool = False  # a sandbox module: a name added to it is removed, as on a class

    def __post_init__(self):
        self.size_at_start = len(self.live)
        self.everything = list(self.live.values())
        self.data_keys = frozenset(k for k in self.live if k not in set(self.keys))


class Watch:
    def __init__(self, extra_classes: tuple[type, ...] = (), sandbox_modules: tuple = ()):
        self.groups: dict[str, list[_Entry]] = {"core": [], "fake": [], "sympy": []}
        # The sandbox's own modules: every name, data included (their tables
        # are sealed read-only, so a name that changes was rebound).
        for module in sandbox_modules:
            self._add("core", module.__name__, vars(module), None, everything=True)
        for name, only in MODULES.items():
            module = sys.modules.get(name)
            if module is not None:
                self._add("core", name, vars(module), None, only)
        for group, names in LAZY_MODULES.items():
            for name in names:
                if name in sys.modules:
                    self._add(group, name, vars(sys.modules[name]), None)
        classes = watched_classes()
        classes["core"] += list(extra_classes)
        for group, members in classes.items():
            for cls in members:
                self._add(group, f"{cls.__module__}.{cls.__qualname__}", vars(cls), cls)

    @property
    def entries(self) -> list[_Entry]:
        return [entry for group in self.groups.values() for entry in group]

    def _add(self, group: str, label: str, live, owner, only: tuple[str, ...] | None = None,
             everything: bool = False) -> None:
        keys = [key for key, value in live.items()
                if (everything or not isinstance(value, DATA)) and (only is None or key in only)]
        entry = _Entry(label, live, keys, [live[key] for key in keys], owner)
        entry.partial = only is not None  # a few names of a large module: look them up one by one
        entry.closed = everything
        self.groups[group].append(entry)

    def restore(self, group: str = "core", *, _is=operator.is_, _all=all, _map=map, _len=len) -> list[str]:
        """Put a group's namespaces back as they were; the names that had changed.

        Everything it calls is bound here, when the module is loaded: a
        student who replaces `operator.is_` or `all` cannot blind it."""
        changed = []
        for entry in self.groups[group]:
            live = entry.live
            if entry.partial:
                if not _all(_map(_is, _map(live.get, entry.keys), entry.values)):
                    changed += self._repair(entry)
                continue
            if _len(live) == _len(entry.everything) and _all(_map(_is, live.values(), entry.everything)):
                continue  # nothing at all has changed: the common case
            if not _all(_map(_is, _map(live.get, entry.keys), entry.values)):
                changed += self._repair(entry)
            # What is left changed is data (torch's own flags) or a new name
            # (kept on a module; added_to_classes looks after classes).
            entry.everything = list(live.values())
        return changed

    def _repair(self, entry: _Entry) -> list[str]:
        changed = []
        for key, value in zip(entry.keys, entry.values):
            if entry.live.get(key) is not value:
                changed.append(f"{entry.label}.{key}")
                self._set(entry, key, value)
        return changed

    def added_to_classes(self, group: str = "core") -> list[str]:
        """Names added to a watched class since the snapshot (they can change
        look-ups: a `__getattr__`, a property over an instance attribute);
        removed again."""
        added = []
        for entry in self.groups[group]:
            if (entry.owner is None and not entry.closed) or len(entry.live) == entry.size_at_start:
                continue
            known = set(entry.keys) | entry.data_keys
            for key in [k for k in entry.live if k not in known]:
                added.append(f"{entry.label}.{key} (added)")
                self._delete(entry, key)
            entry.everything = list(entry.live.values())
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
