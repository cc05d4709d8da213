"""The public tests: solutions pass them, every stub fails them, item by item."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from autograder import catalogue
from autograder.course.stubs import make_stub
from autograder.hosts import public_run
from autograder.paths import EXERCISES, ROOT, SOLUTIONS


def statuses(summary) -> dict[str, str]:
    return {row["id"]: row["status"] for row in summary["items"]}


def test_solutions_pass_every_item():
    code, summary, output = public_run.run(SOLUTIONS, capture=True)
    assert code == 0, output
    assert set(statuses(summary).values()) == {"done"}, output
    assert summary["points"] == summary["max_points"] == 90


def test_untouched_stubs_fail_every_item_in_one_line_each():
    code, summary, output = public_run.run(EXERCISES, capture=True)
    assert code == 1
    assert set(statuses(summary).values()) == {"not started"}
    assert summary["points"] == 0
    assert "Traceback" not in output and "NotImplementedError" not in output
    assert len(output.splitlines()) < 39 + 40, output  # one line per item, plus a few
    assert "Next: neuron" in output and "Stuck? pytest --hint neuron" in output


def test_student_workflow_copy_solutions_over_exercises(tmp_path):
    """`pytest exercises` from the repository root, before and after solving."""
    folder = tmp_path / "exercises"
    shutil.copytree(EXERCISES, folder, ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "-m", "pytest", str(folder), "-q", f"--progress-json={tmp_path / 'p.json'}"]
    before = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert before.returncode == 1
    for solution in SOLUTIONS.glob("*.py"):
        shutil.copy(solution, folder / solution.name)
    after = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert after.returncode == 0, after.stdout[-3000:]
    assert json.loads((tmp_path / "p.json").read_text())["points"] == 90


def test_pytest_exercises_from_the_repository_root(tmp_path):
    progress = tmp_path / "p.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "exercises", f"--progress-json={progress}"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 1, done.stdout[-3000:]
    assert set(statuses(json.loads(progress.read_text())).values()) == {"not started"}


def test_a_module_that_does_not_import_costs_only_its_items(tmp_path):
    for solution in SOLUTIONS.glob("*.py"):
        shutil.copy(solution, tmp_path / solution.name)
    (tmp_path / "loss.py").write_text("def mse(output, targ)\n    return 0\n")
    code, summary, output = public_run.run(tmp_path, capture=True)
    assert code == 1
    for item in catalogue.load():
        expected = "failing" if item.module == "loss" else "done"
        assert statuses(summary)[item.id] == expected, output
    row = next(r for r in summary["items"] if r["id"] == "mse")
    assert row["message"].startswith("did not import: loss.py, line 1: SyntaxError"), row["message"]


def test_one_failing_item_shows_its_message_and_hint(tmp_path):
    for solution in SOLUTIONS.glob("*.py"):
        shutil.copy(solution, tmp_path / solution.name)
    source = (tmp_path / "loss.py").read_text()
    (tmp_path / "loss.py").write_text(source.replace(".pow(2).mean()", ".pow(2).sum()"))
    code, summary, output = public_run.run(tmp_path, capture=True)
    assert code == 1
    failing = [item for item, status in statuses(summary).items() if status != "done"]
    assert failing == ["mse"]
    assert "Next: mse" in output and "Stuck? pytest --hint mse" in output


@pytest.mark.parametrize("item", catalogue.load(), ids=lambda item: item.id)
def test_each_stub_fails_its_own_item_and_no_other(item, tmp_path):
    """Only the items that declare `uses` of it may be held up by a stub."""
    solution = (SOLUTIONS / f"{item.module}.py").read_text()
    (tmp_path / f"{item.module}.py").write_text(make_stub(solution, item.module, only={item.id}))
    code, summary, output = public_run.run(tmp_path, [f"test_{item.module}.py"], capture=True)
    assert code == 1
    assert statuses(summary)[item.id] == "not started", output
    for other in catalogue.items_of(item.module):
        if other.id != item.id and item.id not in other.uses:
            assert statuses(summary)[other.id] == "done", output
