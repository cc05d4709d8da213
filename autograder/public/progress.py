"""Your progress through the chapter, shown at the end of every pytest run.

Every test carries one item mark (`@pytest.mark.neuron`). This plugin groups
the results by item and prints one line per item: done, not started (the
stub's NotImplementedError is still there) or failing, with what went wrong.
A test that only hit a stub is reported as "not started" without a
traceback, so a fresh set of stubs gives one short line per item.

Progress is remembered in pytest's cache (`.pytest_cache/` in this folder):
a run of one item (`-m relu`) or one file shows the other items as they were
at their last run, marked "(last run)", and the points count all of them.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from functools import cache
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ITEMS = json.loads(HERE.joinpath("items.json").read_text())
ITEM_IDS = {item["id"] for item in ITEMS}
MODULES = {item["module"] for item in ITEMS}
LADDER_ITEMS = ("matmul_loops", "matmul_elementwise", "matmul_broadcast", "matmul_einsum")

NOT_STARTED = "not started"
DONE = "done"
FAILING = "failing"
NOT_RUN = "not run"

CACHE_KEY = "chapter/progress"
DID_NOT_IMPORT = "did not import:"
MESSAGE_LIMIT = 300  # characters of a failure kept for the summary (its first lines)
WIDTH = 100  # the summary fits a terminal this wide


def module_of(test_file: str) -> str:
    """The module a test file checks: test_loss.py -> loss."""
    return Path(test_file).stem.removeprefix("test_")


def mark_names(markexpr: str) -> set[str]:
    """The names an `-m` expression uses, as pytest reads identifiers."""
    return set(re.findall(r"(?:\w|:|\+|-|\.|\[|\]|\\|/)+", markexpr)) - {"and", "or", "not"}


@cache
def selected_modules(markexpr: str) -> frozenset[str] | None:
    """The modules that hold an item `-m markexpr` selects; None when the
    expression names something other than items (then everything is collected)."""
    from _pytest.mark.expression import Expression

    if "=" in markexpr or not mark_names(markexpr) <= ITEM_IDS:
        return None
    try:
        expression = Expression.compile(markexpr)
        return frozenset(item["module"] for item in ITEMS
                         if expression.evaluate(lambda name, _id=item["id"], **kwargs: name == _id))
    except Exception:  # noqa: BLE001 - pytest itself reports a bad expression
        return None


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else text[: limit - 1]) + "…"


EXPECTED_GOT = re.compile(r"^(Expected |it returned |Mismatched elements|Greatest absolute)")


def failure_text(report) -> str:
    """What went wrong in a line: the assertion's first sentence and the
    expected/got lines (torch's `Expected 2.5 but got 3.5.`), never the
    traceback nor the pictures that follow in the full report."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("assert ")] or lines[:1] or ["failed"]
    kept = lines[:1] + [line for line in lines[1:] if EXPECTED_GOT.match(line)]
    # "AssertionError: " says only that a check failed; the sentence after it says which
    return shorten(" ".join(kept).removeprefix("AssertionError: "), MESSAGE_LIMIT)


def stub_item(excinfo) -> str | None:
    """The item id of an untouched stub's NotImplementedError, if that is what this is."""
    if excinfo is None or not excinfo.errisinstance(NotImplementedError):
        return None
    item_id = str(excinfo.value).partition(":")[0]
    return item_id if item_id in ITEM_IDS else None


def import_error(folder: Path, module: str, longrepr: str) -> str:
    """Why `module`.py did not import, as file, line, exception and message."""
    path = folder / f"{module}.py"
    if not path.is_file():
        return f"{module}.py is missing from {folder.name}/"
    source = path.read_text(errors="replace")
    try:
        compile(source, str(path), "exec")
    except SyntaxError as exc:  # the exact place, as Python reports it
        line = (exc.text or "").strip()
        where = f"{module}.py, line {exc.lineno}" if exc.lineno else f"{module}.py"
        return f"{where}: {type(exc).__name__}: {exc.msg}" + (f": {shorten(line, 80)}" if line else "")
    except ValueError as exc:  # null bytes: not a text file Python can read
        return f"{module}.py: {exc}"
    # Raised while importing: the deepest line of the student's file, and the exception's own line.
    places = re.findall(rf"(?:^|[\\/\s]){re.escape(module)}\.py:(\d+)", longrepr, re.M)
    errors = [line[1:].strip() for line in longrepr.splitlines() if line.startswith("E ")]
    where = f"{module}.py, line {places[-1]}" if places else f"{module}.py"
    return f"{where}: {errors[-1] if errors else 'it raised an error while importing'}"


class Progress:
    def __init__(self, config):
        self.config = config
        self.item_of: dict[str, str] = {}  # test nodeid -> item id
        self.outcomes: dict[str, list[str]] = {item["id"]: [] for item in ITEMS}
        self.messages: dict[str, str] = {}  # item id -> first failure
        self.stubs_hit: dict[str, set[str]] = {item["id"]: set() for item in ITEMS}
        self.broken: dict[str, str] = {}  # module -> why it did not import
        self.collected: dict[str, int] = {item["id"]: 0 for item in ITEMS}  # before any deselection
        self.selected: dict[str, int] = {item["id"]: 0 for item in ITEMS}  # after it
        # A test id on the command line (test_loss.py::test_x) runs part of an item's tests.
        self.test_ids = any("::" in str(arg) for arg in config.args)
        cache = getattr(config, "cache", None)
        self.cache = cache
        last = cache.get(CACHE_KEY, {}) if cache is not None else {}
        self.last: dict[str, dict] = last if isinstance(last, dict) else {}

    # --- collecting results ---------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, items):
        """Which item each test belongs to, and how many tests each item has
        before `-m`/`-k` deselect some and after."""
        for test in items:
            marks = [m.name for m in test.iter_markers() if m.name in ITEM_IDS]
            if len(marks) != 1:
                raise pytest.UsageError(f"{test.nodeid} needs exactly one item mark, has {marks or 'none'}")
            self.item_of[test.nodeid] = marks[0]
            self.collected[marks[0]] += 1
        yield
        for test in items:
            self.selected[self.item_of[test.nodeid]] += 1

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector):
        report = yield
        name = module_of(str(collector.path))
        if report.failed and isinstance(collector, pytest.Module) and name in MODULES:
            # The student's module did not import: say where and why, not pytest's internals.
            why = import_error(HERE, name, str(report.longrepr))
            self.broken[name] = why
            report.longrepr = why
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        stub = stub_item(call.excinfo) if report.failed else None
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
            self.messages.setdefault(item_id, failure_text(report))
        elif report.passed:
            self.outcomes[item_id].append(DONE)

    # --- this run's verdicts ----------------------------------------------

    def complete(self, item) -> bool:
        """All the item's tests ran: no `-k`, test id, `-x` or Ctrl-C left some out."""
        count = self.collected[item["id"]]
        return (not self.test_ids and self.selected[item["id"]] == count
                and len(self.outcomes[item["id"]]) == count)

    def ran(self, item) -> bool:
        """This run has a verdict on the item: all of its tests ran, or one of
        those that did failed (a part that passes proves nothing about the rest)."""
        outcomes = self.outcomes[item["id"]]
        if not outcomes:
            return item["module"] in self.broken
        return self.complete(item) or any(o != DONE for o in outcomes)

    def status(self, item) -> str:
        outcomes = self.outcomes[item["id"]]
        if not outcomes:
            return FAILING if item["module"] in self.broken else NOT_RUN
        if all(o == DONE for o in outcomes):
            return DONE
        if all(o == NOT_STARTED for o in outcomes):
            return NOT_STARTED
        return FAILING

    def collected_module(self, module: str) -> bool:
        return any(self.collected[item["id"]] for item in ITEMS if item["module"] == module)

    def message(self, item) -> str:
        if item["id"] in self.messages:
            return self.messages[item["id"]]
        if not self.outcomes[item["id"]] and item["module"] in self.broken:
            return f"{DID_NOT_IMPORT} {self.broken[item['module']]}"
        others = sorted(self.stubs_hit[item["id"]] - {item["id"]})
        if others:
            return f"waits for {', '.join(others)} (still a stub)"
        if NOT_STARTED in self.outcomes[item["id"]]:
            return "some of its functions still raise NotImplementedError"
        return ""

    def row(self, item) -> dict:
        """This run's verdict on `item`, or its last run's when it did not run now."""
        if self.ran(item):
            status = self.status(item)
            message = "" if status == DONE else self.message(item)
            tests, last_run = len(self.outcomes[item["id"]]), False
        else:
            kept = self.last.get(item["id"])
            kept = kept if isinstance(kept, dict) else {}
            status = kept.get("status") if kept.get("status") in (DONE, FAILING, NOT_STARTED) else NOT_RUN
            message = str(kept.get("message", ""))
            if message.startswith(DID_NOT_IMPORT) and self.collected_module(item["module"]):
                status, message = NOT_RUN, ""  # it imports now: that old failure is over
            tests, last_run = 0, status != NOT_RUN
        return {
            "id": item["id"],
            "status": status,
            "points": item["points"] if status == DONE else 0,
            "max_points": item["points"],
            "tests": tests,
            "message": message,
            "last_run": last_run,
        }

    def summary(self) -> dict:
        rows = [self.row(item) for item in ITEMS]
        return {
            "points": sum(row["points"] for row in rows),
            "max_points": sum(item["points"] for item in ITEMS),
            "items": rows,
        }

    def remember(self, rows: list[dict]) -> None:
        if self.cache is None:
            return
        kept = {row["id"]: {"status": row["status"], "message": row["message"]}
                for row in rows if row["status"] != NOT_RUN}
        self.cache.set(CACHE_KEY, kept)

    # --- the summary --------------------------------------------------------

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter):
        summary = self.summary()
        self.remember(summary["items"])
        path = self.config.getoption("progress_json")
        if path:
            Path(path).write_text(json.dumps(summary, indent=1) + "\n")
        show(terminalreporter, summary, command(self.config), unknown_marks(self.config))


def command(config) -> str:
    """`pytest exercises` as typed from where this run was started."""
    where = os.path.relpath(HERE, config.invocation_params.dir)
    return "pytest" if where == "." else f"pytest {where}"


def unknown_marks(config) -> str:
    """A word on `-m relus`: a name that is no item, with the item it may mean."""
    names = mark_names(config.getoption("markexpr", "") or "") - ITEM_IDS
    words = []
    for name in sorted(names):
        close = difflib.get_close_matches(name, sorted(ITEM_IDS), n=1)
        words.append(f"{name!r} is no item" + (f" (did you mean {close[0]}?)" if close else ""))
    return "; ".join(words)


COLOURS = {DONE: "green", NOT_STARTED: "yellow", FAILING: "red"}


def item_line(item: dict, row: dict) -> str:
    questions = ",".join(item["questions"])
    status = row["status"] + (" (last run)" if row["last_run"] else "")
    title = shorten(item["title"], WIDTH - 62)
    return f"{status:<22} {item['id']:<23} {questions:<11} {row['points']:>2}/{item['points']:<2} {title}"


def next_item(rows: list[tuple[dict, dict]]) -> tuple[dict, dict] | None:
    """What to do next: the first failing item, else the first one not started."""
    for wanted in (FAILING, NOT_STARTED, NOT_RUN):
        for item, row in rows:
            if row["status"] == wanted:
                return item, row
    return None


def show(terminalreporter, summary: dict, run: str = "pytest exercises", unknown: str = "") -> None:
    write = terminalreporter.write_line
    terminalreporter.section("chapter progress")
    if unknown:
        write(f"-m: {unknown}", yellow=True)
    rows = list(zip(ITEMS, summary["items"]))
    for item, row in rows:
        if row["status"] == NOT_RUN:
            continue  # counted below in one line
        write(item_line(item, row), **({COLOURS[row["status"]]: True} if row["status"] in COLOURS else {}))
        waiting = row["status"] == NOT_STARTED and row["message"].startswith("waits")
        if row["status"] == FAILING or waiting:
            write(f"{'':<4}-> {shorten(row['message'], WIDTH * 2 - 8)}")
    never = [item["id"] for item, row in rows if row["status"] == NOT_RUN]
    if never:
        write(f"{len(never)} item(s) not run yet ({', '.join(never[:3])}{', ...' if len(never) > 3 else ''}):"
              f" `{run}` runs them all")
    done = sum(row["status"] == DONE for row in summary["items"])
    write("")
    write(f"Points: {summary['points']}/{summary['max_points']}  ({done} of {len(ITEMS)} items done)", bold=True)
    todo = next_item(rows)
    if todo is not None:
        item, row = todo
        write(f"Next: {item['id']} ({item['title']}) in {item['module']}.py", bold=True)
        write(f"Stuck? {run} --hint {item['id']}")
    statuses = {row["id"]: row["status"] for row in summary["items"]}
    if all(statuses[name] == DONE for name in LADDER_ITEMS):
        write(f"Your four matrix products pass: see how fast each one is with `{run} --ladder`")
