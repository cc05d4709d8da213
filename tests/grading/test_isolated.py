"""A grading in a fresh process (autograder/grading/isolated.py): its output and
exit status come back, and a timeout or an interrupt stops it with everything
it started."""

from __future__ import annotations

import os
import sys
import textwrap
import time

import pytest

from autograder.grading import isolated


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_output_and_the_exit_status_come_back():
    done = isolated.run(python("import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"), 30)
    assert (done.returncode, done.timed_out) == (3, False)
    assert "out" in done.output and "err" in done.output


def test_it_finds_this_checkouts_grader_from_anywhere(tmp_path):
    done = isolated.run(python("import autograder.paths as p; print(p.ROOT)"), 30, cwd=tmp_path)
    assert done.returncode == 0, done.output
    assert done.output.strip() == str(isolated.ROOT)


def test_a_timeout_stops_the_process_and_what_it_started(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    code = f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        time.sleep(120)
    """
    start = time.monotonic()
    done = isolated.run(python(code), 3)
    assert done.timed_out and done.returncode is None
    assert time.monotonic() - start < 3 + isolated.GRACE + 5
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while not gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(grandchild), "the grading's own child outlived the timeout"


def test_an_interrupt_of_the_host_stops_the_grading(monkeypatch):
    process = isolated.start(python("import time; time.sleep(120)"))

    def interrupted(timeout=None):
        raise KeyboardInterrupt  # nbgrader's cell time limit, while waiting

    monkeypatch.setattr(process, "communicate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        isolated.finish(process, 60)
    assert process.returncode is not None  # stopped, not left running
