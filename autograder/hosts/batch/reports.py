"""A batch's results on disk: one JSON report per student and grades.csv.

A report is the grader's JSON (docs/SPEC.md) with one more key, `batch`, that
says whose submission it is, a hash of what was graded, which grader graded
it (grading/fingerprint.py) and how grading went.
When grading failed (the grader crashed, or ran out of time) the report holds
only the `batch` key. Every file is written to a temporary name and renamed,
so a report on disk is either complete or absent.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from autograder import catalogue
from autograder.grading import fingerprint
from autograder.hosts.batch import integrity
from autograder.report.model import Report
from autograder.safe_text import NAME_LIMIT, csv_cell

CSV_NAME = "grades.csv"
TEMP_SUFFIX = ".partial"  # what an interrupted write leaves behind
GRADED, ERROR, TIMEOUT = "graded", "error", "timeout"
STATUSES = (GRADED, ERROR, TIMEOUT)


def report_path(out: Path, student: str) -> Path:
    return out / f"{student}.json"


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the grades from the course's team
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def save(out: Path, report: dict) -> Path:
    path = report_path(out, report["batch"]["student"])
    write_atomically(path, json.dumps(report, indent=2) + "\n")
    return path


def remove_partial_files(out: Path) -> list[Path]:
    """Delete what a killed batch left half-written."""
    stale = sorted(out.glob(f".*{TEMP_SUFFIX}"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def load(out: Path, student: str) -> dict | None:
    """The student's report, or None when it is absent, torn or malformed."""
    try:
        report = json.loads(report_path(out, student).read_text(encoding="utf-8"))
        return report if well_formed(report, student) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def well_formed(report: dict, student: str) -> bool:
    """Checked by hand rather than with jsonschema, whose import alone takes
    seconds here (it builds a URI grammar) and would be paid on every run."""
    batch = report["batch"]
    if (batch["student"], type(batch["error"]), type(batch["sha256"])) not in (
            (student, str, str), (student, str, type(None))) or batch["status"] not in STATUSES:
        return False
    if batch["status"] != GRADED:
        return True
    graded = Report.from_dict(report)  # the grader's part, read as the grader's own code reads it
    scores = [report["score"], report["max_score"], *(item.score for item in graded.items)]
    # Another catalogue's report would not fit the columns.
    return [item.id for item in graded.items] == item_ids() and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in scores)


def is_final(report: dict | None, sha256: str | None, grader: str | None = None) -> bool:
    """A rerun keeps a report that graded exactly this content with this grader
    (grading/fingerprint.py); failures are retried."""
    return (report is not None and sha256 is not None
            and report["batch"]["status"] == GRADED and report["batch"]["sha256"] == sha256
            and report["batch"].get("grader") == (grader or fingerprint.current()))


def item_ids() -> list[str]:
    return [item.id for item in catalogue.load()]


def header() -> list[str]:
    return ["student", "status", "score", "max_score", *item_ids(), "error", "grader", "integrity"]


def row(student: str, report: dict | None) -> dict[str, str]:
    """A student's cells. Names and errors are the students' text: a cell that
    a spreadsheet would run as a formula (`=HYPERLINK(...)`) is made text."""
    if report is None:
        return {"student": csv_cell(student, NAME_LIMIT), "status": "no report",
                "max_score": number(catalogue.max_score())}
    batch = report["batch"]
    values = {"student": csv_cell(student, NAME_LIMIT), "status": csv_cell(batch["status"], NAME_LIMIT),
              "error": csv_cell(batch["error"]), "grader": csv_cell(str(batch.get("grader", "")), NAME_LIMIT),
              "integrity": integrity_cell(batch.get("integrity"))}
    if batch["status"] != GRADED:
        # No score at all rather than a 0 that could pass for a grade.
        return values | {"max_score": number(catalogue.max_score())}
    values |= {"score": number(report["score"]), "max_score": number(report["max_score"])}
    values |= {item["id"]: number(item["score"]) for item in report["items"]}
    return values


def integrity_cell(flags) -> str:
    """The instructor's integrity flags in one cell ("" for a report made without them)."""
    if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
        return ""
    return integrity.summary(flags)


def number(value: float) -> str:
    return format(value, "g")


def csv_text(rows: list[dict[str, str]]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header(), restval="")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def write_csv(out: Path, students: list[str]) -> Path:
    """grades.csv from the reports on disk: one row per student, sorted."""
    path = out / CSV_NAME
    write_atomically(path, csv_text([row(student, load(out, student)) for student in sorted(students)]))
    return path
