"""A small course for the batch's tests, and how to run and read a batch.

Each student hands in just `neurons.py` (the reference or the stub): a few
seconds of grading. Every process a test's batch starts carries
BATCH_TEST_MARK in the environment it started with, so a test can find any
that outlived the batch, forks included (their command line is their
parent's).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from autograder.hosts.batch import reports as batch_reports
from autograder.paths import EXERCISES, ROOT, SOLUTIONS

BATCH_TEST_MARK = "AUTOGRADER_BATCH_TEST"  # names the submissions folder in every process a batch starts


def batch_environment(submissions: Path) -> dict:
    return dict(os.environ, **{BATCH_TEST_MARK: str(submissions)})


def run_batch(submissions: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", "batch", str(submissions), "--out", str(out), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=900, env=batch_environment(submissions),
    )


def make_course(folder: Path) -> Path:
    """alice hands in the reference neurons.py, bob the stub; ghost's notebook
    is a dangling link; a stray file and a hidden folder are not students."""
    for student, source in (("alice", SOLUTIONS), ("bob", EXERCISES)):
        (folder / student).mkdir(parents=True)
        shutil.copy(source / "neurons.py", folder / student / "neurons.py")
    (folder / "ghost.ipynb").symlink_to(folder / "deleted.ipynb")
    (folder / "notes.txt").write_text("not a submission\n")
    (folder / ".git").mkdir()
    return folder


def read_csv(out: Path) -> list[dict[str, str]]:
    with open(out / batch_reports.CSV_NAME, newline="") as f:
        return list(csv.DictReader(f))


def graded_students(stdout: str) -> list[str]:
    """Who a run graded, from its `[n/m] student: ...` lines."""
    return sorted(line.split("] ", 1)[1].split(":", 1)[0] for line in stdout.splitlines()
                  if line.startswith("["))


def leftover_graders(text: str, grace: float = 2.0) -> list[str]:
    """Command lines of live processes that mention `text` (a submission path)
    in their command line, or in the environment they started with (a
    warm worker's forks run the worker's command line; every process the
    batch started inherits BATCH_TEST_MARK, see run_batch)."""
    deadline = time.monotonic() + grace  # a process killed with its parent takes a moment to go
    while (found := live_processes(text)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def live_processes(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (entry / "environ").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        mark = f"{BATCH_TEST_MARK}={text}" in environ
        if ((text in command and "grade" in command) or mark) and state != "Z" and "pytest" not in command:
            found.append(command)
    return found
