"""Which grader decided a grade: a fingerprint of everything that can change one.

A report kept by a resumed batch is only as good as the grader that made
it. The fingerprint hashes what decides a score: the catalogue (items,
points), the hidden suites, the reference solutions (the speed checks time
against them), the grader's own code, and the versions of the package,
Python and torch. It leaves out what only shapes how a report looks for a
student (the public tests and their plugin, the students' stubs), so that
rewording a hint does not regrade a course.

    0.1.0-3f9a1c2b7d4e   (the package version, then 12 hex digits)
"""

from __future__ import annotations

import functools
import hashlib
import platform
from importlib import metadata
from pathlib import Path

from autograder.paths import PACKAGE, PUBLIC, SOLUTIONS

DECIDING = ("*.py", "*.toml", "*.ini", "*.json")  # the grader's code, catalogue, suites' settings, schema


def deciding_files() -> list[Path]:
    """Every file whose change can change a score, sorted."""
    files = [path for pattern in DECIDING for path in PACKAGE.rglob(pattern)]
    files = [path for path in files if PUBLIC not in path.parents and "__pycache__" not in path.parts]
    return sorted({*files, *SOLUTIONS.glob("*.py")})


def distribution(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


@functools.cache
def current() -> str:
    """This checkout's fingerprint (computed once per process: a few milliseconds)."""
    # torch's version from its metadata: importing it would cost a batch a second
    digest = hashlib.sha256(f"python {platform.python_version()} torch {distribution('torch')}\n".encode())
    for path in deciding_files():
        data = path.read_bytes()
        name = path.relative_to(PACKAGE.parent).as_posix()
        digest.update(f"{len(name)}:{name}:{len(data)}:".encode() + data)
    return f"{distribution('foundations-autograder')}-{digest.hexdigest()[:12]}"
