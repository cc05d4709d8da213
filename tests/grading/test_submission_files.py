"""Submission files are read safely: regular files only, never through a link,
never blocking, never too large, never quoted back.

The reader, the notebook parser, the batch's hash and Gradescope's search are
tested directly; a handful of end-to-end gradings (a few seconds each) show
that a link, a hard link, a FIFO or an oversized file costs its own items,
with a message naming it, and that the report is complete.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder import catalogue
from autograder.grading import from_notebooks, submission_files
from autograder.grading.submission_files import MODULE_LIMIT, SubmissionFileError, read_regular
from autograder.hosts.batch import course, engines, students
from autograder.hosts.gradescope.locate import work_in
from autograder.paths import EXERCISES, ROOT, SOLUTIONS
from support import notebook_builder as nb
from support.grading_support import grade, scores

SOURCE_NOTEBOOKS = ROOT / "source" / "foundations"
QUICK = 10  # seconds: far more than any of these reads takes, far less than a stall


def within(seconds: float, call):
    """`call()`'s result, failing the test (not hanging it) if it takes longer."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def hard_link(target: Path, link: Path) -> None:
    try:
        os.link(target, link)
    except OSError as exc:  # another file system than the repository's, or not allowed
        pytest.skip(f"no hard link to {target} here: {exc.strerror}")


def refusal(path: Path, limit: int = MODULE_LIMIT) -> str:
    with pytest.raises(SubmissionFileError) as caught:
        within(QUICK, lambda: read_regular(path, limit=limit))
    assert caught.value.name == path.name
    return str(caught.value)


def items_of(*modules: str) -> list[str]:
    return [item.id for module in modules for item in catalogue.items_of(module)]


# -- the reader ----------------------------------------------------------------------------


def test_a_regular_file_is_read_whole_up_to_its_limit(tmp_path):
    (tmp_path / "a.py").write_bytes(b"x" * 100)
    assert read_regular(tmp_path / "a.py", limit=100) == b"x" * 100
    assert refusal(tmp_path / "a.py", limit=99) == "a.py is 100 bytes, over the limit of 99 bytes for this file"
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "absent.py", limit=100)


def test_too_large_names_the_size_and_the_limit(tmp_path):
    (tmp_path / "big.py").write_bytes(b"#" * (MODULE_LIMIT + 1))
    message = refusal(tmp_path / "big.py")
    assert message.startswith("big.py is 1,048,577 bytes") and "limit of 1,048,576 bytes" in message


@pytest.mark.parametrize("target, kind", [
    (SOLUTIONS / "matmul.py", "symbolic link"),
    (Path("/dev/zero"), "symbolic link"),
    (SOLUTIONS, "symbolic link"),
])
def test_a_link_is_refused_not_followed(tmp_path, target, kind):
    (tmp_path / "matmul.py").symlink_to(target)
    assert kind in refusal(tmp_path / "matmul.py")


def test_a_fifo_a_device_and_a_folder_are_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "loss.py")
    assert "FIFO" in refusal(tmp_path / "loss.py")  # an open() of it would wait for a writer
    assert "character device" in refusal(Path("/dev/zero"))  # a read() of it would never end
    (tmp_path / "neurons.py").mkdir()
    assert "is a folder" in refusal(tmp_path / "neurons.py")


def test_a_hard_link_to_a_private_file_is_refused_but_the_file_itself_is_read(tmp_path):
    reference = SOLUTIONS / "loss.py"
    assert read_regular(reference, limit=MODULE_LIMIT) == reference.read_bytes()
    hard_link(reference, tmp_path / "loss.py")
    assert "hard link to one of the grader's own files" in refusal(tmp_path / "loss.py")
    notebook = next(SOURCE_NOTEBOOKS.glob("*_loss.ipynb"))
    hard_link(notebook, tmp_path / notebook.name)
    assert "hard link" in refusal(tmp_path / notebook.name, limit=submission_files.NOTEBOOK_LIMIT)


def test_a_submission_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "folder").symlink_to(tmp_path / "real")
    (tmp_path / "nb.ipynb").symlink_to(next(SOURCE_NOTEBOOKS.glob("*.ipynb")))
    assert submission_files.submission_root(tmp_path / "real") == (tmp_path / "real").resolve()
    for link in ("folder", "nb.ipynb"):
        with pytest.raises(SubmissionFileError, match="is a symbolic link"):
            submission_files.submission_root(tmp_path / link)


def test_staging_copies_regular_module_files_and_says_why_it_refused_the_others(tmp_path):
    folder, staged = tmp_path / "submission", tmp_path / "staged"
    folder.mkdir(), staged.mkdir()
    (folder / "neurons.py").write_text("x = 1\n")
    (folder / "matmul.py").symlink_to(SOLUTIONS / "matmul.py")
    os.mkfifo(folder / "loss.py")
    refused = within(QUICK, lambda: submission_files.stage_modules(
        folder, ("neurons", "matmul", "loss", "einsum"), staged))
    assert sorted(refused) == ["loss", "matmul"]
    assert refused["matmul"].startswith("matmul.py is a symbolic link")
    assert [p.name for p in staged.iterdir()] == ["neurons.py"]
    assert (staged / "neurons.py").read_text() == "x = 1\n"
    assert submission_files.stage_modules(folder / "neurons.py", ("neurons",), staged) == {}


# -- notebooks -----------------------------------------------------------------------------


def notes_of(answers: from_notebooks.Answers) -> list[str]:
    return [note for notes in answers.notes.values() for note in notes] + answers.problems


def test_a_hidden_file_read_as_a_notebook_is_never_quoted(tmp_path):
    secret = (SOLUTIONS / "matmul.py").read_text()
    path = tmp_path / nb.file_name("matmul")
    path.write_text(secret)
    answers = from_notebooks.read_answers([path])
    (note,) = set(notes_of(answers))
    assert re.fullmatch(rf"{path.name} could not be read as a notebook: it is not valid JSON "
                        r"\(line \d+, column \d+\); its answers count as missing", note), note
    assert secret[:12] not in note and not [line for line in secret.splitlines()
                                            if len(line.strip()) > 8 and line.strip() in note]
    assert all(item_id in answers.notes for item_id in items_of("matmul"))


@pytest.mark.parametrize("grade_id", [["relu"], {"id": "relu"}, 7])
def test_a_grade_id_that_is_not_a_string_is_no_answer_cell(tmp_path, grade_id):
    notebook = nb.source_notebook("neurons")
    nb.answer_cell(notebook, "relu").metadata["nbgrader"]["grade_id"] = grade_id
    answers = from_notebooks.read_answers([nb.write(notebook, tmp_path, "neurons")])
    assert "relu" not in answers.code and "neuron" in answers.code
    assert any(f"grade_id is a {type(grade_id).__name__}, not a string" in n for n in answers.notes["relu"])


def test_malformed_cells_cost_only_themselves(tmp_path):
    notebook = json.loads(nbformat.writes(nb.source_notebook("neurons")))
    cells = {cell["metadata"].get("nbgrader", {}).get("grade_id"): cell for cell in notebook["cells"]}
    cells["relu"]["source"] = 5
    cells["dense"]["source"] = ["def dense(x, w, b):\n", 3]
    cells["transpose_tests"]["metadata"] = ["not", "a", "dict"]
    cells["neuron_tests"]["metadata"]["nbgrader"] = "nbgrader"
    notebook["cells"] += [4, "text", None]
    path = tmp_path / nb.file_name("neurons")
    path.write_text(json.dumps(notebook))
    answers = from_notebooks.read_answers([path])
    assert sorted(answers.code) == ["dense_python", "neuron", "transpose"]
    assert any("source that is not text" in n for n in answers.notes["relu"])

    path.write_text(json.dumps({**notebook, "cells": {"relu": "x"}}))
    assert any("its cells are not a list" in n for n in notes_of(from_notebooks.read_answers([path])))
    for damage in ("[1, 2]", '{"nbformat": [4]}', '{"nbformat": 3}', "[" * 100_000):
        path.write_text(damage)
        notes = notes_of(from_notebooks.read_answers([path]))
        assert any("could not be read as a notebook" in n for n in notes), damage[:20]


def test_a_link_or_fifo_among_notebooks_is_named_and_not_read(tmp_path):
    source = next(SOURCE_NOTEBOOKS.glob("*_loss.ipynb"))
    (tmp_path / source.name).symlink_to(source)
    os.mkfifo(tmp_path / nb.file_name("neurons"))
    assert from_notebooks.is_notebook_submission(tmp_path)
    answers = within(QUICK, lambda: from_notebooks.read_answers(from_notebooks.notebooks_in(tmp_path)))
    assert answers.code == {}
    assert any("symbolic link" in n for n in answers.notes["mse"])
    assert any("FIFO" in n for n in answers.notes["relu"])


def test_an_oversized_notebook_is_refused_with_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(from_notebooks, "NOTEBOOK_LIMIT", 1000)
    path = nb.write(nb.source_notebook("neurons"), tmp_path, "neurons")
    size = path.stat().st_size
    assert size > 1000
    answers = from_notebooks.read_answers([path])
    assert answers.code == {}
    assert any(f"{size:,} bytes, over the limit of 1,000" in n for n in answers.notes["relu"])


def test_a_link_among_module_files_makes_a_module_folder(tmp_path):
    nb.write(nb.source_notebook("loss"), tmp_path, "loss")
    assert from_notebooks.is_notebook_submission(tmp_path)
    (tmp_path / "loss.py").symlink_to(SOLUTIONS / "loss.py")
    assert not from_notebooks.is_notebook_submission(tmp_path)  # graded as modules: the link is refused


# -- batch and Gradescope --------------------------------------------------------------------


def test_the_batch_hash_never_opens_a_fifo_or_follows_a_link(tmp_path):
    (tmp_path / "neurons.py").write_text("x = 1\n")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "zero").symlink_to("/dev/zero")
    (tmp_path / "solutions").symlink_to(SOLUTIONS)
    first = within(QUICK, lambda: students.fingerprint(tmp_path))
    assert within(QUICK, lambda: students.fingerprint(tmp_path)) == first
    (tmp_path / "zero").unlink()
    (tmp_path / "zero").symlink_to("/dev/urandom")
    assert students.fingerprint(tmp_path) != first  # a link counts by its target's name
    os.mkfifo(tmp_path / "top.ipynb")
    assert within(QUICK, lambda: students.fingerprint(tmp_path / "top.ipynb"))


def test_the_batch_hash_reads_within_its_bounds(tmp_path, monkeypatch):
    for index in range(5):
        (tmp_path / f"file{index}").write_bytes(b"x" * 100)
    full = students.fingerprint(tmp_path)
    monkeypatch.setattr(students, "MAX_HASHED_BYTES", 250)
    reads = []
    monkeypatch.setattr(students, "read_regular", lambda path, limit: reads.append(path) or b"x" * 100)
    assert students.fingerprint(tmp_path) != full
    assert len(reads) == 2  # the rest by size and time
    monkeypatch.setattr(students, "MAX_HASHED_BYTES", 10**6)
    monkeypatch.setattr(students, "MAX_HASHED_FILES", 3)
    reads.clear()
    students.fingerprint(tmp_path)
    assert len(reads) == 3


def test_a_student_that_is_a_link_gets_an_error_without_grading(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "carol").symlink_to(SOLUTIONS)
    (tmp_path / "dave.ipynb").symlink_to(next(SOURCE_NOTEBOOKS.glob("*.ipynb")))
    (tmp_path / "stray").symlink_to(SOLUTIONS / "loss.py")  # a link to a file that is no notebook
    found = students.find_students(tmp_path)
    assert [s.name for s in found] == ["alice", "carol", "dave"]
    ran = [sys.executable, "-c", "import sys; sys.exit(7)"]  # a grading would say status 7
    for student in found[1:]:
        report = course.grade(student, students.content_hash(student), timeout=60,
                              engine=engines.Processes(ran))
        assert report["batch"]["status"] == "error", report
        assert f"{student.path.name} is a symbolic link" in report["batch"]["error"]


def test_gradescope_neither_picks_nor_enters_links(tmp_path):
    (tmp_path / "exercises").symlink_to(SOLUTIONS)
    (tmp_path / "mine").mkdir()
    for module in ("neurons", "matmul", "loss"):
        (tmp_path / "mine" / f"{module}.py").symlink_to(SOLUTIONS / f"{module}.py")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "neurons.py").write_text("")
    found = work_in(tmp_path)
    assert (found.path, found.kind) == (tmp_path / "work", "modules")


# -- end to end: the real command line -----------------------------------------------------


@pytest.fixture(scope="module")
def hostile_modules(tmp_path_factory):
    """One module each: a link to the reference, a hard link to it, a FIFO,
    an oversized file; and the reference neurons.py, which must still pass."""
    folder = tmp_path_factory.mktemp("hostile-modules")
    (folder / "neurons.py").write_text((SOLUTIONS / "neurons.py").read_text())
    (folder / "matmul.py").symlink_to(SOLUTIONS / "matmul.py")
    os.mkfifo(folder / "loss.py")
    (folder / "einsum.py").write_text((SOLUTIONS / "einsum.py").read_text() + "#" * MODULE_LIMIT)
    try:
        os.link(SOLUTIONS / "broadcasting.py", folder / "broadcasting.py")
        hard = True
    except OSError:
        hard = False
    start = time.monotonic()
    report = grade(folder, timeout=300)
    return report, time.monotonic() - start, hard


def test_refused_module_files_score_nothing_and_say_why(hostile_modules):
    report, seconds, hard = hostile_modules
    got = scores(report)
    assert seconds < 120  # the FIFO stalled nothing
    assert [i["id"] for i in report["items"]] == [i.id for i in catalogue.load()]
    assert all(got[item_id][2] == "passed" for item_id in items_of("neurons"))
    why = {"matmul": "matmul.py is a symbolic link", "loss": "loss.py is a FIFO",
           "einsum": "einsum.py is 1,05"} | ({"broadcasting": "broadcasting.py is a hard link"} if hard else {})
    for module, message in why.items():
        for item in catalogue.items_of(module):
            assert got[item.id] == (0, item.points, "error"), item.id
            (check,) = next(i["tests"] for i in report["items"] if i["id"] == item.id)
            assert check["name"] == "file" and not check["passed"] and check["message"].startswith(message)
    # The honest stub scores 0 too (tests/grading/test_grader.py): the link gains nothing.
    assert report["score"] == sum(item.points for item in catalogue.items_of("neurons"))


def test_hostile_notebooks_give_a_complete_report_that_quotes_nothing(tmp_path):
    """A link to a source notebook, a hard link to one, a FIFO, Python source
    named .ipynb, and an honest notebook whose `relu` grade_id is a list."""
    source = {module: next(SOURCE_NOTEBOOKS.glob(f"*_{module}.ipynb")) for module in ("loss", "einsum")}
    (tmp_path / source["loss"].name).symlink_to(source["loss"])
    try:
        os.link(source["einsum"], tmp_path / source["einsum"].name)
    except OSError:
        pass  # another file system: the other cases still run
    os.mkfifo(tmp_path / nb.file_name("matmul"))
    secret = (SOLUTIONS / "backprop.py").read_text()
    (tmp_path / nb.file_name("backprop")).write_text(secret)
    neurons = nb.source_notebook("neurons")
    nb.answer_cell(neurons, "relu").metadata["nbgrader"]["grade_id"] = ["relu"]
    nb.write(neurons, tmp_path, "neurons")

    report = grade(tmp_path, timeout=300)

    got = scores(report)
    assert [i["id"] for i in report["items"]] == [i.id for i in catalogue.load()]
    assert got["neuron"][2] == "passed" and got["relu"][0] == 0
    for item_id in items_of("loss", "einsum", "matmul", "backprop"):
        assert got[item_id][0] == 0, item_id
    messages = " ".join(t["message"] for i in report["items"] for t in i["tests"])
    assert "symbolic link" in messages and "FIFO" in messages and "not a string" in messages
    assert not [line for line in secret.splitlines() if len(line.strip()) > 8 and line.strip() in messages]


def test_a_path_that_is_a_link_is_a_usage_error(tmp_path):
    (tmp_path / "submission").symlink_to(SOLUTIONS)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "submission")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "is a symbolic link" in done.stderr and "Traceback" not in done.stderr


def test_a_batch_with_a_fifo_and_a_link_to_dev_zero_grades_everyone(tmp_path):
    submissions = tmp_path / "submissions"
    (submissions / "alice").mkdir(parents=True)
    (submissions / "alice" / "neurons.py").write_text((SOLUTIONS / "neurons.py").read_text())
    (submissions / "bob").mkdir()
    (submissions / "bob" / "neurons.py").write_text((EXERCISES / "neurons.py").read_text())
    os.mkfifo(submissions / "bob" / "data")
    (submissions / "bob" / "matmul.py").symlink_to("/dev/zero")
    (submissions / "carol").symlink_to(submissions / "alice")
    done = subprocess.run([sys.executable, "-m", "autograder", "batch", str(submissions),
                           "--out", str(tmp_path / "out"), "--workers", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {r["batch"]["student"]: r for r in (json.loads((tmp_path / "out" / f"{s}.json").read_text())
                                                for s in ("alice", "bob", "carol"))}
    assert rows["alice"]["score"] == sum(item.points for item in catalogue.items_of("neurons"))
    assert rows["bob"]["batch"]["status"] == "graded" and rows["bob"]["score"] == 0
    carol = rows["carol"]["batch"]
    assert carol["status"] == "error" and "symbolic link" in carol["error"]
