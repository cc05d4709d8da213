"""Kept for notebooks released before the grader's folders were reorganised
(December 2026): their hidden test cells, which nbgrader's gradebook keeps,
import `autograder.notebook`. The kernel's side of grading is
autograder/hosts/notebook_kernel.py."""

from autograder.hosts.notebook_kernel import grade_item, graded_score  # noqa: F401
