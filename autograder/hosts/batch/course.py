"""Grade every submission of a course, in parallel, resumably.

A student is a direct child of the submissions folder: a folder of modules or
a notebook (`*.ipynb`); hidden entries are skipped. Each submission is graded
by its own `python -m autograder grade` process, so it gets its own fork
server and sandbox, and a crash or a hang costs that student only. Reports
land in OUT/<student>.json as each one finishes (see reports.py);
a rerun skips every student whose report graded the same content.

A student entry that is a symbolic link is never followed: that student gets
an `error` report saying so (students.py reads what was handed in).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from autograder.grading import isolated
from autograder.hosts.batch import reports
from autograder.hosts.batch.students import BatchError, Student, content_hash, find_students, unreadable
from autograder.safe_text import NAME_LIMIT, clean

# One group of modules per grader: the batch already runs one grader per core,
# and whole submissions in parallel scale better than a submission's modules.
GRADE = [*isolated.GRADE, "--jobs", "1"]  # one core per student: the batch runs several at once


class Stopped(RuntimeError):
    """The batch was interrupted while this student was being graded."""


class Graders:
    """The grading processes now running, so an interrupt can stop them all."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.stopped = False

    def start(self, command: list[str]) -> subprocess.Popen:
        with self.lock:
            if self.stopped:
                raise Stopped
            # Its own session: a Ctrl-C reaches the batch only, which then stops it.
            process = isolated.start(command)
            self.running.add(process)
            return process

    def finish(self, process: subprocess.Popen) -> None:
        with self.lock:
            self.running.discard(process)
        if self.stopped and process.returncode != 0:
            raise Stopped  # killed by stop_all: no verdict on this student

    def stop_all(self) -> None:
        with self.lock:
            self.stopped = True
            running = list(self.running)
        for process in running:
            isolated.stop(process)


def grade(student: Student, sha256: str | None, *, timeout: float, graders: Graders,
          command: list[str] = GRADE) -> dict:
    """The student's report: the grader's JSON, or why there is none."""
    started = time.monotonic()

    def outcome(status: str, error: str = "", report: dict | None = None) -> dict:
        # The grader's stderr can quote the submission: `error` is cleaned.
        batch = {"student": student.name, "submission": str(student.path), "sha256": sha256,
                 "status": status, "error": clean(error), "seconds": round(time.monotonic() - started, 2)}
        return (report or {}) | {"batch": batch}

    if sha256 is None:
        return outcome(reports.ERROR, f"cannot read the submission: {unreadable(student.path)}")
    if student.path.is_symlink():
        return outcome(reports.ERROR, f"cannot read the submission: {student.path.name} is a symbolic "
                                      "link, and links are not followed (hand in the folder or notebook itself)")
    with tempfile.TemporaryDirectory(prefix="autograder-batch-") as tmp:
        output = Path(tmp) / "report.json"
        try:
            process = graders.start([*command, str(student.path), "--format", "json", "--output", str(output)])
        except OSError as exc:  # out of processes or memory: this student only
            return outcome(reports.ERROR, f"could not start the grader: {exc}")
        finished = isolated.finish(process, timeout)
        graders.finish(process)
        if finished.timed_out:
            return outcome(reports.TIMEOUT, f"grading took longer than {timeout:g} s and was stopped")
        if finished.returncode != 0:
            return outcome(reports.ERROR, f"the grader exited with status {finished.returncode}: "
                                            + last_lines(finished.output))
        try:
            report = json.loads(output.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return outcome(reports.ERROR, f"the grader wrote no readable report: {exc}")
    return outcome(reports.GRADED, report=report)


def last_lines(text: str, count: int = 5) -> str:
    """The end of a grader's stderr: where a traceback names what broke."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "(no message)"


@dataclass
class Summary:
    graded: int = 0
    failed: int = 0
    kept: int = 0
    csv: Path | None = None


def run(submissions: Path, out: Path, *, workers: int, timeout: float,
        console: Console | None = None) -> Summary:
    """Grade what is not graded yet, then rebuild grades.csv from every report.

    A KeyboardInterrupt stops the running graders and propagates; the reports
    already written stay, and the next run resumes from them.
    """
    students = find_students(submissions, ignore=out)
    if not students:
        raise BatchError(f"no submissions in {submissions}: expected one folder or .ipynb per student")
    out.mkdir(parents=True, exist_ok=True)
    reports.remove_partial_files(out)
    console = console or Console()
    hashes = {s.name: content_hash(s) for s in students}
    todo = [s for s in students if not reports.is_final(reports.load(out, s.name), hashes[s.name])]
    summary = Summary(kept=len(students) - len(todo))
    if summary.kept:
        console.print(f"{summary.kept} of {len(students)} already graded (reports up to date): kept",
                      markup=False, highlight=False, soft_wrap=True)

    graders = Graders()
    # Threads suffice: each one only waits on its grading process.
    columns = [TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    # Off a terminal the bar is left out; the one line per student remains.
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress, \
            ThreadPoolExecutor(max_workers=workers) as pool:
        bar = progress.add_task("grading", total=len(todo))
        futures = {pool.submit(grade_and_save, s, hashes[s.name], out, timeout, graders): s for s in todo}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                report = future.result()
                progress.advance(bar)
                ok = report["batch"]["status"] == reports.GRADED
                summary.graded += ok
                summary.failed += not ok
                # soft_wrap: one line per student, however long, for logs and greps.
                progress.console.print(f"[{done}/{len(todo)}] {log_line(report)}",
                                       markup=False, highlight=False, soft_wrap=True)
        except BaseException:
            graders.stop_all()
            pool.shutdown(cancel_futures=True)
            raise
    summary.csv = reports.write_csv(out, [s.name for s in students])
    return summary


def grade_and_save(student: Student, sha256: str | None, out: Path, timeout: float,
                   graders: Graders) -> dict:
    report = grade(student, sha256, timeout=timeout, graders=graders)
    reports.save(out, report)
    return report


def log_line(report: dict) -> str:
    """A student's line in the log: names and errors cleaned (no escape sequence reaches a terminal)."""
    batch = report["batch"]
    if batch["status"] == reports.GRADED:
        result = f"{report['score']:g}/{report['max_score']:g}"
    else:
        result = f"{batch['status']}: {clean(batch['error'])}"
    return f"{clean(batch['student'], NAME_LIMIT)}: {result} ({batch['seconds']:.1f} s)"


def interrupt(signum, frame) -> None:
    """A SIGTERM handler: stop like Ctrl-C, so the graders are stopped too."""
    raise KeyboardInterrupt
