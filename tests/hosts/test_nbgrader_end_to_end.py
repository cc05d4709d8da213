"""The instructor's path with the real nbgrader, end to end, in a temporary course.

release -> four submissions -> `nbgrader autograde` -> `python -m autograder
gradebook` -> `nbgrader generate_feedback` -> `nbgrader export`, the commands
of README.md's instructor workflow, run as written there (from the course
folder). The course itself is made by `notebook_release.build`, which is what
`python -m autograder notebooks` does for the repository (its own tests are
in test_notebook_source.py).

Submissions:
- `reference`: every notebook with the reference answers: full marks.
- `untouched`: the released 01_neurons as is: nothing.
- `mixed`: 01_neurons with relu and transpose wrong, the test cell of dense
  deleted, those of neuron and transpose replaced by `pass`: nbgrader
  restores the test cells, so neuron and dense keep their points and the
  wrong answers get partial credit at most (never passed silently).
- `looping`: 01_neurons whose relu cell never ends: stopped by the cell
  timeout, relu gets nothing, the other students are graded all the same.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import catalogue
from autograder.course import notebook_release
from autograder.paths import ROOT

ASSIGNMENT = "foundations"
NEURONS = "01_neurons.ipynb"


ACTIVATE = "source .venv/bin/activate"


def readme_workflow() -> list[str]:
    """The commands of README.md's block that follows the 'instructor-workflow' marker."""
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- instructor-workflow -->", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    # Activating the environment puts its scripts first on PATH: do that for every command.
    scripts = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")])}
    return subprocess.run(command, shell=True, executable="/bin/bash", cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=1500)


def grade_ids(notebook) -> dict[str, nbformat.NotebookNode]:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})}


def with_reference_answers(released: Path, source: Path):
    """The released notebook with the source's answer cells, markers removed."""
    notebook = nbformat.read(released, as_version=4)
    answers = grade_ids(nbformat.read(source, as_version=4))
    for grade_id, cell in grade_ids(notebook).items():
        if cell.cell_type == "code" and cell.metadata["nbgrader"].get("solution"):
            cell.source = "\n".join(line for line in answers[grade_id].source.splitlines()
                                    if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return notebook


def mixed(notebook):
    cells = grade_ids(notebook)
    cells["relu"].source = "def relu(x):\n    return x\n\ndef relu_scalar(x):\n    return x\n"
    cells["transpose"].source = "def transpose(m):\n    return m.clone()\n"
    cells["neuron_tests"].source = "pass"
    cells["transpose_tests"].source = "pass"
    notebook.cells.remove(cells["dense_tests"])
    return notebook


def looping(notebook):
    grade_ids(notebook)["relu"].source = "import time\nwhile True:\n    time.sleep(1)\n"
    return notebook


def submit(course: Path, student: str, notebooks: dict[str, nbformat.NotebookNode]) -> None:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    for name, notebook in notebooks.items():
        nbformat.write(notebook, folder / name)
    (folder / "timestamp.txt").write_text("2026-11-22 10:00:00.000000 UTC")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = notebook_release.build(tmp_path_factory.mktemp("course"))
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    release, source = course / "release" / ASSIGNMENT, course / "source" / ASSIGNMENT
    names = sorted(path.name for path in release.glob("*.ipynb"))
    submit(course, "reference", {name: with_reference_answers(release / name, source / name) for name in names})
    submit(course, "untouched", {NEURONS: nbformat.read(release / NEURONS, as_version=4)})
    submit(course, "mixed", {NEURONS: mixed(with_reference_answers(release / NEURONS, source / NEURONS))})
    submit(course, "looping", {NEURONS: looping(with_reference_answers(release / NEURONS, source / NEURONS))})
    return course


def cell_scores(course: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        return {grade.name: grade.score for notebook in submission.notebooks for grade in notebook.grades}


def test_the_readme_workflow_grades_a_course_with_nbgrader(course):
    commands = readme_workflow()
    assert any("nbgrader autograde" in c for c in commands) and any("autograder gradebook" in c for c in commands)
    assert commands[0] == ACTIVATE
    for command in commands[1:]:
        done = run(command, course)
        assert done.returncode == 0, f"`{command}` failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"

    with open(course / "grades.csv", newline="") as table:
        raw = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(table)}
    manual = sum(1 for item in catalogue.load() if item.why)  # the 'why' cells wait for a person
    assert raw["reference"] == 90, f"the reference got {raw['reference']} (hand-graded cells: {manual})"
    assert raw["untouched"] == 0

    scores = cell_scores(course, "mixed")
    kept = {"neuron_tests": 2, "dense_tests": 2, "dense_python_tests": 2}
    assert {name: scores[name] for name in kept} == kept, "tampered test cells must be restored"
    assert scores["relu_tests"] < 2 and scores["transpose_tests"] < 2, "a wrong answer passed"
    assert raw["mixed"] == pytest.approx(sum(scores.values()))

    looping_scores = cell_scores(course, "looping")
    assert looping_scores["relu_tests"] == 0
    assert (course / "autograded" / "looping" / ASSIGNMENT / NEURONS).is_file()

    feedback = (course / "feedback" / "mixed" / ASSIGNMENT / NEURONS.replace(".ipynb", ".html")).read_text()
    relu = catalogue.by_id()["relu"]
    assert re.search(r"relu: [0-9.]+/2 points", feedback), "the grader's per-item result is in the feedback"
    assert re.sub(r"\s+", " ", relu.hint.split("`")[0]).strip()[:30] in re.sub(r"\s+", " ", feedback)

