"""Who the students of a batch are, and what each one handed in.

A student is a direct child of the submissions folder: a folder of modules
or a notebook (`*.ipynb`); hidden entries are skipped. A student entry that
is a symbolic link is looked at, never followed. The fingerprint of a
submission (what a kept report must have graded) opens only its regular
files (`submission_files.read_regular`), so a FIFO or a link to /dev/zero in
one student's folder cannot stall or stop the batch.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.submission_files import (
    NOTEBOOK_LIMIT,
    SubmissionFileError,
    kind,
    read_regular,
)

# What fingerprint() reads at most; a submission is a dozen small files. A
# larger file (no grader reads more than NOTEBOOK_LIMIT) is hashed by its size
# and time instead, and entries past the count are left out (the top-level
# ones, all a grader reads, come first).
MAX_HASHED_FILES = 10_000
MAX_HASHED_BYTES = 256 * 2**20


class BatchError(RuntimeError):
    """Input the batch cannot work with; the message says what to change."""


@dataclass(frozen=True)
class Student:
    name: str
    path: Path


def hidden(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def find_students(folder: Path, *, ignore: Path | None = None) -> list[Student]:
    """Folders and notebooks directly in `folder`, sorted by student name.

    A symbolic link is a student where a folder or notebook in its place
    would be (it points to a folder, or its name ends in .ipynb); it is
    looked at, never read (see grade()).
    """
    students: dict[str, Student] = {}
    for entry in sorted(folder.iterdir()):
        if hidden(entry.name) or (ignore is not None and entry.resolve() == ignore.resolve()):
            continue
        if entry.is_dir():  # stat() only: nothing is opened
            name = entry.name
        elif entry.suffix == ".ipynb":
            name = entry.stem
        else:
            continue
        if name in students:
            raise BatchError(f"two submissions for student {name!r}: "
                             f"{students[name].path.name} and {entry.name}; keep one")
        students[name] = Student(name, entry)
    return sorted(students.values(), key=lambda s: s.name)


def content_hash(student: Student) -> str | None:
    """What a kept report must have graded; None when the submission is unreadable."""
    try:
        return fingerprint(student.path)
    except OSError:
        return None


def fingerprint(path: Path) -> str:
    """SHA-256 over the names and bytes of the submission's visible files.

    Nothing but a regular file is opened and no link is followed: a link
    counts by its target's name, a FIFO or device by its kind.
    """
    digest = hashlib.sha256()
    left = MAX_HASHED_BYTES
    entries, cut = visible_entries(path)
    for file in entries:
        name = file.relative_to(path).as_posix() if file != path else file.name
        what, data = hashed_content(file, left)
        left -= len(data) if what is None else 0
        # Lengths first, so no two different trees can hash the same bytes;
        # a kind in words, where a regular file has its length, sets the rest apart.
        # A name that is not UTF-8 keeps its own bytes (os.fsencode), as on the disk.
        digest.update(f"{len(name)}:".encode() + os.fsencode(name)
                      + f":{'' if what is None else what + ':'}{len(data)}:".encode())
        digest.update(data)
    if cut:
        digest.update(b"and more entries than are hashed")
    return digest.hexdigest()


def visible_entries(path: Path) -> tuple[list[Path], bool]:
    """The submission itself when it is not a folder, else every entry under
    it but folders (a link to a folder is an entry, not entered), leaving out
    hidden ones and caches; sorted, and whether some were left out: the first
    MAX_HASHED_FILES met, top-level ones first."""
    if not path.is_dir() or path.is_symlink():
        return [path], False
    found = []

    def fail(error: OSError):
        raise error

    for here, folders, files in os.walk(path, onerror=fail):  # followlinks=False
        folders[:] = sorted(f for f in folders if not hidden(f))
        links = [f for f in folders if os.path.islink(os.path.join(here, f))]
        found += [Path(here, name) for name in files + links if not hidden(name)]
        if len(found) > MAX_HASHED_FILES:
            return sorted(found[:MAX_HASHED_FILES]), True
    return sorted(found), False


def hashed_content(file: Path, left: int) -> tuple[str | None, bytes]:
    """(None, the bytes) of a regular file read within `left` bytes; else
    (what it is, a description): nothing else is ever opened."""
    try:
        info = os.lstat(file)
    except FileNotFoundError:
        return "gone", b""
    if stat.S_ISLNK(info.st_mode):
        return "link", os.fsencode(os.readlink(file))
    if not stat.S_ISREG(info.st_mode):
        return kind(info.st_mode), b""
    if info.st_size > min(left, NOTEBOOK_LIMIT):
        return "large", f"{info.st_size}:{info.st_mtime_ns}".encode()
    try:
        return None, read_regular(file, limit=min(left, NOTEBOOK_LIMIT))
    except FileNotFoundError:
        return "gone", b""
    except SubmissionFileError as exc:  # changed meanwhile, or another name for a private file
        return "refused", exc.reason.encode()


def unreadable(path: Path) -> str:
    """Why hashing the submission failed, in the system's words."""
    try:
        fingerprint(path)
    except OSError as exc:
        return f"{exc.strerror or exc} ({path})"
    return f"it changed while being read ({path})"
