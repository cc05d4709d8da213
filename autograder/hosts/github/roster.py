"""The course's roster: which student's work is in which GitHub repository.

A CSV file with a header row and the columns `student` (an id: a folder and
report name in the batch), `repository` (`owner/name` on GitHub) and,
optionally, `ref` (a branch, tag or commit to grade; empty: the default
branch). Every value is checked before anything is fetched, since the
values become folder names, git arguments and API paths.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

STUDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
# A branch or tag name as git allows it, without the forms that could be read
# as an option (leading "-") or a refspec (":"), or a commit's full SHA.
REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/+-]{0,199}")
SHA = re.compile(r"[0-9a-f]{40}")
COLUMNS = ("student", "repository")
MAX_PROBLEMS = 10  # listed in one message; the rest are counted


class RosterError(ValueError):
    """The roster cannot be used: the message lists what to fix, by line."""


@dataclass(frozen=True)
class Entry:
    student: str
    repository: str
    ref: str = ""


def problem(line: int, student: str, repository: str, ref: str) -> str | None:
    """What is wrong with one row, or None."""
    if not STUDENT.fullmatch(student):
        return (f"line {line}: student {student!r} is not an id (letters, digits, '.', '_', '-'; "
                "not starting with '.' or '-')")
    if not REPOSITORY.fullmatch(repository) or repository.rpartition("/")[2] in (".", ".."):
        return f"line {line}: repository {repository!r} is not owner/name"
    if ref and (not REF.fullmatch(ref) or ".." in ref or "//" in ref or ref.endswith(("/", ".lock"))):
        return f"line {line}: ref {ref!r} is not a branch, tag or commit name"
    return None


def read(path: Path) -> list[Entry]:
    """The roster's entries, in its order; RosterError lists every bad line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: a spreadsheet's BOM
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RosterError(f"cannot read the roster {path}: {exc}") from None
    if not rows:
        raise RosterError(f"the roster {path} is empty: it needs a header row (student,repository,ref)")
    header = [name.strip().lower() for name in rows[0]]
    absent = [name for name in COLUMNS if name not in header]
    if absent:
        raise RosterError(f"the roster {path} has no column {', '.join(absent)} in its header row "
                          f"(found: {', '.join(header) or 'nothing'})")
    column = {name: header.index(name) for name in (*COLUMNS, "ref") if name in header}
    entries, problems, seen = [], [], {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines are allowed
        values = {name: row[i].strip() if i < len(row) else "" for name, i in column.items()}
        entry = Entry(values["student"], values["repository"], values.get("ref", ""))
        why = problem(line, entry.student, entry.repository, entry.ref)
        if why is None and entry.student in seen:
            why = f"line {line}: student {entry.student!r} is already on line {seen[entry.student]}"
        if why is not None:
            problems.append(why)
            continue
        seen[entry.student] = line
        entries.append(entry)
    if problems:
        more = len(problems) - MAX_PROBLEMS
        listed = "; ".join(problems[:MAX_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
        raise RosterError(f"the roster {path} has {len(problems)} bad line(s): {listed}")
    if not entries:
        raise RosterError(f"the roster {path} names no student")
    return entries
