"""A forked process that must not outlive the one that started it.

A grading fork holds the fork server's input open, a warm worker's grading
holds its fork server's, a zygote holds nothing but memory: alive after
their parent died (a timeout, a batch's stop, a SIGKILL) they would keep
servers and sandboxed children running that nobody will ever stop.
"""

from __future__ import annotations

import contextlib
import os
import signal


def die_with(parent: int, code: int = 1) -> None:
    """Be SIGKILLed when `parent` dies (Linux's PR_SET_PDEATHSIG); exit
    now with `code` when it died before we asked."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    with contextlib.suppress(OSError, AttributeError):  # not Linux: closed sockets still end us
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(code)
