"""An exception raised by student code, as plain data for the grader.

Reading an exception can run student code (its `__str__`, a metaclass), so
the child calls `describe_exception` inside its boundary (child.Child.invoke). The
grader bounds and cleans the text again before any report quotes it.
"""

from __future__ import annotations

import linecache
import os

from autograder.sandbox import wire

MESSAGE_LIMIT = 2000  # characters sent; the grader cuts further


def describe_exception(exc: BaseException) -> dict:
    """An exception as plain data: its type, its base types and its message."""
    cls = type(exc)
    try:
        message = str(exc)
    except BaseException:
        message = "<the exception's message could not be read>"
    if type(message) is not str:
        message = "<the exception's message is not text>"
    return {
        "type": wire.class_name(cls),
        "bases": [wire.class_name(c) for c in cls.__mro__ if c.__module__ == "builtins"],
        "message": message[:MESSAGE_LIMIT],
        "where": where(exc),
    }


def where(exc: BaseException) -> str:
    """The innermost line of the student's file in the traceback, if any
    (the student's files are the only ones in the child's working folder)."""
    here, found = os.getcwd(), None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if type(code.co_filename) is str and code.co_filename.startswith(here):
            found = (code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return ""
    filename, line = found
    text = linecache.getline(filename, line).strip()
    return f"{os.path.basename(filename)}:{line}: {text}"[:300]


def plain(kind: str, message: str) -> dict:
    """An error of the sandbox's own, in the same shape."""
    return {"type": kind, "bases": [kind], "message": message, "where": ""}
