"""Grade a folder of student modules with the hidden suites.

The suites run here, in the grader's process, under pytest; the student's
code runs only in sandboxed children (autograder/sandbox). A small pytest
plugin collects each test's outcome under its item, and the catalogue turns
them into scores.
"""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict
from pathlib import Path

import pytest

from autograder import catalogue
from autograder.hidden.checks import TimedOut
from autograder.report import Report, TestResult, score_item
from autograder.sandbox.parent import fork_server

HIDDEN = Path(__file__).resolve().parent / "hidden"


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
                if crash is not None and TimedOut.__name__ in crash.message:
                    self.timed_out.add(item_id)
            name = report.nodeid.split("::")[-1]
            self.tests[item_id].append(TestResult(name, report.passed, message.strip(), weight))
            for key, value in report.user_properties:
                if key == "devices" and value:
                    self.devices[item_id].update(value.split(","))
                if key == "timed_out":
                    self.timed_out.add(item_id)


def first_line(message: str) -> str:
    """Our checks say what went wrong in one line; what pytest or hypothesis
    appends after it (the failing example, file paths) stays hidden."""
    return message.strip().splitlines()[0] if message.strip() else "failed"


def grade(folder: Path, *, quiet: bool = True, modules: tuple[str, ...] | None = None) -> Report:
    """The report for a folder of modules, a notebook or a folder of notebooks.

    `modules` runs only those modules' suites (faster); the report still has
    every item, and the others are `missing`.
    """
    from autograder import notebook_grading  # it calls back into grade()

    unknown = set(modules or ()) - set(catalogue.modules())
    if unknown or (modules is not None and not modules):
        raise ValueError(f"modules must name some of {', '.join(catalogue.modules())}; got {modules}")
    folder = Path(folder).resolve()
    if notebook_grading.is_notebook_submission(folder):
        return notebook_grading.grade(folder, modules=modules, quiet=quiet)
    collector = Collector()
    suites = [str(HIDDEN / f"test_{m}.py") for m in modules] if modules is not None else [str(HIDDEN)]
    args = [*suites, "-c", str(HIDDEN / "pytest.ini"), f"--submission={folder}",
            "-p", "no:cacheprovider", "-q"]
    fork_server()  # start importing torch there while pytest collects here
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or collector.problems:
        raise GraderError(f"the hidden suites did not run (pytest exit code {int(code)}):\n"
                          + "\n".join(collector.problems) + "\n" + output.getvalue()[-4000:])
    items = []
    for item in catalogue.load():
        result = score_item(
            item,
            collector.tests.get(item.id, []),
            missing=not (folder / f"{item.module}.py").is_file()
            or (modules is not None and item.module not in modules),
            error=item.id in collector.errors,
            timed_out=item.id in collector.timed_out,
        )
        result.devices = sorted(collector.devices.get(item.id, ()))
        items.append(result)
    return Report(items)


class GraderError(RuntimeError):
    """The grader itself failed (not the submission)."""
