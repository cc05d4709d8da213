"""Grade every submission of a course, in parallel, resumably.

A student is a direct child of the submissions folder: a folder of modules or
a notebook (`*.ipynb`); hidden entries are skipped. Each submission is graded
by a grader process of its own (engines.py: forked by a warm worker, or a
fresh `python -m autograder grade`), with its own fork server and sandbox, so
a crash or a hang costs that student only. Reports
land in OUT/<student>.json as each one finishes (see reports.py);
a rerun skips every student whose report graded the same content.

A student entry that is a symbolic link is never followed: that student gets
an `error` report saying so (students.py reads what was handed in).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from autograder.grading import fingerprint
from autograder.hosts.batch import engines, integrity, reports, similarity
from autograder.hosts.batch.students import BatchError, Student, content_hash, find_students, unreadable
from autograder.safe_text import NAME_LIMIT, clean


def grade(student: Student, sha256: str | None, *, timeout: float, engine) -> dict:
    """The student's report: the grader's JSON, or why there is none."""
    started = time.monotonic()

    graded = None

    def outcome(status: str, error: str = "", report: dict | None = None) -> dict:
        # The grader's stderr can quote the submission: `error` is cleaned.
        batch = {"student": student.name, "submission": str(student.path), "sha256": sha256,
                 "status": status, "error": clean(error), "seconds": round(time.monotonic() - started, 2),
                 "grader": (graded and graded.grader) or fingerprint.current()}
        return (report or {}) | {"batch": batch}

    if sha256 is None:
        return outcome(reports.ERROR, f"cannot read the submission: {unreadable(student.path)}")
    if student.path.is_symlink():
        return outcome(reports.ERROR, f"cannot read the submission: {student.path.name} is a symbolic "
                                      "link, and links are not followed (hand in the folder or notebook itself)")
    try:
        graded = engine.grade(student.path, timeout)
    except OSError as exc:  # out of processes or memory: this student only
        return outcome(reports.ERROR, f"could not start the grader: {exc}")
    if graded.timed_out:
        return outcome(reports.TIMEOUT, f"grading took longer than {timeout:g} s and was stopped")
    if graded.returncode != 0:
        return outcome(reports.ERROR, f"the grader exited with status {graded.returncode}: "
                                      + engines.last_lines(graded.output))
    try:
        report = json.loads(graded.report)
        if not isinstance(report, dict):
            raise ValueError("not a JSON object")
    except (TypeError, ValueError) as exc:
        return outcome(reports.ERROR, f"the grader wrote no readable report: {exc}")
    return outcome(reports.GRADED, report=report)


@dataclass
class Summary:
    graded: int = 0
    failed: int = 0
    kept: int = 0
    csv: Path | None = None
    similarity: Path | None = None  # the HTML page, with --similarity


def run(submissions: Path, out: Path, *, workers: int, timeout: float,
        console: Console | None = None, engine=None, compare: bool = False) -> Summary:
    """Grade what is not graded yet, then rebuild grades.csv from every report
    (and with `compare`, the similarity report of every submission).

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

    engine = engine or engines.WarmWorkers(workers)
    # Threads suffice: each one only waits on its grading process.
    columns = [TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    # Off a terminal the bar is left out; the one line per student remains.
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress, \
            ThreadPoolExecutor(max_workers=workers) as pool:
        bar = progress.add_task("grading", total=len(todo))
        futures = {pool.submit(grade_and_save, s, hashes[s.name], out, timeout, engine): s for s in todo}
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
            engine.stop_all()
            pool.shutdown(cancel_futures=True)
            raise
        finally:
            engine.close()
    summary.csv = reports.write_csv(out, [s.name for s in students])
    if compare:
        summary.similarity = similarity.write_report([(s.name, s.path) for s in students], out)[1]
    return summary


def grade_and_save(student: Student, sha256: str | None, out: Path, timeout: float, engine) -> dict:
    if engine.stopped:  # interrupted before this student's turn: no report at all
        raise engines.Stopped
    report = grade(student, sha256, timeout=timeout, engine=engine)
    # For the instructor only (the report in OUT and grades.csv); never in a
    # student's feedback, and never a change of score.
    report["batch"]["integrity"] = integrity.flags(student.path) if not student.path.is_symlink() else []
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
