# Generated from autograder/public/conftest.py by `python -m autograder generate`.
# Do not edit: your changes would be overwritten.
"""Your progress through the chapter, shown at the end of every pytest run.

Every test carries one item mark (`@pytest.mark.neuron`). This plugin groups
the results by item and prints one line per item: done, not started (the
stub's NotImplementedError is still there) or failing, with the points done
and the hint of the first item that is not done yet. A test that only hit a
stub is reported as "not started" without a traceback, so a fresh set of
stubs gives one short line per item instead of pages of errors.

`--progress-json FILE` also writes the per-item results as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ITEMS = json.loads(Path(__file__).with_name("items.json").read_text())
ITEM_IDS = {item["id"] for item in ITEMS}

NOT_STARTED = "not started"
DONE = "done"
FAILING = "failing"
NOT_RUN = "not run"


def pytest_addoption(parser):
    parser.addoption(
        "--progress-json",
        metavar="FILE",
        help="also write the per-item progress summary to FILE as JSON",
    )


def pytest_configure(config):
    for item in ITEMS:
        config.addinivalue_line("markers", f"{item['id']}: {item['title']}")
    config.pluginmanager.register(Progress(config), "chapter-progress")


def _stub_item(excinfo) -> str | None:
    """The item id of an untouched stub's NotImplementedError, if that is what this is."""
    if excinfo is None or not excinfo.errisinstance(NotImplementedError):
        return None
    item_id = str(excinfo.value).partition(":")[0]
    return item_id if item_id in ITEM_IDS else None


def _first_line(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    line = text.strip().splitlines()[0] if text.strip() else "failed"
    return line if len(line) <= 160 else line[:157] + "..."


class Progress:
    def __init__(self, config):
        self.config = config
        self.item_of: dict[str, str] = {}  # test nodeid -> item id
        self.outcomes: dict[str, list[str]] = {item["id"]: [] for item in ITEMS}
        self.messages: dict[str, str] = {}  # item id -> first failure
        self.stubs_hit: dict[str, set[str]] = {item["id"]: set() for item in ITEMS}
        self.broken: dict[str, str] = {}  # module -> why its tests did not load

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, items):
        for test in items:
            marks = [m.name for m in test.iter_markers() if m.name in ITEM_IDS]
            if len(marks) != 1:
                raise pytest.UsageError(
                    f"{test.nodeid} needs exactly one item mark, has {marks or 'none'}"
                )
            self.item_of[test.nodeid] = marks[0]

    @pytest.hookimpl
    def pytest_collectreport(self, report):
        if report.failed:
            module = Path(report.nodeid).stem.removeprefix("test_")
            self.broken[module] = _first_line(report)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        stub = _stub_item(call.excinfo) if report.failed else None
        if stub is not None:
            # Keep it a failure (pytest still exits 1) but drop the traceback.
            report.not_started = stub
            report.longrepr = f"{stub}: not implemented yet"
        return report

    @pytest.hookimpl
    def pytest_report_teststatus(self, report, config):
        if getattr(report, "not_started", None):
            return NOT_STARTED, "n", ("NOT STARTED", {"yellow": True})
        return None

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        item_id = self.item_of.get(report.nodeid)
        if item_id is None or (report.when != "call" and not report.failed):
            return
        if getattr(report, "not_started", None):
            self.outcomes[item_id].append(NOT_STARTED)
            self.stubs_hit[item_id].add(report.not_started)
        elif report.failed:
            self.outcomes[item_id].append(FAILING)
            self.messages.setdefault(item_id, _first_line(report))
        elif report.passed:
            self.outcomes[item_id].append(DONE)

    def status(self, item) -> str:
        outcomes = self.outcomes[item["id"]]
        if not outcomes:
            return FAILING if item["module"] in self.broken else NOT_RUN
        if all(o == DONE for o in outcomes):
            return DONE
        if all(o == NOT_STARTED for o in outcomes):
            return NOT_STARTED
        return FAILING

    def message(self, item) -> str:
        if item["id"] in self.messages:
            return self.messages[item["id"]]
        if not self.outcomes[item["id"]] and item["module"] in self.broken:
            return f"{item['module']}.py did not load: {self.broken[item['module']]}"
        others = sorted(self.stubs_hit[item["id"]] - {item["id"]})
        if others:
            return f"waits for {', '.join(others)} (still a stub)"
        if NOT_STARTED in self.outcomes[item["id"]]:
            return "some of its functions still raise NotImplementedError"
        return ""

    def summary(self) -> dict:
        rows = []
        for item in ITEMS:
            status = self.status(item)
            rows.append(
                {
                    "id": item["id"],
                    "status": status,
                    "points": item["points"] if status == DONE else 0,
                    "max_points": item["points"],
                    "tests": len(self.outcomes[item["id"]]),
                    "message": "" if status == DONE else self.message(item),
                }
            )
        return {
            "points": sum(row["points"] for row in rows),
            "max_points": sum(item["points"] for item in ITEMS),
            "items": rows,
        }

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter):
        summary = self.summary()
        path = self.config.getoption("progress_json")
        if path:
            Path(path).write_text(json.dumps(summary, indent=1) + "\n")
        write = terminalreporter.write_line
        colours = {DONE: "green", NOT_STARTED: "yellow", FAILING: "red", NOT_RUN: "white"}
        terminalreporter.section("chapter progress")
        for item, row in zip(ITEMS, summary["items"]):
            questions = ",".join(item["questions"])
            line = (
                f"{row['status']:<12} {item['id']:<23} {questions:<14}"
                f"{row['points']:>2}/{item['points']:<2} {item['title']}"
            )
            write(line, **{colours[row["status"]]: True})
            waiting = row["status"] == NOT_STARTED and row["message"].startswith("waits")
            if row["status"] == FAILING or waiting:
                write(f"{'':<13}-> {row['message']}")
        done = sum(row["status"] == DONE for row in summary["items"])
        write("")
        write(
            f"Points: {summary['points']}/{summary['max_points']}  "
            f"({done} of {len(ITEMS)} items done)",
            bold=True,
        )
        ran = [(i, r) for i, r in zip(ITEMS, summary["items"]) if r["status"] != NOT_RUN]
        todo = next(((i, r) for i, r in ran if r["status"] != DONE), None)
        if todo is not None:
            item, row = todo
            write(f"Next: {item['id']} ({item['title']}) in {item['module']}.py", bold=True)
            write(f"Hint: {item['hint']}")
