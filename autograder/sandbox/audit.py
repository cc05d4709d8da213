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

"Who asked" is the frame that made the call: a `gc.get_objects()` in the
student's file is refused, the same call in a function of the sandbox is
not. Code is recognised by identity, not by name or file, so a copy of the
grader's source compiled by the student is still the student's. A few
functions of the standard library may ask on the student's behalf because
what they hand back holds no frame: `traceback.extract_stack` and friends
return summaries of strings (torch itself records stacks this way), and
`namedtuple`, `typing.TypeVar`, the functional `Enum` and logging read only
the caller's module name or line.

A refused event raises RuntimeError in the code that asked. Reaching in
(the heap, frames, tracing, ctypes) is also recorded: the child reports it
with the answer to the call, and the grader fails that call with an
integrity note, even when the student's code caught the exception. Reaching
out (a socket, a process, a signal, a resource limit), which seccomp refuses
in the kernel too, only raises: a call that needed it fails by its own
error, and one that catches it and goes on is graded as it is. What this cannot stop is described in
docs/grader.md ("What the sandbox guarantees").
"""

from __future__ import annotations

import sys
import traceback

# Events refused to code that is not the grader's own. Everything else passes
# at the cost of one set lookup.
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
})
ALWAYS_REFUSED = frozenset({"sys.addaudithook"})


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
    return helpers


def install(trusted: dict[int, object], own_pid: int) -> "Monitor":
    """Install the hook; `trusted` maps id(code) -> code for the grader's code.

    Everything the hook uses is bound here, so nothing the student changes
    later (builtins, modules) can change what it does.
    """
    violations: list[str] = []
    busy = [False]
    getframe, helpers, missing = sys._getframe, library_helpers(), object()
    walk_code = traceback._walk_tb_with_full_positions.__code__
    summary_code = traceback.StackSummary._extract_from_extended_frame_gen.__func__.__code__
    refused, always, frame_names, reaching_in = REFUSED, ALWAYS_REFUSED, FRAMES, REACHING_IN
    ident, length, type_of, starts = id, len, type, str.startswith

    def allowed(event: str, args: tuple, frame) -> bool:
        code = frame.f_code
        if trusted.get(ident(code)) is code:
            return True
        if event == "object.__getattr__":
            # A traceback's frames, read by traceback's own summarising loop.
            outer = frame.f_back
            return code is walk_code and outer is not None and outer.f_code is summary_code
        if event in ("os.kill", "os.killpg") and length(args) >= 1 and args[0] == own_pid:
            return event == "os.kill"
        if event != "sys._getframe":
            return False
        caller = helpers.get(ident(code), missing)
        if caller is missing:
            return False
        outer = frame.f_back
        return caller is None or (outer is not None and ident(outer.f_code) == caller)

    def hook(event, args):
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
                where = f"{frame.f_code.co_filename.rpartition('/')[2]}:{frame.f_lineno}"
                violations.append(f"{what} (at {where})")
        finally:
            busy[0] = False
        raise Refused(f"the grader's sandbox does not allow {what}")

    sys.addaudithook(hook)
    return Monitor(violations)


class Monitor:
    """What the hook refused since it was last asked."""

    def __init__(self, violations: list[str]):
        self._violations = violations

    def take(self) -> list[str]:
        found = list(self._violations)
        del self._violations[:]
        return found
