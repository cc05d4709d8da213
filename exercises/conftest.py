# Generated from autograder/public/conftest.py by `python -m autograder generate`.
# Do not edit: your changes would be overwritten.
"""What `pytest exercises` adds to pytest for this chapter.

- Your progress at the end of every run (progress.py), remembered between
  runs in pytest's cache; `--progress-json FILE` also writes it as JSON.
- `-m ITEM` or one test file loads only that module's tests and code.
- `--hint ITEM`: hints in levels, one more each time you ask.
- `--watch`: runs the tests, then again for each file you save, until Ctrl-C.
- `--ladder`: times your matrix products against each other.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).parent


def setup_command() -> str:
    """The command that installs what the exercises need, where this folder is."""
    if (HERE.parent / "constraints.txt").is_file():  # the grader's own repository
        return "python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e ."
    return "python3.11 -m venv .venv && .venv/bin/pip install -r requirements.txt"


if importlib.util.find_spec("torch") is None:
    # One line on what to do, instead of a ModuleNotFoundError per test file.
    root = os.path.relpath(HERE.parent)
    sys.stderr.write(
        f"torch is not installed for {sys.executable}, the Python running pytest: "
        + ("" if root == "." else f"in {root}, ")
        + f"set up with `{setup_command()}`, then run `.venv/bin/python -m pytest {HERE.name}`\n")
    raise SystemExit(4)

import pytest  # noqa: E402  (after the check: a wrong pytest gets the line above too)

import progress  # noqa: E402  (this folder is on sys.path: pytest put it there to import this file)
from progress import ITEMS  # noqa: E402

ITEM_BY_ID = {item["id"]: item for item in ITEMS}
HINT_KEY = "chapter/hint-level/"


def pytest_addoption(parser):
    group = parser.getgroup("chapter", "the chapter's exercises")
    group.addoption("--progress-json", metavar="FILE", help="also write the progress summary to FILE as JSON")
    group.addoption("--hint", metavar="ITEM", help="show the next level of ITEM's hint, then stop")
    group.addoption("--watch", action="store_true",
                    help="run the tests, then again for every file you save, until Ctrl-C")
    group.addoption("--ladder", action="store_true",
                    help="time your matrix products against each other (the speed ladder), then stop")


def pytest_configure(config):
    for item in ITEMS:
        config.addinivalue_line("markers", f"{item['id']}: {item['title']}")
    if not (config.getoption("hint") or config.getoption("ladder")):
        config.pluginmanager.register(progress.Progress(config), "chapter-progress")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    if config.getoption("watch"):
        import watch

        return watch.run(config)
    if config.getoption("hint") or config.getoption("ladder"):
        from _pytest.main import wrap_session  # how pytest's own --cache-show runs without tests

        config.option.verbose = -2  # no session header, no "no tests ran"
        return wrap_session(config, show_hint if config.getoption("hint") else show_ladder)
    return None


# --- only what the run needs ---------------------------------------------


def pytest_ignore_collect(collection_path, config):
    """Under `-m ITEM`, the other modules' test files are not even imported
    (importing them loads their modules, sympy and numpy: seconds)."""
    markexpr = config.getoption("markexpr", "")
    name = collection_path.name
    if not markexpr or not (name.startswith("test_") and name.endswith(".py")):
        return None
    modules = progress.selected_modules(markexpr)
    if modules is None:
        return None
    return progress.module_of(name) not in modules or None


# --- hints -----------------------------------------------------------------


def show_hint(config, session) -> int:
    item_id = config.getoption("hint")
    item = ITEM_BY_ID.get(item_id)
    if item is None:
        print(f"There is no item {item_id!r}. The items: {', '.join(ITEM_BY_ID)}")
        return pytest.ExitCode.USAGE_ERROR
    hints = item["hints"]
    cache = getattr(config, "cache", None)
    seen = cache.get(HINT_KEY + item_id, 0) if cache is not None else 0
    seen = seen if type(seen) is int and seen >= 0 else 0  # the cache is a file anyone can edit
    level = min(seen, len(hints) - 1) + 1
    if cache is not None:
        cache.set(HINT_KEY + item_id, level)
    print(f"Hint {level} of {len(hints)} for {item_id} ({item['title']}, in {item['module']}.py):\n")
    print(textwrap.fill(hints[level - 1], 88, initial_indent="  ", subsequent_indent="  ") + "\n")
    print(f"Ask again for hint {level + 1}: {progress.command(config)} --hint {item_id}" if level < len(hints)
          else "That was the last hint.")
    return pytest.ExitCode.OK


def show_ladder(config, session) -> int:
    import ladder

    return ladder.show()
