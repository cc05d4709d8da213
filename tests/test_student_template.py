"""The students' repository: its layout, requirements, workflow and annotations."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autograder import annotations, catalogue, student_template
from autograder import generate as generator
from autograder.cli import main
from autograder.report import ItemResult, Report, TestResult, to_json, to_markdown
from conftest import ROOT, SOLUTIONS
from leaks import find_leaks

BIN = Path(sys.executable).parent
LINTERS = {
    "check-jsonschema": [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"],
    "zizmor": [str(BIN / "zizmor"), "--offline"],
}
WORKFLOW = student_template.WORKFLOW
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
TOKEN_SHAPES = re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student") / "template"
    result = invoke("student-template", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def workflow(template) -> dict:
    return yaml.safe_load((template / WORKFLOW).read_text())


def steps(workflow: dict) -> list[dict]:
    return workflow["jobs"]["grade"]["steps"]


# -- layout -----------------------------------------------------------------------------


def test_layout_is_exercises_readme_requirements_and_workflow(template):
    files = {p.relative_to(template).as_posix() for p in template.rglob("*") if p.is_file()}
    expected = {"README.md", ".gitignore", "requirements.txt", WORKFLOW.as_posix()}
    expected |= {f"exercises/{name}" for name in generator.expected_files()}
    assert files == expected
    assert generator.stale_files(template / "exercises") == []


def test_building_again_changes_nothing(template):
    assert student_template.build(template) == []


def test_refuses_a_folder_with_files_it_does_not_own(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "matmul.py").write_text("")
    result = invoke("student-template", str(tmp_path))
    assert result.exit_code == 1
    assert "solutions" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "exercises").exists()


def test_template_leaks_nothing(template):
    assert find_leaks(template) == []
    private = {"solutions", "hidden", "autograder"}
    assert not [p for p in template.rglob("*") if private & set(p.relative_to(template).parts)]


# -- the public tests in the template -------------------------------------------------------


def test_public_tests_run_and_fail_item_by_item(template, tmp_path):
    """Stubs fail every item separately; one solved module passes just its items."""
    shutil.copytree(template / "exercises", tmp_path / "exercises")
    shutil.copy(SOLUTIONS / "neurons.py", tmp_path / "exercises" / "neurons.py")
    progress = tmp_path / "progress.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "exercises", "-q", "--progress-json", str(progress)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {row["id"]: row for row in json.loads(progress.read_text())["items"]}
    for item in catalogue.load():
        assert rows[item.id]["tests"] > 0, item.id
        expected = "done" if item.module == "neurons" else "not started"
        assert rows[item.id]["status"] == expected, (item.id, rows[item.id])


# -- requirements ---------------------------------------------------------------------------


def pinned(template) -> dict[str, Requirement]:
    lines = (template / "requirements.txt").read_text().splitlines()
    requirements = [Requirement(line) for line in lines if line and not line.startswith(("#", "--"))]
    return {canonicalize_name(r.name): r for r in requirements}


def test_requirements_are_exact_pins_from_constraints(template):
    constraints = student_template.constraints()
    pins = pinned(template)
    for name, requirement in pins.items():
        (specifier,) = requirement.specifier
        assert specifier.operator == "==" and requirement.marker is None, requirement
        assert str(requirement) == constraints[name]
    assert {"torch", "numpy", "sympy", "pytest", "mpmath", "pluggy"} <= pins.keys()
    assert not {"hypothesis", "click", "nbgrader", "rich", "jsonschema"} & pins.keys()


def test_requirements_are_closed_under_dependencies(template):
    import importlib.metadata as metadata

    pins = pinned(template)
    for name in pins:
        for line in metadata.requires(name) or []:
            need = Requirement(line)
            if need.marker is None or need.marker.evaluate({"extra": ""}):
                wanted = canonicalize_name(need.name)
                assert wanted in pins or wanted in student_template.INSTALLER_TOOLS, (name, line)


def test_cpu_index_for_torch_is_named(template):
    lines = (template / "requirements.txt").read_text().splitlines()
    assert f"--extra-index-url {student_template.CPU_INDEX}" in lines
    assert student_template.CPU_INDEX in (template / "README.md").read_text()


# -- the workflow ---------------------------------------------------------------------------


@pytest.mark.parametrize("linter", sorted(LINTERS))
def test_workflow_lints_clean(template, linter):
    done = subprocess.run([*LINTERS[linter], str(template / WORKFLOW)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


BREAKAGES = {
    # a job with nowhere to run is not a workflow
    "check-jsonschema": ("    runs-on: ubuntu-24.04\n", ""),
    # an attacker-controlled commit message spliced into a shell script
    "zizmor": ('mkdir -p "$RUNNER_TEMP/grading"',
               'echo "${{ github.event.head_commit.message }}"'),
}


@pytest.mark.parametrize("linter", sorted(BREAKAGES))
def test_linters_reject_a_broken_workflow(template, tmp_path, linter):
    old, new = BREAKAGES[linter]
    text = (template / WORKFLOW).read_text()
    assert old in text
    broken = tmp_path / "grade.yml"
    broken.write_text(text.replace(old, new))
    done = subprocess.run([*LINTERS[linter], str(broken)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0, done.stdout + done.stderr


def test_workflow_grades_with_the_private_grader(workflow):
    checkouts = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@")]
    grader = next(s["with"] for s in checkouts if s.get("with", {}).get("path") == "grader")
    # an unset variable would make actions/checkout fetch the student's own repository
    guard = next(i for i, s in enumerate(steps(workflow)) if "GRADER_REPOSITORY" in s.get("env", {}))
    assert guard < steps(workflow).index(checkouts[-1]) and "exit 1" in steps(workflow)[guard]["run"]
    assert grader["repository"] == "${{ vars.GRADER_REPOSITORY }}"
    assert grader["token"] == "${{ secrets.GRADER_TOKEN }}"
    assert all(s["with"]["persist-credentials"] is False for s in checkouts)
    scripts = "\n".join(s.get("run", "") for s in steps(workflow))
    assert 'python -m autograder grade "$GITHUB_WORKSPACE/exercises"' in scripts
    assert '--format markdown >> "$GITHUB_STEP_SUMMARY"' in scripts
    assert "-c constraints.txt" in scripts and student_template.CPU_INDEX in scripts
    setup = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip"


def test_every_action_is_pinned_by_commit(workflow):
    uses = [s["uses"] for s in steps(workflow) if "uses" in s]
    assert uses and all(SHA_PIN.match(u) for u in uses), uses


def test_annotation_pages_cover_every_item(workflow):
    pages = sorted(
        int(m.group(1)) for s in steps(workflow)
        if (m := re.search(r"autograder annotate .* --page (\d+)$", s.get("run", "").strip()))
    )
    assert pages == list(range(1, math.ceil(len(catalogue.load()) / annotations.PAGE_SIZE) + 1))


def test_reports_are_uploaded_as_artifacts(workflow):
    upload = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact@"))
    paths = upload["with"]["path"].splitlines()
    assert {Path(p).name for p in paths} == {"report.json", "report.xml"}


def test_workflow_holds_no_secret(template):
    text = (template / WORKFLOW).read_text()
    assert TOKEN_SHAPES.search(text) is None
    assert re.findall(r"secrets\.\w+", text) == ["secrets.GRADER_TOKEN"]


# -- annotate and render ---------------------------------------------------------------------


def sample_report() -> Report:
    """Every status, with messages that need escaping."""
    statuses = ("passed", "partial", "failed", "missing", "error", "timeout")
    items = []
    for number, item in enumerate(catalogue.load()):
        status = statuses[number % len(statuses)]
        passed = status == "passed"
        score = item.points if passed else (item.points / 2 if status == "partial" else 0.0)
        tests = [TestResult("values", passed, "" if passed else f"got 1, 100%\nexpected: 2, {item.id}")]
        items.append(ItemResult(item.id, score, float(item.points), status, tests))
    return Report(items)


@pytest.fixture
def report_file(tmp_path) -> Path:
    path = tmp_path / "report.json"
    path.write_text(to_json(sample_report()))
    return path


def test_annotate_prints_one_error_per_failing_item(report_file):
    result = invoke("annotate", str(report_file))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(line.startswith("::error file=exercises/") for line in lines), lines[:3]
    items = catalogue.by_id()
    for item in sample_report().items:
        mine = [line for line in lines if f"title={item.id}%3A " in line]
        assert len(mine) == (0 if item.status == "passed" else 1), (item.id, mine)
        if mine:
            assert f"file=exercises/{items[item.id].module}.py," in mine[0]
            # the message is one line (report.TestResult cleans it); the hint is ours
            assert f"100%25 expected: 2, {item.id}%0AHint: " in mine[0]


def test_annotate_pages_split_the_same_lines(report_file):
    everything = invoke("annotate", str(report_file)).output.splitlines()
    pages = [invoke("annotate", str(report_file), "--page", str(n)).output.splitlines()
             for n in range(1, 6)]
    assert all(len(page) <= annotations.PAGE_SIZE for page in pages)
    assert sum(pages, []) == everything and pages[-1] == []


def test_escaping_follows_githubs_rules():
    assert annotations.escape_data("50%\r\nnext: a, b") == "50%25%0D%0Anext: a, b"
    assert annotations.escape_property("50%\nnext: a, b") == "50%25%0Anext%3A a%2C b"


def test_render_writes_the_same_report_in_another_format(report_file):
    result = invoke("render", str(report_file), "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.output == to_markdown(sample_report())
    report = sample_report()
    assert result.output.startswith(f"## Points {report.score:g}/{report.max_score:g}")


@pytest.mark.parametrize("command", ["annotate", "render"])
@pytest.mark.parametrize("content", ["not json", '{"items": [{"id": "relu"}]}'])
def test_a_file_that_is_not_a_report_gets_a_clear_message(tmp_path, command, content):
    bad = tmp_path / "report.json"
    bad.write_text(content)
    result = invoke(command, str(bad))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "report" in result.output
    assert not isinstance(result.exception, (KeyError, ValueError, TypeError))
