"""Seccomp: the system calls a child may no longer make, enforced by the kernel.

Landlock (landlock.py) limits what a child may open; this limits what it may
start or reach. After its set-up a child makes no new process or thread (so
no work escapes the tracer on another thread, nothing outlives a call, and no
helper process forges answers on the child's connection), opens no socket
(no UDP, no Unix socket, no TCP), signals no other process, sets no signal
handler or timer (a handler would receive the interrupted frame; a timer could
kill a later call), and cannot inspect another process. A refused call fails
with EPERM, which Python reports as an OSError (or RuntimeError for threads)
in the student's code: that call fails, nothing else.

The filter is built with libseccomp (through pyseccomp). Where it is missing
(not Linux, no libseccomp), `restrict` returns False and the other layers
still apply: the audit hook (audit.py) refuses the same things when they are
asked for from Python.
"""

from __future__ import annotations

import errno

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
)
# glibc tries clone3 first and falls back to clone when the kernel says it has none.
UNKNOWN = ("clone3",)


def available() -> bool:
    return pyseccomp is not None


def restrict(pid: int) -> bool:
    """Load the filter for this process (`pid` is its own pid: it may still
    signal itself). Returns whether the filter is in force."""
    if pyseccomp is None:
        return False
    try:
        rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        refuse = pyseccomp.ERRNO(errno.EPERM)
        for name in REFUSED:
            _add(rules, refuse, name)
        for name in UNKNOWN:
            _add(rules, pyseccomp.ERRNO(errno.ENOSYS), name)
        # Signals: to itself only (Python's os.kill(os.getpid(), ...) and raise()).
        for name, arg in (("kill", 0), ("tkill", 0), ("tgkill", 0)):
            _add(rules, refuse, name, pyseccomp.Arg(arg, pyseccomp.NE, pid))
        # Sending on the connection it has is fine; sending to an address is not.
        _add(rules, refuse, "sendto", pyseccomp.Arg(4, pyseccomp.NE, 0))
        rules.load()
    except OSError:
        return False
    return True


def _add(rules, action: int, name: str, *args) -> None:
    try:
        rules.add_rule(action, name, *args)
    except (OSError, ValueError, RuntimeError):
        pass  # a system call this architecture does not have
