"""`grade --fail-under SCORE`: a CI gate on the points, with the report still written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from autograder import catalogue
from autograder.cli import main
from autograder.grading import pipeline
from autograder.paths import ROOT, SOLUTIONS
from autograder.report.model import Report, TestResult, score_item
from autograder.sandbox import forkserver_client
from support.junit_schema import REQUIRED_BUT_ERRORS, problems


def made_up_report(points_lost_on: set[str]) -> Report:
    """Full marks except on the named items, which fail their only test."""
    return Report([score_item(item, [TestResult("test_values", item.id not in points_lost_on, "wrong")])
                   for item in catalogue.load()])


@pytest.fixture
def graded_82(monkeypatch) -> float:
    """`grade` sees a report of 82/90 (neuron, relu, dense and dense_python lost), without grading."""
    report = made_up_report({"neuron", "relu", "dense", "dense_python"})
    assert report.score == 82
    monkeypatch.setattr(pipeline, "grade", lambda folder, **options: report)
    monkeypatch.setattr(forkserver_client, "fork_server", lambda: None)  # nothing to grade for real
    return report.score


@pytest.mark.parametrize(("fail_under", "code"), [("82", 0), ("81.5", 0), ("0", 0), ("82.01", 1), ("90", 1)])
def test_exit_code_against_the_gate(graded_82, tmp_path, fail_under, code):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["grade", str(SOLUTIONS), "--format", "json",
                                       "--output", str(out), "--fail-under", fail_under])
    assert result.exit_code == code, result.output
    assert json.loads(out.read_text())["score"] == graded_82  # written either way


def test_below_the_gate_says_so_after_the_report(graded_82):
    result = CliRunner().invoke(main, ["grade", str(SOLUTIONS), "--format", "markdown", "--fail-under", "85"])
    assert result.exit_code == 1
    assert result.output.startswith("## Points 82/90")
    assert "Points 82 are below --fail-under 85." in result.output


@pytest.mark.parametrize("fail_under", ["-1", "many", "90.5"])
def test_a_bad_gate_is_a_usage_error_before_grading(monkeypatch, fail_under):
    monkeypatch.setattr(pipeline, "grade", lambda folder, **options: pytest.fail("graded despite a usage error"))
    result = CliRunner().invoke(main, ["grade", str(SOLUTIONS), "--fail-under", fail_under])
    assert result.exit_code == 2
    assert "--fail-under" in result.output and "Traceback" not in result.output


def test_the_real_grader_under_the_gate(tmp_path):
    """One real grading: only neurons.py (10 of 90 points) against a gate of 10.5."""
    shutil.copy(SOLUTIONS / "neurons.py", tmp_path / "neurons.py")
    out = tmp_path / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(tmp_path), "--format", "junit",
         "--output", str(out), "--fail-under", "10.5"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Points 10 are below --fail-under 10.5." in done.stderr
    assert problems(out.read_text(), REQUIRED_BUT_ERRORS) == []  # written, and JUnit XML
