"""Which grader decided a grade: a fingerprint of everything that can change one.

A report kept by a resumed batch is only as good as the grader that made
it. The fingerprint hashes what decides a score: the catalogue (items,
points), the hidden suites, the reference solutions (the speed checks time
against them), the code of the grade command, and the versions of the
package, Python and the libraries that compute or draw the checks. It
leaves out what does not decide a score (the public tests and their
plugin, the students' stubs, the hosts: batch, Gradescope, the similarity
report), so that improving a report for instructors does not regrade a
course.

    0.1.0-3f9a1c2b7d4e   (the package version, then 12 hex digits)
"""

from __future__ import annotations

import functools
import hashlib
import platform
from importlib import metadata
from pathlib import Path

from autograder.paths import PACKAGE, SOLUTIONS

# What the grade command runs: the folders whole, and the modules it imports
# from the rest (tests/grading/test_fingerprint.py checks it is all there).
# The hosts (batch, Gradescope, the similarity report), the speed ladder's
# command, the public tests and the students' stubs do not decide a score.
DECIDING_FOLDERS = ("grading", "sandbox", "hidden")
DECIDING_FILES = ("__init__.py", "__main__.py", "catalogue.py", "catalogue.toml", "cli.py", "loading.py",
                  "paths.py", "safe_text.py", "course/__init__.py", "course/generate.py",
                  "course/module_parts.py", "course/stubs.py", "report/__init__.py", "report/model.py",
                  "report/formats.py")
SUITE_FILES = ("*.py", "*.ini", "*.toml")
# Libraries whose version can change a verdict: hypothesis draws the examples,
# pytest runs the suites, torch, numpy and sympy compute the answers.
LIBRARIES = ("torch", "numpy", "sympy", "hypothesis", "pytest")


def deciding_files() -> list[Path]:
    """Every file whose change can change a score, sorted."""
    files = [PACKAGE / name for name in DECIDING_FILES]
    for folder in DECIDING_FOLDERS:
        files += [path for pattern in SUITE_FILES for path in (PACKAGE / folder).rglob(pattern)
                  if "__pycache__" not in path.parts and not any(p.startswith(".") for p in path.parts)]
    return sorted({*files, *SOLUTIONS.glob("*.py")})


def distribution(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def compute() -> str:
    """The fingerprint of what is on the disk now (a few milliseconds)."""
    # Versions from the packages' metadata: importing torch would cost a batch a second.
    versions = " ".join(f"{name} {distribution(name)}" for name in LIBRARIES)
    digest = hashlib.sha256(f"python {platform.python_version()} {versions}\n".encode())
    for path in deciding_files():
        data = path.read_bytes() if path.is_file() else b"(absent)"
        name = (f"autograder/{path.relative_to(PACKAGE).as_posix()}" if PACKAGE in path.parents
                else f"solutions/{path.name}")
        digest.update(f"{len(name)}:{name}:{len(data)}:".encode() + data)
    return f"{distribution('foundations-autograder')}-{digest.hexdigest()[:12]}"


@functools.cache
def current() -> str:
    """This process's grader: the fingerprint when it was first asked for."""
    return compute()
