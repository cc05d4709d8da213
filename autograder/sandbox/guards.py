"""Guards on the torch functions that could blind the tracer.

The tracer (tracer.py) sees a call through two modes on torch's mode stacks.
torch lets Python pop modes off those stacks, read them (and so reach the
tracer's counters), skip its Python dispatch key, or call a kernel for a
chosen dispatch key directly, below the modes. Each of those functions is
replaced, everywhere torch's modules hold it, by a guard. While a traced call
runs, a guard lets through only the grader's own code and the few places in
torch that need it for honest work (torch's handle_torch_function, which
calls a mode for a function written in Python such as torch.einsum, and
printing a plain tensor); anything else is refused with an integrity note, and the child
reports it with the answer. Outside traced calls the guards let everything
through: FakeTensorMode needs these functions, and there is nothing of the
grader's on the stacks then.

Two more doors are shut here. torch's frame evaluation hook (dynamo's
`set_eval_frame`) would call back with every frame evaluated afterwards, the
grader's included: it accepts no callback at all. And `_imp.create_builtin`
/ `create_dynamic` would build a second, unguarded copy of an already loaded
module (`importlib.util.module_from_spec(torch._C.__spec__)`): they refuse
to re-create a module that was loaded when the sandbox was set up, and to
load an extension module from the student's folder.

`install` runs once, in the fork server, before any child exists; the
children inherit the guarded modules.
"""

from __future__ import annotations

import _imp
import sys

import torch

from autograder.sandbox.audit import Refused

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
# Methods that call a kernel for a chosen dispatch key, below the modes.
METHODS = ((torch._C._DispatchOperatorHandle, "redispatch_boxed"),)
PLUMBING_NAMES = {  # torch's helpers around the functions above: look past them
    "_push_mode", "_pop_mode", "_pop_mode_temporarily", "_disable_current_modes",
    "_get_current_function_mode", "_get_current_function_mode_stack", "_get_current_dispatch_mode",
    "_get_current_dispatch_mode_stack", "__enter__", "__exit__", "redispatch", "_len_torch_function_stack",
}

_state = {"tracing": False}
_violations: list[str] = []

# The unguarded functions, for the sandbox's own checks of the stacks.
_C = torch._C
_ORIGINAL = {name: getattr(_C, name) for name in (
    "_len_torch_function_stack", "_get_function_stack_at", "_len_torch_dispatch_stack",
    "_get_dispatch_stack_at", "_dispatch_tls_local_exclude_set", "_dispatch_tls_local_include_set",
    "_is_torch_function_enabled", "_is_torch_function_all_disabled")}


def mode_state() -> tuple:
    """The mode stacks (the objects on them) and the dispatch key state, as
    plain values: compare with `same_state`."""
    o = _ORIGINAL
    functions = tuple(o["_get_function_stack_at"](i) for i in range(o["_len_torch_function_stack"]()))
    dispatch = tuple(o["_get_dispatch_stack_at"](i) for i in range(o["_len_torch_dispatch_stack"]()))
    keys = (o["_dispatch_tls_local_exclude_set"]().raw_repr(), o["_dispatch_tls_local_include_set"]().raw_repr(),
            bool(o["_is_torch_function_enabled"]()), bool(o["_is_torch_function_all_disabled"]()))
    return functions, dispatch, keys


def same_state(a: tuple, b: tuple) -> bool:
    """By identity: a mode the student pushed must not get to answer `==`."""
    return (len(a[0]) == len(b[0]) and all(x is y for x, y in zip(a[0], b[0]))
            and len(a[1]) == len(b[1]) and all(x is y for x, y in zip(a[1], b[1])) and a[2] == b[2])


def set_tracing(on: bool) -> None:
    """The tracer says when a traced call is running (only trusted code calls this)."""
    _state["tracing"] = on


def take_violations() -> list[str]:
    found = list(_violations)
    del _violations[:]
    return found


def install(trusted: dict[int, object]) -> None:
    """Guard every torch function above in every loaded torch module."""
    originals = {}
    for name in TORCH_C:
        original = getattr(torch._C, name, None)
        if original is not None:
            originals[id(original)] = (original, _guard(original, f"torch._C.{name}", trusted))
    _replace_everywhere(originals)
    for cls, name in METHODS:
        setattr(cls, name, _guard(getattr(cls, name), f"{cls.__name__}.{name}", trusted))
    _guard_eval_frame()


def _replace_everywhere(originals: dict) -> None:
    """torch's modules import these functions by name: replace every alias."""
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if not isinstance(name, str) or not (name == "torch" or name.startswith("torch.")):
            continue
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for key, value in list(namespace.items()):
            entry = originals.get(id(value))
            if entry is not None and entry[0] is value:
                namespace[key] = entry[1]


def _guard(original, label: str, trusted: dict[int, object]):
    getframe, state, record = sys._getframe, _state, _violations.append
    allowed_caller = _caller_check(trusted)

    def guard(*args, **kwargs):
        if state["tracing"] and not allowed_caller(getframe(1)):
            record(f"{label} during a traced call")
            raise Refused(f"the grader's sandbox does not allow {label} while it traces a call")
        return original(*args, **kwargs)

    guard.__name__ = getattr(original, "__name__", label)
    guard.__qualname__ = guard.__name__
    guard.__doc__ = getattr(original, "__doc__", None)
    return guard


def _caller_check(trusted: dict[int, object]):
    """Who may use a guarded function while tracing: walk past torch's own
    plumbing to the first frame that is not; that must be the grader's code,
    or torch printing a plain tensor."""
    tensor_str = sys.modules["torch._tensor_str"]._str.__code__
    # torch's own way of calling a mode for a function written in Python
    # (torch.einsum): it pops the Python-level mode for the length of the
    # mode's own call, never the dispatcher's, and hands it to nobody.
    handler = torch.overrides.handle_torch_function.__code__
    plain = (torch.Tensor, torch.nn.Parameter)
    plumbing = PLUMBING_NAMES
    ident, kind = id, type

    def allowed(frame) -> bool:
        for _ in range(12):
            if frame is None:
                return False
            code = frame.f_code
            if trusted.get(ident(code)) is code or code is handler:
                return True
            if code is tensor_str:
                return kind(frame.f_locals.get("self")) in plain
            if code.co_name not in plumbing or not _in_torch_or_contextlib(code):
                return False
            frame = frame.f_back
        return False

    return allowed


_TORCH_DIR = torch.__file__.rpartition("/")[0] + "/"
_CONTEXTLIB = sys.modules["contextlib"].__file__


def _in_torch_or_contextlib(code) -> bool:
    filename = code.co_filename
    return filename.startswith(_TORCH_DIR) or filename == _CONTEXTLIB


def _guard_eval_frame() -> None:
    """dynamo's frame hook may be cleared, never set to a callback."""
    eval_frame = torch._C._dynamo.eval_frame
    original = eval_frame.set_eval_frame
    record = _violations.append

    def set_eval_frame(callback):
        if callback is not None and callback is not False:
            record("torch._C._dynamo.eval_frame.set_eval_frame with a callback")
            raise Refused("the grader's sandbox does not allow torch.compile or frame hooks")
        return original(callback)

    originals = {id(original): (original, set_eval_frame)}
    eval_frame.set_eval_frame = set_eval_frame
    _replace_everywhere(originals)


def clear_eval_frame() -> bool:
    """Unset dynamo's frame hook; whether one was set (by a bypass of the guard)."""
    previous = _ORIGINAL_SET_EVAL_FRAME(None)
    return previous is not None and previous is not False


_ORIGINAL_SET_EVAL_FRAME = torch._C._dynamo.eval_frame.set_eval_frame


def guard_module_creation(loaded: frozenset[str], student_folder: str) -> None:
    """No second copy of a loaded module, no extension from the student's folder."""
    create_builtin, create_dynamic = _imp.create_builtin, _imp.create_dynamic
    record = _violations.append

    def refuse(spec, why: str):
        record(f"creating module {getattr(spec, 'name', '?')}: {why}")
        raise Refused(f"the grader's sandbox does not allow {why}")

    def guarded_builtin(spec):
        if getattr(spec, "name", None) in loaded:
            refuse(spec, "a second copy of a loaded module")
        return create_builtin(spec)

    def guarded_dynamic(spec, *args):
        origin = str(getattr(spec, "origin", "") or "")
        if getattr(spec, "name", None) in loaded:
            refuse(spec, "a second copy of a loaded module")
        if origin.startswith(student_folder):
            refuse(spec, "an extension module from the submission's folder")
        return create_dynamic(spec, *args)

    _imp.create_builtin, _imp.create_dynamic = guarded_builtin, guarded_dynamic
