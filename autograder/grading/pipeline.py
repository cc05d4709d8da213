"""The grade path: a submission in, a report out.

`grade(path)` takes a folder of modules, a notebook or a folder of notebooks.
Notebooks are first turned into module files (from_notebooks.py, which
prepares and never grades); module files are copied into a folder of our own
(submission_files.py); the hidden suites run on that copy here, in the
grader's process, under pytest, in parallel groups (forks.py), while the
student's code runs only in sandboxed children (autograder/sandbox). A small
pytest plugin collects each test's outcome under its item, and the catalogue
turns them into scores.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import io
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from unittest import mock

import pytest
import torch

from autograder import catalogue
from autograder.grading import forks, from_notebooks, submission_files
from autograder.paths import HIDDEN
from autograder.report.model import Report, TestResult, score_item
from autograder.sandbox import client, cuda
from autograder.sandbox.client import fork_server
from autograder.sandbox.failures import TimedOut

# pytest settings of the environment the grader runs in, which pytest.main
# would obey: PYTEST_ADDOPTS="-x" would end a grading at its first failure.
IGNORED_ENVIRONMENT = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")
REFUSED = "file"  # the name of the check that says why a module file was not read


class Collector:
    """Gathers every hidden test's result under the item its mark names."""

    def __init__(self):
        self.tests: dict[str, list[TestResult]] = defaultdict(list)
        self.devices: dict[str, set[str]] = defaultdict(set)
        self.timed_out: set[str] = set()
        self.errors: set[str] = set()
        self.marks: dict[str, tuple[str, float]] = {}
        self.problems: list[str] = []  # failures of the suites themselves

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, items):
        for test in items:
            mark = test.get_closest_marker("item")
            if mark is None:
                self.problems.append(f"{test.nodeid} has no item mark")
                continue
            self.marks[test.nodeid] = (mark.args[0], float(mark.kwargs.get("weight", 1)))

    @pytest.hookimpl
    def pytest_collectreport(self, report):
        if report.failed:
            self.problems.append(f"could not collect {report.nodeid}: {report.longrepr}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        """A check that failed with TimedOut marks its item "timeout": known by
        the exception's class, here in the grader's process, not by its text."""
        report = yield
        if call.excinfo is not None and call.excinfo.errisinstance(TimedOut):
            report.user_properties.append(("timed_out", True))
        return report

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        if report.nodeid not in self.marks:
            return
        item_id, weight = self.marks[report.nodeid]
        if report.when == "call" or (report.failed and report.when == "setup") or report.skipped:
            if report.skipped:
                return  # a missing module: the item is marked missing as a whole
            message = ""
            if report.failed:
                crash = getattr(report.longrepr, "reprcrash", None)
                message = crash.message if crash is not None else str(report.longrepr)
                message = first_line(message)
                for prefix in ("AssertionError: ", "Failed: ", f"{TimedOut.__module__}.TimedOut: "):
                    message = message.removeprefix(prefix)
                if report.when == "setup":
                    self.errors.add(item_id)
            name = report.nodeid.split("::")[-1]
            if report.passed:  # a speed check says what it measured
                message = next((f"speed-up {v}" for k, v in report.user_properties if k == "speedup"), "")
            self.tests[item_id].append(TestResult(name, report.passed, message.strip(), weight))
            for key, value in report.user_properties:
                if key == "devices" and value:
                    self.devices[item_id].update(value.split(","))
                if key == "timed_out":
                    self.timed_out.add(item_id)

    def to_dict(self) -> dict:
        """Plain data, to cross from a grading fork (forks.py) as JSON."""
        return {
            "tests": {item: [dataclasses.asdict(t) for t in tests] for item, tests in self.tests.items()},
            "devices": {item: sorted(devices) for item, devices in self.devices.items()},
            "timed_out": sorted(self.timed_out),
            "errors": sorted(self.errors),
            "problems": self.problems,
        }

    def merge(self, data: dict) -> None:
        """Add another group's `to_dict()` (groups never share an item)."""
        for item, tests in data.get("tests", {}).items():
            self.tests[item].extend(TestResult(**t) for t in tests)
        for item, devices in data.get("devices", {}).items():
            self.devices[item].update(devices)
        self.timed_out.update(data.get("timed_out", ()))
        self.errors.update(data.get("errors", ()))
        self.problems.extend(data.get("problems", ()))


def first_line(message: str) -> str:
    """Our checks say what went wrong in one line; what pytest or hypothesis
    appends after it (the failing example, file paths) stays hidden."""
    return message.strip().splitlines()[0] if message.strip() else "failed"


def grade(folder: Path, *, quiet: bool = True, modules: tuple[str, ...] | None = None,
          jobs: int | None = None, budget: float | None = None) -> Report:
    """The report for a folder of modules, a notebook or a folder of notebooks.

    `modules` runs only those modules' suites (faster); the report still has
    every item, and the others are `missing`. `jobs` is how many groups of
    modules are graded in parallel (default: one per core, see forks.py).
    `budget`: seconds the grading may take; a check that would start a call
    into the submission after that fails at once (a timeout).
    """
    if budget is not None:
        client.set_deadline(budget)
    unknown = set(modules or ()) - set(catalogue.modules())
    if unknown or (modules is not None and not modules):
        raise ValueError(f"modules must name some of {', '.join(catalogue.modules())}; got {modules}")
    folder = submission_files.submission_root(folder)
    if from_notebooks.is_notebook_submission(folder):
        return grade_notebooks(from_notebooks.notebooks_in(folder), modules=modules, quiet=quiet, jobs=jobs)
    # Step 1: copy the module files, read safely, into a folder of our own;
    # the suites (and the sandbox) then never read the student's folder.
    with tempfile.TemporaryDirectory(prefix="submission-") as staged:
        refused = submission_files.stage_modules(folder, modules or catalogue.modules(), Path(staged))
        report = grade_staged(Path(staged), quiet=quiet, modules=modules, jobs=jobs)
    return with_refused(report, refused)


def grade_notebooks(paths: list[Path], *, modules: tuple[str, ...] | None = None, quiet: bool = True,
                    jobs: int | None = None, budget: float | None = None) -> Report:
    """The report for these notebooks, graded together.

    Only the modules the notebooks answer are run (of those, only `modules`
    if given); every other item is `missing`, as for a module folder without
    that file. What was wrong with a notebook becomes a note on its items, or
    on the report (`Report.notes`) when it touches no item.
    """
    if budget is not None:
        client.set_deadline(budget)
    answers = from_notebooks.read_answers(paths)
    wanted = tuple(m for m in answers.modules if modules is None or m in modules)
    if wanted:
        with tempfile.TemporaryDirectory(prefix="notebook-modules-") as folder:
            from_notebooks.write_modules(answers, Path(folder))
            report = grade_staged(Path(folder), quiet=quiet, modules=wanted, jobs=jobs)
    else:
        report = Report([score_item(item, [], missing=True) for item in catalogue.load()])
    report.notes += answers.problems
    return from_notebooks.with_notes(report, answers, modules)


def grade_notebook_folder(path: Path, **options) -> Report:
    """The notebooks in a folder (or one notebook), graded as notebooks even
    when module files sit beside them: nbgrader's autograded folder."""
    return grade_notebooks(from_notebooks.notebooks_in(submission_files.submission_root(path)), **options)


def with_refused(report: Report, refused: dict[str, str]) -> Report:
    """Items of a module whose file was refused (a link, a FIFO, too large):
    0 points, status `error`, one failed check that names the file and why."""
    items = catalogue.by_id()
    for index, result in enumerate(report.items):
        item = items[result.id]
        if item.module in refused:
            report.items[index] = score_item(item, [TestResult(REFUSED, False, refused[item.module])],
                                             error=True)
    return report


def grade_staged(folder: Path, *, quiet: bool, modules: tuple[str, ...] | None,
                 jobs: int | None) -> Report:
    """The report for a folder of module files the grader wrote itself."""
    wanted = [m for m in (modules or catalogue.modules()) if (folder / f"{m}.py").is_file()]
    collector = Collector()
    if wanted:  # a missing module's items are `missing` without running its suite
        fork_server()  # start importing torch there while pytest collects here
        warm_up()
        groups = forks.split(wanted, jobs or forks.default_jobs())
        for result in forks.run_groups(groups, lambda group: run_suites(group, folder, quiet)):
            collector.merge(result)
    if collector.problems:
        raise GraderError("the hidden suites did not run:\n" + "\n".join(collector.problems))
    items = []
    for item in catalogue.load():
        result = score_item(
            item,
            collector.tests.get(item.id, []),
            missing=item.module not in wanted,
            error=item.id in collector.errors,
            timed_out=item.id in collector.timed_out,
        )
        result.devices = sorted(collector.devices.get(item.id, ()))
        items.append(result)
    return Report(items)


def warm_up() -> None:
    """Pay once, before forking, for what every group would pay: the suites'
    heavy imports and what their first comparison imports lazily. The fork
    server is still importing then, so this costs no time."""
    import hypothesis  # noqa: F401
    import sympy  # noqa: F401  (over half a second)

    cuda.status()  # a real device is tried once, here, in a throwaway process (sandbox/cuda.py)

    # assert_close imports torch.distributed.tensor (a second) only to unwrap
    # DTensors; what we compare comes off the wire (wire.py) as plain tensors.
    comparison = torch.testing._comparison
    if getattr(comparison, "_HAS_DTENSOR", False):
        comparison._HAS_DTENSOR = False
    torch.testing.assert_close(torch.zeros(1), torch.zeros(1))


def run_suites(modules: list[str], folder: Path, quiet: bool) -> dict:
    """Run these modules' hidden suites on `folder`; the Collector's data."""
    collector = Collector()
    # Only the plugins grading needs: one installed next to the grader
    # (pytest-randomly reorders and reseeds) must not change a score.
    args = [*(str(HIDDEN / f"test_{m}.py") for m in modules), "-c", str(HIDDEN / "pytest.ini"),
            f"--submission={folder}", "--disable-plugin-autoload", "-p", "_hypothesis_pytestplugin",
            "-p", "no:cacheprovider", "-p", "no:logging", "-q"]
    output = io.StringIO()
    # torch and sympy make a large heap; freezing it spares every full
    # collection during the run (one in hypothesis alone took seconds).
    gc.freeze()
    try:
        with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext(), \
                mock.patch.dict(os.environ):
            for name in IGNORED_ENVIRONMENT:
                os.environ.pop(name, None)
            code = pytest.main(args, plugins=[collector])
    finally:
        gc.unfreeze()
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        collector.problems.append(f"pytest exit code {int(code)} for {', '.join(modules)}:\n"
                                  + output.getvalue()[-4000:])
    elif collector.problems:
        collector.problems.append(output.getvalue()[-4000:])
    return collector.to_dict()


class GraderError(RuntimeError):
    """The grader itself failed (not the submission)."""
