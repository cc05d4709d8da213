"""Fixtures of the hidden suites: the student's module in a child, the reference.

The grader's runner (autograder/grading/pipeline.py) passes the submission's folder as
`--submission`. Each hidden test file names its module in `MODULE`; its tests
get `sub` (the student's module behind the sandbox), `ref_child` (the
reference in an identical sandbox, for fair timings and device runs) and
`ref` (the reference imported here, for expected values).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from autograder.loading import load_file
from autograder.paths import SOLUTIONS
from autograder.sandbox.client import Submission


_children: dict[tuple[str, str], Submission] = {}


def pytest_addoption(parser):
    parser.addoption("--submission", default=None, help="folder of the modules to grade")


def pytest_configure(config):
    config.addinivalue_line("markers", "item(id, weight=1): the graded item a test belongs to")


def item_of(node) -> str | None:
    mark = node.get_closest_marker("item")
    return mark.args[0] if mark is not None else None


def pytest_collection_modifyitems(items):
    """Each module's tests grouped by item (in order of first appearance,
    each item's tests in file order): every item gets one fresh child, not
    one each time the file comes back to it."""
    modules: dict[str, int] = {}
    graded: dict[tuple[str, str | None], int] = {}
    for test in items:
        key = (test.module.__name__, item_of(test))
        modules.setdefault(key[0], len(modules))
        graded.setdefault(key, len(graded))
    items.sort(key=lambda t: (modules[t.module.__name__], graded[(t.module.__name__, item_of(t))]))


def pytest_sessionfinish(session):
    for child in _children.values():
        child.close()
    _children.clear()


def child(module: str, folder: Path) -> Submission:
    key = (module, str(folder))
    if key not in _children:
        _children[key] = Submission(module, folder)
    return _children[key]


@pytest.fixture
def sub(request) -> Submission:
    module = request.module.MODULE
    folder = Path(request.config.getoption("submission") or SOLUTIONS)
    submission = child(module, folder)
    if not submission.present:
        pytest.skip(f"{module}.py is missing")
    submission.for_item(item_of(request.node))  # a fresh child per item; a hang is waited for once per item
    submission.ensure_started()
    if submission.import_error is not None:
        error = submission.import_error
        pytest.fail(f"{module}.py did not import: {error['type']}: {error['message']}"
                    + (f" ({error['where']})" if error.get("where") else ""), pytrace=False)
    return submission


@pytest.fixture
def ref_child(request) -> Submission:
    submission = child(request.module.MODULE, SOLUTIONS)
    submission.ensure_started()
    return submission


@pytest.fixture(scope="module")
def ref(request):
    """The reference module, imported in the grader's own process (trusted code)."""
    module = request.module.MODULE
    name = f"reference_{module}"
    if name not in sys.modules:
        load_file(SOLUTIONS / f"{module}.py", name)
    return sys.modules[name]
