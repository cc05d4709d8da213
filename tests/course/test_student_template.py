"""The students' repository: its layout, requirements, workflow and annotations.

Its workflow runs the public tests and holds no secret; its steps are run
here for real, on a real `pytest exercises` run, with hostile messages.
"""

from __future__ import annotations

import json
import math
import os
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

from autograder import catalogue
from autograder.cli import main
from autograder.course import generate as generator, student_template
from autograder.course.student.progress_report import PAGE_SIZE
from autograder.paths import SOLUTIONS
from autograder.report import annotations
from autograder.report.formats import to_json, to_markdown
from autograder.report.model import ItemResult, Report, TestResult
from support.leaks import find_leaks
from support.workflows import LINTERS, SHA_PIN, TOKEN_SHAPES, lint, triggers, uses

WORKFLOW = student_template.WORKFLOW
SCRIPT = student_template.PROGRESS_REPORT
NEURONS = catalogue.items_of("neurons")
# A failure message a student's code could raise: a forged workflow command,
# terminal colours, HTML, a link, a mention, a bidirectional override.
HOSTILE = "50% done ::warning::forged \x1b[31m<b>bold</b> | [link](https://evil.example) @someone \u202eevil"


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
    return workflow["jobs"]["public-tests"]["steps"]


# -- layout -----------------------------------------------------------------------------


def test_layout_is_exercises_readme_requirements_and_workflow(template):
    files = {p.relative_to(template).as_posix() for p in template.rglob("*") if p.is_file()}
    expected = {"README.md", ".gitignore", "requirements.txt", WORKFLOW.as_posix(), SCRIPT.as_posix(),
                SCRIPT.with_name("safe_text.py").as_posix()}
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
    done = lint(linter, template / WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


BREAKAGES = {
    # a job with nowhere to run is not a workflow
    "check-jsonschema": ("    runs-on: ubuntu-24.04\n", ""),
    # an attacker-controlled commit message spliced into a shell script
    "zizmor": ("status=0\n", 'echo "${{ github.event.head_commit.message }}"\n'),
}


@pytest.mark.parametrize("linter", sorted(BREAKAGES))
def test_linters_reject_a_broken_workflow(template, tmp_path, linter):
    old, new = BREAKAGES[linter]
    text = (template / WORKFLOW).read_text()
    assert old in text
    broken = tmp_path / "grade.yml"
    broken.write_text(text.replace(old, new))
    done = lint(linter, broken)
    assert done.returncode != 0, done.stdout + done.stderr


def test_workflow_holds_no_secret(template, workflow):
    text = (template / WORKFLOW).read_text()
    assert TOKEN_SHAPES.search(text) is None
    assert re.search(r"secrets\s*[.\[]", text) is None, "the students' workflow may use no secret"
    assert workflow["permissions"] == {"contents": "read"}
    checkouts = uses(workflow, "actions/checkout@")
    assert len(checkouts) == 1 and checkouts[0]["with"] == {"persist-credentials": False}
    assert not [s for s in steps(workflow) if "token" in s.get("with", {})]


def test_workflow_runs_the_public_tests_with_the_pinned_requirements(workflow):
    assert set(triggers(workflow)) == {"push", "workflow_dispatch"}
    scripts = "\n".join(s.get("run", "") for s in steps(workflow))
    assert "python -m pip install -r requirements.txt" in scripts
    assert 'python -m pytest exercises --progress-json "$RUNNER_TEMP/progress.json"' in scripts
    assert "python -m autograder" not in scripts  # the students' repository has no grader
    (setup,) = uses(workflow, "actions/setup-python@")
    assert setup["with"] == {"python-version": "3.11", "cache": "pip", "cache-dependency-path": "requirements.txt"}


def test_every_action_is_pinned_by_commit(workflow):
    pins = [s["uses"] for s in uses(workflow)]
    assert pins and all(SHA_PIN.match(u) for u in pins), pins


def test_annotation_pages_cover_every_item(workflow):
    pages = sorted(
        int(m.group(1)) for s in steps(workflow)
        if (m := re.search(r"progress_report\.py annotate .* --page (\d+)$", s.get("run", "").strip()))
    )
    assert pages == list(range(1, math.ceil(len(catalogue.load()) / PAGE_SIZE) + 1))


# -- the workflow's steps, run as GitHub runs them ------------------------------------------


def run_step(workflow: dict, name: str, repository: Path, runner: Path) -> subprocess.CompletedProcess:
    """One step's script, run by bash as GitHub runs it, in a copy of the students' repository."""
    (step,) = [s for s in steps(workflow) if s["name"] == name]
    runner.mkdir(exist_ok=True)
    summary = runner / "summary.md"
    summary.touch()
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                        "RUNNER_TEMP": str(runner), "GITHUB_STEP_SUMMARY": str(summary)}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          cwd=repository, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def repository(template, tmp_path) -> Path:
    """A student's clone: neurons.py solved, matmul_loops failing with a hostile message."""
    clone = tmp_path / "repository"
    shutil.copytree(template, clone)
    shutil.copy(SOLUTIONS / "neurons.py", clone / "exercises" / "neurons.py")
    with open(clone / "exercises" / "matmul.py", "a") as f:
        f.write(f"\n\ndef matmul_loops(a, b):\n    raise ValueError({HOSTILE!r})\n")
    return clone


def table_rows(summary: str) -> list[list[str]]:
    """The cells of each item's row, split at the pipes Markdown sees (the unescaped ones)."""
    return [re.split(r"(?<!\\)\|", line)[1:-1] for line in summary.splitlines() if re.match(r"\| \d+ \|", line)]


def test_steps_show_points_and_rows_and_escape_what_the_code_said(workflow, repository, tmp_path):
    runner = tmp_path / "runner"
    tests = run_step(workflow, "Run the public tests", repository, runner)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]  # failures are normal
    assert run_step(workflow, "Write the job summary", repository, runner).returncode == 0
    summary = (runner / "summary.md").read_text()
    items = catalogue.load()
    points = sum(i.points for i in NEURONS)
    assert summary.startswith(f"## Public tests: {points}/{catalogue.max_score()} points "
                              f"({len(NEURONS)} of {len(items)} items done)\n")
    rows = table_rows(summary)
    assert len(rows) == len(items) and all(len(cells) == 6 for cells in rows), rows[:2]
    loops = catalogue.owner_of("matmul", "matmul_loops")
    (row,) = [cells for cells in rows if cells[1].strip() == loops.id.replace("_", "\\_")]
    assert row[3].strip() == "failing"
    assert (r"50% done \:\:warning\:\:forged &lt;b&gt;bold&lt;/b&gt; \| \[link\](https\://evil.example) \@someone evil"
            in row[5]), row
    assert not re.search("[\x1b\u202e]", summary) and "<b>" not in summary

    lines = []
    for name in [s["name"] for s in steps(workflow) if s["name"].startswith("Annotate")]:
        step = run_step(workflow, name, repository, runner)
        assert step.returncode == 0, step.stdout + step.stderr
        page = step.stdout.splitlines()
        assert len(page) <= PAGE_SIZE
        lines += page
    assert len(lines) == len(items) - len(NEURONS)
    assert all(line.startswith("::error file=exercises/") for line in lines), lines[:3]
    (mine,) = [line for line in lines if f"title={loops.id}%3A failing" in line]
    assert "file=exercises/matmul.py," in mine and "raised ValueError: 50%25 done ::warning::forged <b>bold</b>" in mine
    assert not re.search("[\x1b\u202e]", "".join(lines))


def test_the_script_needs_only_the_standard_library_and_trusts_nothing_in_the_file(template, tmp_path):
    """A progress file written by hand (the student's code can write it): line breaks, other ids,
    bad statuses and points; run by `python -I -S`, which can import no installed package."""
    neuron, relu, *_ = catalogue.load()
    progress = tmp_path / "progress.json"
    progress.write_text(json.dumps({"points": 1e9, "items": [
        {"id": neuron.id, "status": "failing", "message": "one\r\n::warning file=x::forged\nthree %0A"},
        {"id": relu.id, "status": "hacked", "points": 1e9},
        {"id": "not-an-item", "status": "done"},
        5,
    ]}))
    script = [sys.executable, "-I", "-S", str(SCRIPT), "annotate", str(progress)]
    done = subprocess.run(script, cwd=template, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(catalogue.load()) and all(line.startswith("::error file=") for line in lines)
    # One line (safe_text.clean): the forged command is plain text inside the message.
    assert lines[0].endswith("::one ::warning file=x::forged three %250A%0AHint: " + neuron.hint
                             + "%0AMore help: pytest exercises --hint neuron")
    assert f"title={relu.id}%3A not run (0/{relu.points} points)" in lines[1]
    script[4] = "summary"
    summary = subprocess.run(script, cwd=template, capture_output=True, text=True, timeout=60)
    assert summary.stdout.startswith(f"## Public tests: 0/{catalogue.max_score()} points (0 of ")


def test_the_run_is_red_only_when_the_tests_could_not_run(workflow, repository, tmp_path):
    runner = tmp_path / "runner"
    summary = run_step(workflow, "Write the job summary", repository, runner)
    assert summary.returncode == 1  # no progress file: the tests never ran
    assert summary.stdout.startswith("::error title=Public tests::") and "did not run" in summary.stdout
    (repository / "exercises" / "pytest.ini").write_text("[pytest]\naddopts = --no-such-option\n")
    tests = run_step(workflow, "Run the public tests", repository, runner)
    assert tests.returncode == 4, tests.stdout + tests.stderr  # pytest's usage error
    assert "::error title=Public tests::pytest could not run the tests (exit status 4)" in tests.stdout


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
    assert all(len(page) <= PAGE_SIZE for page in pages)
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
