"""Every path of the repository the grader uses, named once.

The package sits at the repository's root, beside the reference solutions,
the students' stubs and the nbgrader sources; Gradescope unpacks the same
tree at /autograder/source, and the notebooks' kernels find it on their
PYTHONPATH. Nothing here reads the disk: these are names, not checks.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # autograder/
ROOT = PACKAGE.parent  # the repository
SOLUTIONS = ROOT / "solutions"  # the reference modules (private)
EXERCISES = ROOT / "exercises"  # the students' stubs and public tests (generated)
SOURCE = ROOT / "source"  # nbgrader's source notebooks (private)
HIDDEN = PACKAGE / "hidden"  # the hidden suites (private)
PUBLIC = PACKAGE / "public"  # the public tests, copied into exercises/
