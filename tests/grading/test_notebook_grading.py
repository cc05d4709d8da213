"""Notebooks graded in the sandbox: the same scores as modules, robust to damage,
written into nbgrader's gradebook, and `grade_item` inside a real kernel.

Every grading here is expensive (a sandbox per module), so each runs once per
module-scoped fixture and the damaged submission carries one kind of damage
per module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest
from filelock import FileLock
from nbclient import NotebookClient
from nbformat.v4 import new_notebook
from nbgrader.api import Gradebook
from nbgrader.utils import determine_grade
from sqlalchemy.exc import SAWarning

from autograder import catalogue
from autograder.grading import from_notebooks, pipeline
from autograder.paths import ROOT, SOLUTIONS
from support import notebook_builder as nb
from support.grading_support import grade, scores

DAMAGED = ("neurons", "broadcasting", "initialization", "loss", "backprop")


def once(tmp_path_factory, worker_id: str, name: str, build) -> Path:
    """A folder that `build` fills once per test session, however many xdist
    workers ask for it (pytest-xdist's recipe for sharing a costly fixture)."""
    base = tmp_path_factory.getbasetemp()
    shared = (base if worker_id == "master" else base.parent) / name
    with FileLock(f"{shared}.lock"):
        if not (shared / "built").exists():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            build(shared)
            (shared / "built").touch()
    return shared


def items_of(*modules: str) -> set[str]:
    return {item.id for module in modules for item in catalogue.items_of(module)}


def notes(report: dict, item_id: str) -> list[str]:
    item = next(i for i in report["items"] if i["id"] == item_id)
    return [t["message"] for t in item["tests"] if t["name"] == from_notebooks.NOTE]


# -- the reference and the untouched notebooks ------------------------------------------


@pytest.fixture(scope="module")
def reference_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    for module in catalogue.modules():
        nb.write(nb.source_notebook(module), folder, module)
    return grade(folder)


def test_reference_notebooks_get_full_marks_on_every_item(reference_report):
    """What grading solutions/ gives (tests/grading/test_grader.py proves it; one full
    grading fewer here): every item passed, 90/90, in catalogue order."""
    assert reference_report["score"] == reference_report["max_score"] == 90
    assert list(scores(reference_report).items()) == \
        [(item.id, (item.points, item.points, "passed")) for item in catalogue.load()]
    assert all(item["tests"] for item in reference_report["items"])


# -- one damaged submission, one kind of damage per module ------------------------------


def set_answer(notebook, item_id: str, code: str) -> None:
    nb.answer_cell(notebook, item_id).source = code


@pytest.fixture(scope="module")
def damaged(tmp_path_factory, worker_id):
    folder = once(tmp_path_factory, worker_id, "damaged", build_damaged)
    return json.loads((folder / "report.json").read_text())


def build_damaged(folder: Path) -> None:
    """One kind of damage per module, all graded in one go."""
    submission = folder / "submission"
    neurons = nb.source_notebook("neurons")  # a wrong answer
    set_answer(neurons, "relu", "def relu_scalar(x):\n    return x\n\n\ndef relu(x):\n    return x * 1.0\n")
    nb.write(neurons, submission, "neurons")

    loss = nb.source_notebook("loss")  # a forged setup cell and a deleted answer cell
    nb.answer_cell(loss, "loss_setup").source = "raise SystemExit('the setup is mine now')"
    loss.cells.remove(nb.answer_cell(loss, "squeeze_last"))
    nb.write(loss, submission, "loss")

    broadcasting = nb.source_notebook("broadcasting")  # a duplicate and a syntax error
    right = nb.answer_cell(broadcasting, "all_greater")
    wrong = nbformat.from_dict(json.loads(json.dumps(right)))
    wrong.source, wrong.id = "def all_greater(a, b):\n    return False\n", "wrong-all-greater"
    broadcasting.cells.insert(broadcasting.cells.index(right), wrong)
    set_answer(broadcasting, "to_python", "def to_python(t):\n    return t.item(\n")
    nb.write(broadcasting, submission, "broadcasting")

    nb.write(nb.stub_notebook("backprop"), submission, "backprop")  # untouched stubs
    (submission / nb.file_name("initialization")).write_text("{ this is not JSON")
    nbformat.write(new_notebook(), submission / "scratch.ipynb")  # no known grade_id
    (folder / "report.json").write_text(json.dumps(grade(submission)))


def test_damage_costs_only_the_items_it_touches(damaged):
    got = scores(damaged)
    full = {item.id: (item.points, item.points, "passed") for item in catalogue.load()}
    touched = {"relu", "squeeze_last", "to_python"} | items_of("backprop", "initialization")
    for item_id in items_of(*DAMAGED) - touched:
        assert got[item_id] == full[item_id], item_id
    for item_id in touched:
        assert got[item_id][0] < full[item_id][0], item_id
    for item_id in items_of(*catalogue.modules()) - items_of(*DAMAGED):
        assert got[item_id] == (0, full[item_id][1], "missing"), item_id


def test_stub_answers_score_nothing(damaged):
    assert {item_id: scores(damaged)[item_id][0] for item_id in items_of("backprop")} == \
        dict.fromkeys(items_of("backprop"), 0)


def test_each_damage_is_named_on_its_own_item(damaged):
    assert any("no answer cell `squeeze_last`" in n for n in notes(damaged, "squeeze_last"))
    assert any("not valid Python" in n for n in notes(damaged, "to_python"))
    assert any("appears 2 times" in n for n in notes(damaged, "all_greater"))
    for item_id in items_of("initialization"):
        assert any("could not be read as a notebook" in n for n in notes(damaged, item_id))
    assert not notes(damaged, "relu") and not notes(damaged, "mse")


def test_an_invalid_notebook_alone_gives_a_complete_report(tmp_path):
    path = tmp_path / nb.file_name("loss")
    path.write_text('{"cells": [')
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--format", "json",
                           "--output", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    report = json.loads(out.read_text())
    assert [i["id"] for i in report["items"]] == [i.id for i in catalogue.load()]
    assert {i["status"] for i in report["items"]} == {"missing"}
    assert all(notes(report, item_id) for item_id in items_of("loss"))


def test_a_note_on_no_item_is_told_to_the_grader_not_written_in_the_report(tmp_path):
    """A notebook named after no module whose cells answer nothing concerns no
    item: the command line says so on stderr (the name cleaned: it is the
    student's) and the report stays in the SPEC's format."""
    (tmp_path / "my\x1b[31mnotes.ipynb").write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}')
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path), "--format", "json",
                           "--output", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    note = next(line for line in done.stderr.splitlines() if line.startswith("note: "))
    assert "holds no answer cell" in note and "\x1b" not in note
    report = json.loads(out.read_text())
    assert set(report) == {"score", "max_score", "items"}
    assert {i["status"] for i in report["items"]} == {"missing"}


def test_a_folder_with_module_files_is_graded_as_modules(tmp_path):
    nb.write(nb.source_notebook("loss"), tmp_path, "loss")
    assert from_notebooks.is_notebook_submission(tmp_path)
    (tmp_path / "loss.py").write_text((SOLUTIONS / "loss.py").read_text())
    assert not from_notebooks.is_notebook_submission(tmp_path)


def test_unknown_modules_are_refused():
    with pytest.raises(ValueError, match="nonsense"):
        pipeline.grade(SOLUTIONS, modules=("nonsense",))


# -- nbgrader: the gradebook command and grade_item in a kernel -------------------------


LOSS = nb.file_name("loss").removesuffix(".ipynb")
NEURONS = nb.file_name("neurons").removesuffix(".ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory, worker_id):
    """(course folder, the command's result, alice's grades after it)."""
    root = once(tmp_path_factory, worker_id, "course", build_course)
    result = json.loads((root / "result.json").read_text())
    grades = {(notebook, name): (auto, manual) for notebook, name, auto, manual in result.pop("grades")}
    return root, result, grades


def build_course(root: Path) -> None:
    """A course after `nbgrader autograde`: alice submitted a loss notebook
    with a wrong mse; then the gradebook command runs."""
    submitted = root / "submitted" / "alice" / "foundations"
    loss = nb.source_notebook("loss")
    answer = nb.answer_cell(loss, "mse")
    answer.source = answer.source.replace("return (", "return 2 * (", 1)
    assert "return 2 * (" in answer.source
    nb.write(loss, submitted, "loss")
    nbformat.write(new_notebook(), submitted / "extra.ipynb")
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    with pytest.MonkeyPatch.context() as patch:
        # a new gradebook runs the `alembic` command by name: find the one beside our Python
        patch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission autoflushes
            make_gradebook(db_url)
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "gradebook", "--course-dir", str(root), "--db", db_url,
         "--student", "alice", "--student", "bob"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    with Gradebook(db_url) as gb:
        grades = [(notebook.name, g.name, g.auto_score, g.manual_score)
                  for notebook in gb.find_submission("foundations", "alice").notebooks
                  for g in notebook.grades]
    (root / "result.json").write_text(json.dumps(
        {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr, "grades": grades}))


def make_gradebook(db_url: str) -> None:
    """What generate_assignment and autograde leave behind, with kernel scores the
    sandbox disagrees with: a forged full mark, and a 0 (a kernel that timed out)."""
    with Gradebook(db_url) as gb:
        gb.add_assignment("foundations")
        for notebook, cells in ((LOSS, ("mse", "squeeze_last")), (NEURONS, ("neuron",))):
            gb.add_notebook(notebook, "foundations")
            for item_id in cells:
                gb.add_grade_cell(f"{item_id}_tests", notebook, "foundations", cell_type="code",
                                  max_score=catalogue.by_id()[item_id].points)
        gb.add_grade_cell("mse_why", LOSS, "foundations", cell_type="markdown", max_score=1)
        gb.add_student("alice")
        gb.add_student("bob")
        gb.add_submission("foundations", "alice")
        gb.find_grade("mse_tests", LOSS, "foundations", "alice").auto_score = 2.0
        gb.find_grade("squeeze_last_tests", LOSS, "foundations", "alice").auto_score = 0.0
        gb.find_grade("mse_why", LOSS, "foundations", "alice").manual_score = 0.5
        gb.db.commit()


def test_gradebook_gets_the_sandbox_scores(course):
    _, done, grades = course
    mse, _ = grades[LOSS, "mse_tests"]
    assert 0 < mse < 2, done["stdout"] + done["stderr"]
    assert grades[LOSS, "squeeze_last_tests"] == (1.0, None)
    assert grades[LOSS, "mse_why"] == (None, 0.5)  # graded by hand: left alone
    assert grades[NEURONS, "neuron_tests"] == (None, None)  # not submitted: left to nbgrader
    assert "alice: " in done["stdout"] and "mse_tests: 2 -> " in done["stdout"]
    assert "squeeze_last_tests: 0 -> 1" in done["stdout"]


def test_gradebook_names_what_it_could_not_grade(course):
    _, done, _ = course
    assert done["returncode"] == 1 and "Traceback" not in done["stderr"]
    assert "no submission of 'foundations' by 'bob'" in done["stderr"]
    assert f"{NEURONS}.ipynb: not submitted" in done["stderr"]
    assert "extra.ipynb: skipped" in done["stderr"]


def test_grade_item_in_a_kernel_prints_to_stdout_and_scores_like_the_gradebook(course):
    """The student's notebook run as nbgrader runs it: in its own folder, the
    test cells' last value (the recorded score) is nbgrader's partial credit."""
    root, _, grades = course
    folder = root / "submitted" / "alice" / "foundations"
    notebook = nbformat.read(folder / nb.file_name("loss"), as_version=4)
    nb.answer_cell(notebook, "loss_checks").source = \
        "from autograder.hosts.notebook_kernel import graded_score as check"  # what nbchecks.check returns
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    for item_id in ("mse", "squeeze_last"):
        cell = nb.answer_cell(notebook, f"{item_id}_tests")
        streams = {output.get("name") for output in cell.outputs if output.output_type == "stream"}
        assert streams == {"stdout"}, cell.outputs
        assert determine_grade(cell)[0] == grades[LOSS, f"{item_id}_tests"][0]
    text = "".join(o.get("text", "") for o in nb.answer_cell(notebook, "mse_tests").outputs)
    assert "wrong values" in text and f"Hint: {catalogue.by_id()['mse'].hint}" in text


def test_a_message_cites_the_answer_cell_not_the_module_file(tmp_path):
    """A notebook's student has no neurons.py: the line is one of their cell's."""
    relu = "def relu_scalar(x):\n    return x\n\n\ndef relu(x):\n    raise ValueError\n"
    answers = from_notebooks.Answers(code={"relu": relu})
    from_notebooks.write_modules(answers, tmp_path)
    first, last, item = answers.cells["neurons"][0]
    assert item == "relu"
    message = f"raised ValueError at neurons.py:{first + 5}: raise ValueError"
    assert from_notebooks.in_cells(message, answers) == "raised ValueError at cell relu, line 6: raise ValueError"
    assert from_notebooks.in_cells("neurons.py:1: import torch", answers) == "neurons.py:1: import torch"
