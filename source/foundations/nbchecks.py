# Generated from autograder/course/notebook_files/nbchecks.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Visible checks for the notebooks: `check("<item id>")`.

`check` runs the item's public tests (the `test_<module>.py` files beside this
one) against what the notebook has defined so far, and prints one line per
check. While you work it raises AssertionError naming the checks that fail,
and returns None when they all pass.

During `nbgrader autograde` the test cell first grades the item with the
hidden tests (`autograder.hosts.notebook_kernel.grade_item`); `check` then returns that
score, which nbgrader takes as the cell's (partial) credit, and never raises.

Needs only pytest (and whatever the tests import: torch, numpy, sympy).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
GRADING_MODULE = "autograder.hosts.notebook_kernel"  # present only inside the autograder's kernel
NO_AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"


@dataclass(frozen=True)
class Outcome:
    name: str
    passed: bool
    message: str = ""


def _items() -> dict[str, dict]:
    return {item["id"]: item for item in json.loads((HERE / "items.json").read_text())}


def _first_line(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = (crash.message if crash is not None else str(report.longrepr)).strip()
    line = text.splitlines()[0] if text else "failed"
    return line if len(line) <= 160 else line[:157] + "..."


class _Collector:
    """A pytest plugin that keeps one Outcome per test instead of printing."""

    def __init__(self, items: dict[str, dict]):
        self.items = items
        self.outcomes: list[Outcome] = []

    def pytest_configure(self, config):
        for item in self.items.values():
            config.addinivalue_line("markers", f"{item['id']}: {item['title']}")

    def pytest_collectreport(self, report):
        if report.failed:
            self.outcomes.append(Outcome(report.nodeid, False, _first_line(report)))

    def pytest_runtest_logreport(self, report):
        name = report.nodeid.partition("::")[2] or report.nodeid
        if report.failed:
            self.outcomes.append(Outcome(name, False, self._message(report)))
        elif report.when == "call":
            self.outcomes.append(Outcome(name, True))

    def _message(self, report) -> str:
        line = _first_line(report)
        # An untouched answer cell raises NotImplementedError("<item id>: ...").
        if line.startswith("NotImplementedError"):
            return "not started: the answer cell still raises NotImplementedError"
        return line


def _module_from(namespace: dict, name: str) -> types.ModuleType:
    """The notebook's definitions, as the module the public tests import."""
    module = types.ModuleType(name)
    module.__dict__.update({k: v for k, v in namespace.items() if not k.startswith("__")})
    return module


def run_checks(item_id: str, namespace: dict) -> list[Outcome]:
    """Run the public tests of one item against the definitions in `namespace`."""
    items = _items()
    if item_id not in items:
        raise ValueError(f"unknown item {item_id!r}; the items are: {', '.join(items)}")
    module = items[item_id]["module"]
    test_file = HERE / f"test_{module}.py"
    collector = _Collector(items)
    saved = sys.modules.get(module)
    sys.modules[module] = _module_from(namespace, module)
    sys.modules.pop(f"test_{module}", None)  # import the tests afresh, bound to this module
    args = [
        str(test_file), "-m", item_id, "-c", str(HERE / "pytest.ini"), "--rootdir", str(HERE),
        "-p", "no:cacheprovider", "-p", "no:faulthandler", "--capture=sys", "-q",
    ]
    autoload = os.environ.get(NO_AUTOLOAD)
    # Installed pytest plugins (hypothesis, xdist, ...) play no part in these
    # checks and cost seconds to load; pytest's own report would repeat ours.
    os.environ[NO_AUTOLOAD] = "1"
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            pytest.main(args, plugins=[collector])
    finally:
        if autoload is None:
            del os.environ[NO_AUTOLOAD]
        else:
            os.environ[NO_AUTOLOAD] = autoload
        sys.modules.pop(f"test_{module}", None)
        if saved is None:
            sys.modules.pop(module, None)
        else:
            sys.modules[module] = saved
    if not collector.outcomes:
        collector.outcomes.append(Outcome(test_file.name, False, f"no visible checks ran for {item_id}"))
    return collector.outcomes


def _graded_score(item_id: str) -> float | None:
    grading = sys.modules.get(GRADING_MODULE)
    return None if grading is None else grading.graded_score(item_id)


def check(item_id: str, namespace: dict | None = None) -> float | None:
    """Run and print the visible checks of one item; see the module docstring."""
    if namespace is None:
        namespace = sys._getframe(1).f_globals  # the notebook cell that called us
    try:
        outcomes = run_checks(item_id, namespace)
    except Exception as exc:  # a broken check must not break grading
        outcomes = [Outcome("checks", False, f"could not run: {type(exc).__name__}: {exc}")]
    for outcome in outcomes:
        print(f"{'ok  ' if outcome.passed else 'FAIL'} {outcome.name}"
              + (f": {outcome.message}" if outcome.message else ""))
    score = _graded_score(item_id)
    if score is not None:
        return score
    failing = [outcome.name for outcome in outcomes if not outcome.passed]
    if failing:
        raise AssertionError(f"{item_id}: {len(failing)} visible check(s) failing: {', '.join(failing)}")
    print(f"{item_id}: all {len(outcomes)} visible checks pass (the hidden tests check more).")
    return None
