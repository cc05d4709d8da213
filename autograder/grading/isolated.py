"""Grade in a fresh Python process, with a time limit: the one way a host
starts a grading it must survive.

A batch grades each student in a process of its own, Gradescope's runner
grades the upload, a notebook's kernel grades its module away from the
student's cells: each must outlive a grading that hangs, crashes or is
killed, and must stop everything that grading started. The process gets
its own session (so a timeout, or an interrupt of the host, stops its fork
server and sandboxed children with it) and the grader's package on its
path; the host reads the report file the grading wrote.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.paths import ROOT

GRACE = 5.0  # seconds the grader's process group gets to go once its grader was killed


GRADE = [sys.executable, "-m", "autograder", "grade"]


def grade_command(path: Path, fmt: str, output: Path, *options: str) -> list[str]:
    """`python -m autograder grade PATH --format FMT --output OUTPUT ...`"""
    return [*GRADE, str(path), "--format", fmt, "--output", str(output), *options]


@dataclass
class Finished:
    """How the process ended: its exit status (None if it was stopped) and what it printed."""

    returncode: int | None
    output: str
    timed_out: bool = False


def start(command: list[str], *, cwd: Path | None = None, merge_output: bool = False,
          stdin=subprocess.DEVNULL, stderr=None) -> subprocess.Popen:
    """The grading's process, in a session of its own, finding this checkout's grader.

    Its output is piped; `stderr` (a file) takes its messages instead where
    nobody reads them as they come, so a chatty process never blocks.
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    errors = subprocess.STDOUT if merge_output else stderr or subprocess.PIPE
    return subprocess.Popen(command, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=errors, text=True, start_new_session=True)


def finish(process: subprocess.Popen, timeout: float) -> Finished:
    """Wait for the process within `timeout`; stopped, with all it started, when it
    takes longer or when the host is interrupted meanwhile."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process)
        out, err = process.communicate()
        return Finished(None, (out or "") + (err or ""), timed_out=True)
    except BaseException:  # KeyboardInterrupt (nbgrader's cell limit): nothing may be left running
        stop(process)
        raise
    return Finished(process.returncode, (out or "") + (err or ""))


def run(command: list[str], timeout: float, **options) -> Finished:
    return finish(start(command, **options), timeout)


def stop(process: subprocess.Popen) -> None:
    """Kill a grader and whatever is left of its process group.

    The grader goes first: its fork server sees its input close and kills
    the sandboxed children (in sessions of their own) before it exits itself.
    """
    try:
        process.kill()
    except ProcessLookupError:
        pass
    process.wait()
    end_group(process.pid)


def end_group(group: int) -> None:
    """Give a killed grader's process group GRACE seconds to go, then kill what is left."""
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.05)
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
