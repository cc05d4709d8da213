"""Seccomp: the system calls a child may no longer make, enforced by the kernel.

Landlock (landlock.py) limits what a child may open; this limits what it may
start or reach. After its set-up a child makes no new process or thread (so
no work escapes the tracer on another thread, nothing outlives a call, and no
helper process forges answers on the child's connection), opens no socket
(no UDP, no Unix socket, no TCP), signals no other process, sets no signal
handler or timer (a handler would receive the interrupted frame; a timer could
kill a later call), and cannot inspect another process. A refused call fails
with EPERM, which Python reports as an OSError (or RuntimeError for threads)
in the student's code: that call fails, nothing else. The filter is the
same for every child: the fork server compiles it once (`compile_filter`)
and each child loads those bytes (`restrict`), a fraction of a millisecond.

The filter is built with libseccomp (through pyseccomp). Where it is missing
(not Linux, no libseccomp), `compile_filter` returns None, `restrict` False, and the other layers
still apply: the audit hook (audit.py) refuses the same things when they are
asked for from Python.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import tempfile

try:
    import pyseccomp
except (ImportError, RuntimeError, OSError):  # no libseccomp on this machine
    pyseccomp = None

# Refused outright: new processes and threads, sockets, other processes'
# memory, signal handlers and timers, and kernel interfaces a child never needs.
REFUSED = (
    "clone", "fork", "vfork", "execve", "execveat",
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendmsg", "sendmmsg",
    "rt_sigaction", "setitimer", "alarm", "timer_create", "timer_settime", "timerfd_create",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open",
    "userfaultfd", "unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
    "keyctl", "add_key", "request_key", "setsid", "setpgid",
    "kill", "tkill", "tgkill",  # not even to itself: nothing in a child needs it
)
# glibc tries clone3 first and falls back to clone when the kernel says it has none.
UNKNOWN = ("clone3",)
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 1, 1
SECCOMP_SYSCALL = {"x86_64": 317, "aarch64": 277}  # seccomp(2)


def available() -> bool:
    return pyseccomp is not None


def compile_filter() -> bytes | None:
    """The filter as a BPF program (None where libseccomp is missing). Built
    once, in the fork server: every child loads the same bytes."""
    if pyseccomp is None:
        return None
    try:
        rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        refuse = pyseccomp.ERRNO(errno.EPERM)
        for name in REFUSED:
            _add(rules, refuse, name)
        for name in UNKNOWN:
            _add(rules, pyseccomp.ERRNO(errno.ENOSYS), name)
        # Sending on the connection it has is fine; sending to an address is not.
        _add(rules, refuse, "sendto", pyseccomp.Arg(4, pyseccomp.NE, 0))
        with tempfile.TemporaryFile() as program:
            rules.export_bpf(program)
            program.seek(0)
            return program.read()
    except (OSError, ValueError, RuntimeError):
        return None


class _Program(ctypes.Structure):  # struct sock_fprog
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def restrict(program: bytes | None) -> bool:
    """Load the compiled filter into every thread of this process for good
    (a CUDA child has the driver's threads). Returns whether it is in force."""
    if not program:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    code = ctypes.create_string_buffer(program, len(program))
    fprog = _Program(len(program) // 8, ctypes.addressof(code))  # 8 bytes a BPF instruction
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    number = SECCOMP_SYSCALL.get(platform.machine())
    if number is not None:
        synced = libc.syscall(number, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(fprog))
        if synced == 0:
            return True
    if len(os.listdir("/proc/self/task")) > 1:
        return False  # loaded into this thread alone, the others would go free
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def _add(rules, action: int, name: str, *args) -> None:
    try:
        rules.add_rule(action, name, *args)
    except (OSError, ValueError, RuntimeError):
        pass  # a system call this architecture does not have
