"""An audit hook that keeps student code away from the child's own machinery.

The grader's objects in a child (its connection, the tracer's counters, the
recorders of the callables it hands out) are referenced only from the
child's own frames and closures. Python offers a few ways to reach objects
one was never given: walking the heap (`gc.get_objects`, `get_referrers`),
walking frames (`sys._getframe`, a traceback's `tb_frame`, a generator's
`gi_frame`), tracing and profiling callbacks (which receive frames), and
ctypes (which reads and writes any memory). Each raises an audit event
(PEP 578), and a hook installed with `sys.addaudithook` cannot be removed
from Python. This hook refuses those events, and a few more that let a
child reach outside itself (sockets, new processes, signals to others,
resource limits), unless the code that asked is the grader's own.

**The vault.** Everything else in a Python process can be found: a class
through `object.__subclasses__()`, a function's module through
`__globals__`, what a closure holds through `__closure__`. The hook's own
closure is the one place nothing can reach (the interpreter keeps the hook;
no Python API hands it out). So what must stay out of the student's hands
lives there: torch's original functions behind the guards (guards.py asks
for one with a `grader.original` event each time it calls it), whether a
traced call is running, the violations found. Only the hook decides.

**Who asked.** "The grader's own code" is a frame whose code object is one
of the grader's (by identity: a copy of the grader's source compiled by the
student is still the student's) *and* whose callers, all the way down to
the child's `main`, are the grader's too. A grader function the student
found and called is not trusted: its caller is the student. A few functions
of the standard library may ask on the student's behalf because what they
hand back holds no frame: `traceback.extract_stack` and friends return
summaries of strings (torch itself records stacks this way), and
`namedtuple`, `typing.TypeVar`, the functional `Enum` and logging read only
the caller's module name or line; they may ask only while their modules
(and traceback's summary classes) hold exactly what they held at start-up.

**Code stays where it was written.** Trusting code by identity holds only
while it runs with its own globals, closure and defaults. Making a function
from a trusted code object (`types.FunctionType`), `exec` of one, and
assigning `__code__`, `__defaults__` or `__kwdefaults__` of a function from a
file that is not the student's (a library's, the grader's), or attributes of
the grader's classes, are refused.

A refused event raises RuntimeError in the code that asked. Reaching in
(the heap, frames, tracing, ctypes, the vault, the grader's code) is also
recorded: the child reports it with the answer to the call, and the grader
fails that call with an integrity note, even when the student's code caught
the exception. Reaching out (a socket, a process, a signal, a resource
limit), which seccomp refuses in the kernel too, only raises: a call that
needed it fails by its own error, and one that catches it and goes on is
graded as it is. What this cannot stop is described in docs/grader.md
("What the sandbox guarantees").
"""

from __future__ import annotations

import operator
import sys
import traceback
import types
from dataclasses import dataclass, field

FRAMES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
# Reaching for the child's own machinery: refused and recorded, so the call
# fails with an integrity note even when the student's code catches the error.
REACHING_IN = frozenset({
    "gc.get_objects", "gc.get_referrers", "gc.get_referents",
    "sys._getframe", "sys._current_frames", "sys._current_exceptions",
    "sys.settrace", "sys.setprofile", "sys.addaudithook", "object.__getattr__",
})
# Reaching out (seccomp refuses the same in the kernel): refused, nothing more.
# A call that needs it fails by its own error; one that catches it goes on.
REFUSED = REACHING_IN | frozenset({
    "socket.__new__", "socket.bind", "socket.connect", "socket.sendto", "socket.sendmsg",
    "socket.getaddrinfo", "socket.gethostbyname",
    "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system", "subprocess.Popen",
    "os.kill", "os.killpg", "signal.pthread_kill",
    "resource.setrlimit", "resource.prlimit",
    "_thread.start_new_thread",
    "mmap.__new__",  # a shared anonymous map escapes RLIMIT_DATA, a CUDA child's memory bound
})
ALWAYS_REFUSED = frozenset({"sys.addaudithook"})
# Running code in a setting of the asker's choosing (globals, closure, defaults).
NEW_SETTING = frozenset({"function.__new__", "exec", "object.__setattr__", "object.__delattr__"})
FUNCTION_BINDINGS = frozenset({"__code__", "__defaults__", "__kwdefaults__", "__globals__", "__closure__"})
# The grader's own events, raised by the sandbox's code to use the vault.
OWN = frozenset({"grader.original", "grader.tracing", "grader.child", "grader.mode_state",
                 "grader.eval_frame"})
SET_EVAL_FRAME = "grader.set_eval_frame"  # the one request anyone may make (see hook)
# Standard library modules whose helpers may read a frame for the student.
HELPER_MODULES = ("traceback", "collections", "typing", "enum", "logging", "linecache")


class Refused(RuntimeError):
    """What the student's code gets for a refused event."""


def library_helpers() -> dict[int, int | None]:
    """Standard library code allowed to call `sys._getframe`, by id of its
    code object: what each hands back holds no frame. The value, when not
    None, is the id of the only code that may call it (logging's
    `currentframe` returns a frame, but only to Logger.findCaller, which
    keeps names and line numbers of it)."""
    import collections
    import enum
    import logging
    import typing

    read_only = [traceback.extract_stack, traceback.format_stack, traceback.print_stack,
                 collections.namedtuple, typing._caller, enum.EnumType._create_,
                 logging.Logger.findCaller]
    helpers: dict[int, int | None] = {id(function.__code__): None for function in read_only}
    helpers[id(logging.currentframe.__code__)] = id(logging.Logger.findCaller.__code__)
    try:  # torch's dependency; subscripting a Generic asks it whether typing's caller is Generic (a bool)
        import typing_extensions
    except ImportError:
        return helpers
    origin_test = getattr(typing_extensions, "_has_generic_or_protocol_as_origin", None)
    if origin_test is not None:
        helpers[id(origin_test.__code__)] = None
    return helpers


@dataclass
class Keys:
    """What the sandbox's code hands the vault when it is installed (in the fork server)."""

    trusted: dict  # id(code) -> code: the grader's code, kept alive here
    main: object  # the code of child.main: the bottom of every trusted chain
    originals: dict  # label -> (torch's original function, policy name)
    caller_allowed: object  # guards' test of who may call a guarded function while tracing
    stubs: dict  # policy -> the code of the guards' stub that may ask for an original under it
    loaded: frozenset = frozenset()  # modules loaded before any child: never created twice
    asks: dict = field(default_factory=dict)  # event -> the code objects that may raise it
    classes: tuple = ()  # classes whose attributes nobody may set from a child
    also_protected: tuple = ()  # code objects elsewhere that other checks trust


def install(keys: Keys) -> "Monitor":
    """Install the hook (once, in the fork server, before any child exists).

    It refuses nothing until a child's `main` raises `grader.child`; until
    then it only hands the guards their originals. Everything the hook uses
    is bound here, so nothing the student changes later (builtins, modules)
    changes what it does.
    """
    violations: list[str] = []
    busy = [False]
    state = {"child": False, "pid": -1, "folder": "\0", "tracing": 0}
    getframe, helpers, missing = sys._getframe, library_helpers(), object()
    walk_code = traceback._walk_tb_with_full_positions.__code__
    summary_code = traceback.StackSummary._extract_from_extended_frame_gen.__func__.__code__
    refused, always, frame_names, reaching_in = REFUSED, ALWAYS_REFUSED, FRAMES, REACHING_IN
    new_setting, bindings, own = NEW_SETTING, FUNCTION_BINDINGS, OWN
    ident, length, type_of, starts, is_, all_, map_ = id, len, type, str.startswith, operator.is_, all, map
    function_type = types.FunctionType
    trusted = frozenset(keys.trusted)  # a copy: the student never holds this one
    keep_alive = dict(keys.trusted)
    main_code, loaded = keys.main, frozenset(keys.loaded)
    stub_for = {policy: ident(code) for policy, code in keys.stubs.items()}
    plain_spec = types.SimpleNamespace
    asks = {event: frozenset(ident(code) for code in codes) for event, codes in keys.asks.items()}
    originals, caller_allowed = dict(keys.originals), keys.caller_allowed
    classes = frozenset(ident(cls) for cls in keys.classes)
    protected = set(trusted) | {ident(walk_code), ident(summary_code)} | set(helpers)
    protected |= {ident(code) for code in keys.also_protected}
    protected = frozenset(protected)
    held = (keep_alive, keys.classes, keys.also_protected, dict(keys.stubs), keys.asks, walk_code, summary_code)
    helper_names = _helper_snapshot()
    readers = _mode_readers(originals)
    read_modes, refused_error, biggest = _mode_state, Refused, max

    def chain_trusted(frame) -> bool:
        """The frame and all its callers down to the child's main are the grader's."""
        depth = 0
        while frame is not None and depth < 200:
            code = frame.f_code
            if ident(code) not in trusted:
                return False
            if code is main_code:
                return True
            frame = frame.f_back
            depth += 1
        return not state["child"]  # in the fork server nothing is student code

    def helpers_intact() -> bool:
        # By the values in order, never by key: a planted key's __eq__ would run in here.
        return all_(length(live) == length(values) and all_(map_(is_, live.values(), values))
                    for live, values in helper_names)

    def allowed(event: str, args: tuple, frame) -> bool:
        code = frame.f_code
        if ident(code) in trusted:
            return chain_trusted(frame)
        if event == "object.__getattr__":
            # A traceback's frames, read by traceback's own summarising loop.
            outer = frame.f_back
            return (code is walk_code and outer is not None and outer.f_code is summary_code
                    and helpers_intact())
        if event in ("os.kill", "os.killpg") and length(args) >= 1 and args[0] == state["pid"]:
            return event == "os.kill"
        if event != "sys._getframe":
            return False
        caller = helpers.get(ident(code), missing)
        if caller is missing or not helpers_intact():
            return False
        outer = frame.f_back
        return caller is None or (outer is not None and ident(outer.f_code) == caller)

    def refuse(what: str):
        violations.append(what)
        raise refused_error(f"the grader's sandbox does not allow {what}")

    def rebinding(event: str, args: tuple) -> str | None:
        """What a NEW_SETTING event would do to the grader's code or classes, or None."""
        if event in ("function.__new__", "exec"):
            code = args[0] if length(args) >= 1 else None
            return f"{event} of the grader's code" if ident(code) in protected else None
        if length(args) < 2:
            return None
        target, name = args[0], args[1]
        if type_of(name) is not str:  # no str subclass's __hash__ runs in here
            return f"{event} with a name that is not a plain str" if ident(target) in classes else None
        if ident(target) in classes:
            return f"changing the grader's class ({event} {name})"
        if type_of(target) is function_type and name in bindings:
            code = target.__code__
            # A library's function, or the grader's (a file of its own); not one
            # made from a string (namedtuple's __new__ gets its defaults so).
            if ident(code) in protected or (starts(code.co_filename, "/")
                                            and not starts(code.co_filename, state["folder"])):
                return f"changing {name} of a function the submission did not write"
        return None

    def own_event(event: str, args: tuple, frame) -> None:
        """The sandbox's own requests to the vault."""
        code = frame.f_code
        if event == "grader.original":
            box = args[0] if length(args) == 1 else None
            if type_of(box) is not list or not box or type_of(box[0]) is not str:
                refuse("asking for torch's original functions")
            entry = originals.get(box[0])
            if entry is None or stub_for.get(entry[1]) != ident(code):
                refuse("asking for torch's original functions")
            original, policy = entry
            if policy == "module":  # the stub's spec, rebuilt here from plain strings
                if length(box) != 3 or type_of(box[1]) is not str or type_of(box[2]) is not str:
                    refuse("asking for torch's original functions")
                box[1] = plain_spec(name=box[1], origin=box[2] or None)
            if state["child"]:
                if policy == "registration":
                    refuse(f"{box[0]} (defining torch operators or kernels)")
                if policy == "module" and (box[1].name in loaded or starts(box[2], state["folder"])):
                    refuse(f"creating module {box[1].name}: a second copy of a loaded module, or an extension "
                           "from the submission's folder")
                if policy == "tracing" and state["tracing"] and not caller_allowed(frame.f_back, chain_trusted):
                    refuse(f"{box[0]} while it traces a call")
            box[0] = original
            return
        if ident(code) not in asks.get(event, ()) or not chain_trusted(frame):
            refuse(f"the sandbox's own request {event}")
        if event == "grader.tracing":
            state["tracing"] = state["tracing"] + 1 if args[0] else biggest(0, state["tracing"] - 1)
        elif event == "grader.child":
            state["child"], state["pid"], state["folder"] = True, args[0], args[1]
        elif event == "grader.mode_state":
            args[0].append(read_modes(readers))
        elif event == "grader.eval_frame":  # unset dynamo's frame hook; say whether one was set
            previous = originals["set_eval_frame"][0](None)
            args[0].append(previous is not None and previous is not False)

    set_eval_frame, set_eval_frame_event = originals["set_eval_frame"][0], SET_EVAL_FRAME

    def hook(event, args):
        if event == set_eval_frame_event:
            # Clearing dynamo's frame hook is harmless, whoever asks: the vault
            # makes that call itself (a C function that runs no Python), and
            # refuses any callback in a child. No frame look-up: torch calls
            # this around every function it keeps dynamo out of.
            box = args[0] if length(args) == 1 else None
            if type_of(box) is not list or length(box) != 1:
                refuse("asking for torch's original functions")
            callback = box[0]
            if callback is not None and callback is not False and state["child"]:
                refuse("torch.compile or frame hooks")
            box[0] = set_eval_frame(callback)
            return
        if event in own:
            if busy[0]:
                refuse(event)
            busy[0] = True
            try:
                own_event(event, args, getframe(1))
            finally:
                busy[0] = False
            return
        if not state["child"]:
            return
        if event in new_setting:
            what = rebinding(event, args)
            if what is not None:
                refuse(what)
            return
        if event not in refused and not starts(event, "ctypes."):
            return
        if event == "object.__getattr__" and (length(args) < 2 or type_of(args[1]) is not str
                                               or args[1] not in frame_names):
            return
        if busy[0]:  # the frame look-up below raises an event of its own
            return
        busy[0] = True
        try:
            frame = getframe(1)
            if event not in always and allowed(event, args, frame):
                return
            what = f"{event} {args[1]}" if event == "object.__getattr__" else event
            if event in reaching_in or starts(event, "ctypes."):
                filename = frame.f_code.co_filename  # a code object may carry a str subclass
                filename = str.rpartition(filename, "/")[2] if type_of(filename) is str else "?"
                where = f"{filename}:{frame.f_lineno}"
                violations.append(f"{what} (at {where})")
        finally:
            busy[0] = False
        raise refused_error(f"the grader's sandbox does not allow {what}")

    hook.held = held  # noqa: B018 - kept alive with the hook, out of reach
    sys.addaudithook(hook)
    return Monitor(violations)


def _helper_snapshot() -> list[tuple]:
    """Every value of each helper module and summary class, in order, as it is now."""
    found = []
    for name in HELPER_MODULES:
        module = sys.modules.get(name) or __import__(name)
        found.append((vars(module), tuple(vars(module).values())))
    for cls in (traceback.StackSummary, traceback.FrameSummary):
        found.append((cls.__dict__, tuple(cls.__dict__.values())))
    return found


def _mode_readers(originals: dict) -> tuple:
    """The unguarded functions that read torch's mode stacks and key sets, bound now."""
    import torch

    c = torch._C
    return (c._len_torch_function_stack, originals["_get_function_stack_at"][0], c._len_torch_dispatch_stack,
            originals["_get_dispatch_stack_at"][0], c._dispatch_tls_local_exclude_set,
            c._dispatch_tls_local_include_set, c._is_torch_function_enabled, c._is_torch_function_all_disabled)


def _mode_state(readers: tuple) -> tuple:
    """The mode stacks (the objects on them) and the dispatch key state."""
    len_functions, function_at, len_dispatch, dispatch_at, excluded, included, enabled, all_disabled = readers
    functions = tuple(function_at(i) for i in range(len_functions()))
    dispatch = tuple(dispatch_at(i) for i in range(len_dispatch()))
    keys = (excluded().raw_repr(), included().raw_repr(), bool(enabled()), bool(all_disabled()))
    return functions, dispatch, keys


class Monitor:
    """What the hook refused since it was last asked."""

    def __init__(self, violations: list[str]):
        self._violations = violations

    def take(self) -> list[str]:
        found = list(self._violations)
        del self._violations[:]
        return found
