"""Guards on the torch functions that could blind the tracer.

The tracer (tracer.py) sees a call through two modes on torch's mode stacks.
torch lets Python pop modes off those stacks, read them (and so reach the
tracer's counters), skip its Python dispatch key, or call a kernel for a
chosen dispatch key directly, below the modes. Each of those functions is
replaced, everywhere torch's modules hold it, by a stub that holds nothing:
every time it is called it asks the audit hook's vault (audit.py) for the
original, and the vault decides. While a traced call runs, it hands the
original only to the few places in torch that need it for honest work
(torch's handle_torch_function, which calls a mode for a function written in
Python such as torch.einsum, and printing a plain tensor); anything else is
refused with an integrity note. Outside traced calls the originals are
handed out freely: FakeTensorMode needs them, and there is nothing of the
grader's on the stacks then. The stubs keep no original in a closure or a
default, where `__closure__` would hand it to anyone.

Three more doors are shut the same way. Registering operators and kernels
(`torch._C._dispatch_library`, behind torch.library) is refused in a child:
a kernel written in Python runs below the modes, and a replaced `aten`
kernel would change every later call. torch's frame evaluation hook
(dynamo's `set_eval_frame`) would call back with every frame evaluated
afterwards, the grader's included: it accepts no callback. And
`_imp.create_builtin` / `create_dynamic` would build a second, unguarded
copy of an already loaded module (`importlib.util.module_from_spec(
torch._C.__spec__)`): they refuse to re-create a module that was loaded when
the sandbox was set up, and to load an extension module from the student's
folder.

`install` runs once, in the fork server, before any child exists; the
children inherit the guarded modules.
"""

from __future__ import annotations

import _imp
import sys

import torch

# (module, attribute) of what can pop, read, bypass or skip the modes.
TORCH_C = (
    "_pop_torch_function_stack", "_push_on_torch_function_stack", "_get_function_stack_at",
    "_pop_torch_dispatch_stack", "_push_on_torch_dispatch_stack", "_get_dispatch_stack_at",
    "_set_dispatch_mode", "_unset_dispatch_mode", "_get_dispatch_mode",
    "_DisableTorchDispatch", "_ExcludeDispatchKeyGuard", "ExcludeDispatchKeyGuard",
    "_SetExcludeDispatchKeyGuard", "_ForceDispatchKeyGuard", "_IncludeDispatchKeyGuard",
    "_dispatch_tls_set_dispatch_key_excluded", "_dispatch_tls_set_dispatch_key_included",
    "_DisablePythonDispatcher", "_EnablePythonDispatcher", "_set_skip_next_torch_function",
    "_dispatch_find_schema_or_throw", "_dispatch_call_boxed",
)
# Registering operators and kernels: refused in a child at all times.
REGISTRATION = ("_dispatch_library",)
# Methods that call a kernel for a chosen dispatch key, below the modes.
METHODS = ((torch._C._DispatchOperatorHandle, "redispatch_boxed"),)
# torch's helpers around the functions above, looked past (by code object)
# to whoever called them.
PLUMBING_NAMES = {
    "_push_mode", "_pop_mode", "_pop_mode_temporarily", "_disable_current_modes",
    "_get_current_function_mode", "_get_current_function_mode_stack", "_get_current_dispatch_mode",
    "_get_current_dispatch_mode_stack", "__enter__", "__exit__", "redispatch", "_len_torch_function_stack",
}
PLUMBING_MODULES = ("torch.overrides", "torch.utils._python_dispatch", "torch._ops", "torch._C",
                    "torch.utils._mode_utils", "contextlib")


def mode_state() -> tuple:
    """The mode stacks (the objects on them) and the dispatch key state, as
    plain values: compare with `same_state`. Read by the vault, for the
    grader's code only."""
    out: list = []
    sys.audit("grader.mode_state", out)
    return out[0]


def same_state(a: tuple, b: tuple) -> bool:
    """By identity: a mode the student pushed must not get to answer `==`."""
    return (len(a[0]) == len(b[0]) and all(x is y for x, y in zip(a[0], b[0]))
            and len(a[1]) == len(b[1]) and all(x is y for x, y in zip(a[1], b[1])) and a[2] == b[2])


def clear_eval_frame() -> bool:
    """Unset dynamo's frame hook; whether one was set (by a bypass of the guard)."""
    out: list = []
    sys.audit("grader.eval_frame", out)
    return out[0]


def _stub(label: str):
    """A stand-in for torch's function `label`: asks the vault for it at each call."""

    def guarded(*args, **kwargs):
        box = [label]  # nothing of the caller's: a stand-in sys.audit would see it
        sys.audit("grader.original", box)
        return box[0](*args, **kwargs)

    return guarded


STUB_CODE = _stub("").__code__


def _eval_frame_stub():
    """dynamo's `set_eval_frame`, called around every function torch keeps
    dynamo out of (four times a call): the vault makes the call itself,
    clearing only, so no frame needs to be looked up."""

    def set_eval_frame(callback):
        box = [callback]
        sys.audit("grader.set_eval_frame", box)
        return box[0]

    return set_eval_frame


def install() -> tuple[dict, object]:
    """Put a stub in place of every guarded function in every loaded torch
    module. Returns what the vault keeps: {label: (original, policy)} and
    the test of who may call a guarded function while tracing."""
    originals: dict = {}
    replaced: dict = {}
    for name, policy in [(n, "tracing") for n in TORCH_C] + [(n, "registration") for n in REGISTRATION]:
        original = getattr(torch._C, name, None)
        if original is not None:
            originals[name] = (original, policy)
            replaced[id(original)] = (original, _named(_stub(name), original, name))
    for cls, name in METHODS:
        label = f"{cls.__name__}.{name}"
        original = getattr(cls, name)
        originals[label] = (original, "tracing")
        setattr(cls, name, _named(_stub(label), original, name))
    eval_frame = torch._C._dynamo.eval_frame
    original = eval_frame.set_eval_frame
    originals["set_eval_frame"] = (original, "eval_frame")
    stub = _named(_eval_frame_stub(), original, "set_eval_frame")
    replaced[id(original)] = (original, stub)
    eval_frame.set_eval_frame = stub
    _replace_everywhere(replaced)
    _guard_module_creation(originals)
    return originals, _caller_check()


def _named(stub, original, name: str):
    stub.__name__ = stub.__qualname__ = getattr(original, "__name__", name)
    stub.__doc__ = getattr(original, "__doc__", None)
    return stub


def _replace_everywhere(replaced: dict) -> None:
    """torch's modules import these functions by name: replace every alias."""
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if not isinstance(name, str) or not (name == "torch" or name.startswith("torch.")):
            continue
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for key, value in list(namespace.items()):
            entry = replaced.get(id(value))
            if entry is not None and entry[0] is value:
                namespace[key] = entry[1]


def _caller_check():
    """Who may use a guarded function while tracing: walk past torch's own
    plumbing (known by code object, not by name) to the first frame that is
    not; that must be the grader's own code, or torch printing a plain
    tensor, or torch's handle_torch_function. Kept only by the vault."""
    tensor_str, handler, *plumbing = trusted_torch_codes()
    tensor, parameter = torch.Tensor, torch.nn.Parameter
    plumbing = frozenset(id(code) for code in plumbing)
    ident, kind = id, type

    def allowed(frame, chain_trusted) -> bool:
        depth = 0
        while depth < 12:
            if frame is None:
                return False
            code = frame.f_code
            if code is handler or chain_trusted(frame):
                return True
            if code is tensor_str:
                shown = kind(frame.f_locals.get("self"))
                return shown is tensor or shown is parameter  # by identity: no metaclass __eq__ runs
            if ident(code) not in plumbing:
                return False
            frame = frame.f_back
            depth += 1
        return False

    return allowed


def trusted_torch_codes() -> tuple:
    """torch's code the check above trusts: printing a tensor, torch's own way
    of calling a mode for a function written in Python (torch.einsum: it pops
    the Python-level mode for the length of the mode's own call, never the
    dispatcher's, and hands it to nobody), then the plumbing it looks past.
    The vault refuses running any of them in a setting of the student's."""
    return (sys.modules["torch._tensor_str"]._str.__code__, torch.overrides.handle_torch_function.__code__,
            *plumbing_codes())


def plumbing_codes() -> list:
    """The code objects of torch's (and contextlib's) helpers named in PLUMBING_NAMES."""
    found = []
    for module_name in PLUMBING_MODULES:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for value in list(vars(module).values()):
            members = [value]
            if isinstance(value, type) and getattr(value, "__module__", None) == module_name:
                members = [getattr(m, "__func__", m) for m in vars(value).values()]
            for member in members:
                member = getattr(member, "__wrapped__", member)  # contextmanager's function
                code = getattr(member, "__code__", None)
                if code is not None and code.co_name in PLUMBING_NAMES:
                    found.append(code)
    return found


def _module_stub(label: str):
    """`_imp.create_builtin` / `create_dynamic`: the vault sees the name and
    origin as plain strings, and the original gets exactly those (a spec that
    answers differently the second time it is asked cannot slip through)."""

    def guarded(spec, *args):
        name, origin = getattr(spec, "name", None), getattr(spec, "origin", None)
        name, origin = str.__str__(name) if isinstance(name, str) else "?", \
            str.__str__(origin) if isinstance(origin, str) else ""
        box = [label, name, origin]
        sys.audit("grader.original", box)  # -> [the original, a plain spec of exactly those strings]
        plain = box[1]
        for key in ("loader", "submodule_search_locations", "parent", "cached"):
            try:
                setattr(plain, key, getattr(spec, key))
            except Exception:  # noqa: BLE001 - what a spec lacks, the original does not need
                pass
        return box[0](plain, *args)

    return guarded


MODULE_STUB_CODE = _module_stub("").__code__


def _guard_module_creation(originals: dict) -> None:
    """No second copy of a loaded module, no extension from the student's
    folder (the vault's "module" policy)."""
    for name in ("create_builtin", "create_dynamic"):
        original = getattr(_imp, name)
        originals[f"_imp.{name}"] = (original, "module")
        setattr(_imp, name, _named(_module_stub(f"_imp.{name}"), original, name))
