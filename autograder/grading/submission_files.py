"""Read a submission's files the way a privileged grader must.

The grader can read what students cannot (solutions/, the hidden suites, the
source notebooks), and everything in a submission is hostile input: a module
file that is a symbolic link to `solutions/matmul.py`, a notebook that is a
FIFO (an open() that never returns) or a link to /dev/zero (a read() that
never ends), a hard link to a reference file. So every read of a submission
goes through `read_regular`:

- the last path component is opened with O_NOFOLLOW: a link is refused, not
  followed (the folders above it are the caller's: `submission_root`
  refuses a submission that is itself a link);
- O_NONBLOCK: opening a FIFO returns at once, and it is then refused; what
  lstat already shows is not a regular file is not opened at all;
- fstat on what was opened: only a regular file, the same one lstat saw;
- a size limit, checked on fstat and while reading (at most limit + 1 bytes);
- a hard link to one of the grader's private files (the same st_dev and
  st_ino as a file under `PRIVATE`) is refused, unless it is that file
  itself (grading `solutions/` is how the reference is checked).

A refusal is a `SubmissionFileError` that names the file and says why; no
message ever quotes what a file holds. `stage_modules` copies a folder's
module files through it into a folder the grader owns, so that the sandbox
never reads the student's folder and a file changed during grading cannot
matter.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from pathlib import Path

from autograder.paths import HIDDEN, SOLUTIONS, SOURCE

PRIVATE = (SOLUTIONS, SOURCE, HIDDEN)

MODULE_LIMIT = 2**20  # bytes of a module file; the reference modules are about 10 KB
NOTEBOOK_LIMIT = 20 * 2**20  # bytes of a notebook; a released one is about 30 KB, outputs add more

OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
CHUNK = 2**20  # bytes per read()

LINK = "is a symbolic link; links are not followed (hand in the file itself)"
KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class SubmissionFileError(Exception):
    """A submission file the grader will not read: `name` and `reason`, no content."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name} {reason}")
        self.name = name
        self.reason = reason


def kind(mode: int) -> str:
    """What an lstat's st_mode is, in words: 'a regular file', 'a FIFO (named pipe)', ..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in KINDS if test(mode)), "not a regular file")


def submission_root(path: Path) -> Path:
    """The submission a caller names, resolved; refused when it is itself a
    symbolic link (batch and Gradescope hand over paths that come from students)."""
    path = Path(path)
    if path.is_symlink():
        raise SubmissionFileError(str(path), "is a symbolic link; links are not followed "
                                             "(give the folder or notebook itself)")
    return path.resolve()


def read_regular(path: str | Path, *, limit: int, dir_fd: int | None = None) -> bytes:
    """The bytes of the regular file `path` (relative to `dir_fd` when given).

    FileNotFoundError when nothing has that name; SubmissionFileError for
    anything else it will not read: a link, a FIFO, a device, a folder, a
    hard link to a private file, more than `limit` bytes.
    """
    name = os.path.basename(os.fspath(path))
    try:
        seen = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise SubmissionFileError(name, f"could not be read ({exc.strerror})") from None
    _check(name, seen, limit)  # what is not a regular file is never opened
    try:
        fd = os.open(path, OPEN_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        raise
    except OSError as exc:  # ELOOP: it became a link since the lstat
        reason = LINK if exc.errno == errno.ELOOP else f"could not be opened ({exc.strerror})"
        raise SubmissionFileError(name, reason) from None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (seen.st_dev, seen.st_ino):
            raise SubmissionFileError(name, "changed while it was being read")
        _check(name, opened, limit)
        if _private_copy(opened, path, dir_fd):
            raise SubmissionFileError(name, "is a hard link to one of the grader's own files; "
                                            "it was not read (hand in your own file)")
        data = _read_at_most(fd, limit + 1)  # st_size can lie (a file still being written)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise SubmissionFileError(name, f"is more than {limit:,} bytes, the limit for this file")
    return data


def stage_modules(folder: Path, modules, into: Path) -> dict[str, str]:
    """Copy the module files of `folder` (`<module>.py` for each of `modules`)
    into `into`, each read once with `read_regular` relative to one descriptor
    of the folder; returns the modules whose file was refused, with why.

    A module with no file is neither copied nor refused (it is `missing`);
    a `folder` that is not a folder has no module files.
    """
    try:
        folder_fd = os.open(folder, FOLDER_FLAGS)
    except OSError:
        return {}
    refused = {}
    try:
        for module in modules:
            try:
                data = read_regular(f"{module}.py", limit=MODULE_LIMIT, dir_fd=folder_fd)
            except FileNotFoundError:
                continue
            except SubmissionFileError as exc:
                refused[module] = str(exc)
                continue
            (Path(into) / f"{module}.py").write_bytes(data)
    finally:
        os.close(folder_fd)
    return refused


def _check(name: str, info: os.stat_result, limit: int) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise SubmissionFileError(name, LINK)
    if not stat.S_ISREG(info.st_mode):
        raise SubmissionFileError(name, f"is {kind(info.st_mode)}, not a regular file; it was not read")
    if info.st_size > limit:
        raise SubmissionFileError(name, f"is {info.st_size:,} bytes, over the limit of {limit:,} bytes "
                                        "for this file")


def _read_at_most(fd: int, count: int) -> bytes:
    chunks, left = [], count
    while left > 0:
        chunk = os.read(fd, min(left, CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


@functools.cache
def private_files() -> dict[tuple[int, int], str]:
    """(st_dev, st_ino) -> real path of every regular file under `PRIVATE`."""
    found = {}
    for root in PRIVATE:
        for here, _, names in os.walk(root):
            for name in names:
                path = os.path.join(here, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode):
                    found[(info.st_dev, info.st_ino)] = os.path.realpath(path)
    return found


def _private_copy(info: os.stat_result, path, dir_fd: int | None) -> bool:
    """Is this another name for a private file (a hard link), not that file itself?"""
    private = private_files().get((info.st_dev, info.st_ino))
    if private is None:
        return False
    try:
        base = os.readlink(f"/proc/self/fd/{dir_fd}") if dir_fd is not None else os.getcwd()
    except OSError:  # no /proc: where it is cannot be told, so it counts as a copy
        return True
    where = os.path.join(base, os.fspath(path))
    real = os.path.join(os.path.realpath(os.path.dirname(where)), os.path.basename(where))
    return real != private
