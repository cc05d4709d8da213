"""Write sandbox scores into nbgrader's gradebook, through nbgrader's own API.

`nbgrader autograde` scores a hidden test cell by what the cell printed and
returned inside the student's kernel, where the student's code ran first and
could forge both. This module grades the submitted notebooks again in the
sandbox (autograder.grading.from_notebooks) and sets each `<item id>_tests` grade
to that score, so formgrader, `nbgrader export` and `nbgrader
generate_feedback` show grades student code cannot forge.

The score goes into `auto_score`, the field nbgrader's autograder owns:
`manual_score` belongs to the people grading in formgrader and overrides
`auto_score` wherever they set one (api.Grade.score), so a human decision is
never overwritten. Manually graded cells (`<item id>_why`) are left alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.grading import from_notebooks, pipeline

TESTS_SUFFIX = "_tests"  # grade_id of an item's hidden test cell: <item id>_tests


@dataclass
class StudentResult:
    student: str
    score: float = 0.0  # sandbox points written, out of max_score
    max_score: float = 0.0
    written: int = 0  # grades set
    changes: list[str] = field(default_factory=list)  # "relu: 2 -> 0"
    messages: list[str] = field(default_factory=list)
    ok: bool = True  # False: nothing could be written for this student


def course_directory(root: Path, db_url: str | None) -> CourseDirectory:
    """nbgrader's view of the course: its nbgrader_config.py if any, the root,
    and the database (`db_url` first, then the config, then nbgrader's default)."""
    config = Config()
    if (root / "nbgrader_config.py").is_file():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(root.resolve())
    if db_url:
        coursedir.db_url = db_url
    return coursedir


def database_exists(db_url: str) -> bool:
    """False for an sqlite file that is not there (Gradebook would create an empty one)."""
    prefix = "sqlite:///"
    return not db_url.startswith(prefix) or Path(db_url.removeprefix(prefix)).is_file()


def submitted_students(gb: Gradebook, assignment: str) -> list[str]:
    return sorted(submission.student.id for submission in gb.find_assignment(assignment).submissions)


def update_student(gb: Gradebook, coursedir: CourseDirectory, assignment: str,
                   student: str) -> StudentResult:
    """Grade one student's submitted notebooks in the sandbox and set their test grades."""
    result = StudentResult(student)
    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        result.ok = False
        result.messages.append(f"no submission of '{assignment}' by '{student}' in the gradebook "
                               "(run `nbgrader autograde` first)")
        return result
    folder = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    if folder.is_symlink():
        result.ok = False
        result.messages.append(f"{folder} is a symbolic link; links are not followed")
        return result
    records = {notebook.name: notebook for notebook in submission.notebooks}
    paths = [folder / f"{name}.ipynb" for name in sorted(records)]
    # Whatever stands under a notebook's name is graded: a link or a FIFO is
    # refused when read (from_notebooks.py), with a note, and scores nothing.
    present = [path for path in paths if os.path.lexists(path)]
    for path in paths:
        if path not in present:
            result.messages.append(f"{path.name}: not submitted (nbgrader gave its tests 0)")
    for path in sorted(folder.glob("*.ipynb")):
        if path.stem not in records:
            result.messages.append(f"{path.name}: skipped, the gradebook has no record of it "
                                   f"in '{assignment}'")
    if not present:
        result.ok = False
        result.messages.append(f"no submitted notebook found in {folder}")
        return result
    report = pipeline.grade_notebooks(present)
    result.messages += report.notes
    scores = {item.id: item for item in report.items}
    for item in report.items:
        result.messages += [f"{item.id}: {t.message}" for t in item.tests
                            if t.name == from_notebooks.NOTE]
    for name in sorted(records):
        if folder / f"{name}.ipynb" not in present:
            continue
        for grade in records[name].grades:
            item_id = grade.name.removesuffix(TESTS_SUFFIX)
            if not grade.name.endswith(TESTS_SUFFIX) or item_id not in scores:
                continue  # not one of our test cells: a manually graded answer, say
            set_auto_score(grade, scores[item_id].score, result)
    gb.db.commit()
    return result


def set_auto_score(grade, score: float, result: StudentResult) -> None:
    """Our score replaces the kernel's auto_score; a manual score stays in charge."""
    score = min(float(score), float(grade.max_score))
    if grade.auto_score is None or abs(grade.auto_score - score) > 1e-9:
        before = "none" if grade.auto_score is None else f"{grade.auto_score:g}"
        result.changes.append(f"{grade.name}: {before} -> {score:g}")
    grade.auto_score = score
    if grade.manual_score is None:
        grade.needs_manual_grade = False
    result.written += 1
    result.score += score
    result.max_score += float(grade.max_score)


def update(coursedir: CourseDirectory, assignment: str, students: tuple[str, ...] = ()):
    """Yield a StudentResult per student (the named ones, or all with a submission)."""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        gb.find_assignment(assignment)  # MissingEntry: the caller says so
        for student in students or submitted_students(gb, assignment):
            yield update_student(gb, coursedir, assignment, student)
