"""How a call into the sandbox fails, as types: recognised by class, never by
the text of a message (a student's own exception may say "timeout").

`ChildGone` and `ChildTimedOut` are raised by the grader's side of a child's
connection (client.py); `TimedOut` is the check failure the hidden suites
raise for a call that ran out of time, which the grading pipeline reads
back from pytest to mark the item "timeout".
"""

from __future__ import annotations


class ChildGone(RuntimeError):
    """The child gave no usable answer: it ended, sent nonsense, or could not start."""


class ChildTimedOut(ChildGone):
    """No answer in time: the call's own limit, or the grading's whole budget."""


class TimedOut(AssertionError):
    """A check failed because the student's call ran past its time limit."""
