"""Build exercises/ from solutions/, the catalogue and autograder/public/.

exercises/ is never edited by hand: this module computes every file it should
hold, and either writes them or (`check`) reports the ones that differ.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder import catalogue
from autograder.course.stubs import make_stub
from autograder.paths import EXERCISES, PUBLIC, ROOT, SOLUTIONS


# Files in exercises/ that belong to the student's work and tools, never to us.
IGNORED = {"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}

STUB_HEADER = """\
# Your exercise file for `{module}` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""

COPY_HEADER = """\
# Generated from autograder/{source} by `python -m autograder generate`.
# Do not edit: your changes would be overwritten.
"""


def items_json() -> str:
    """What the progress plugin needs to know about the items, in course order."""
    rows = [
        {
            "id": item.id,
            "module": item.module,
            "names": list(item.names),
            "uses": list(item.uses),
            "questions": list(item.questions),
            "points": item.points,
            "title": item.title,
            "hints": list(item.hints),
        }
        for item in catalogue.load()
    ]
    return json.dumps(rows, indent=1) + "\n"


def readme() -> str:
    lines = [
        "# Exercises: a neural net from the foundations",
        "",
        "Fill in the stubs in this folder, item by item, in this order, and run",
        "`pytest exercises` (or `pytest` inside this folder) to see your progress.",
        "`pytest exercises -m <item>` runs one item's tests, `--hint <item>` gives a hint",
        "(ask again for a closer one), `--watch` re-runs the tests of every file you save,",
        "and `--ladder` times your four matrix products against each other once they pass.",
        "The files that are not yours to edit: `test_*.py`, `conftest.py`, `progress.py`,",
        "`watch.py`, `ladder.py`, `feedback.py`, `items.json` and `pytest.ini`.",
        "",
        "| # | item | file | questions | points | what to build |",
        "|---|---|---|---|---|---|",
    ]
    for number, item in enumerate(catalogue.load(), start=1):
        lines.append(
            f"| {number} | `{item.id}` | `{item.module}.py` | {', '.join(item.questions)} "
            f"| {item.points} | {item.prompt} |"
        )
    lines += ["", f"{catalogue.max_score()} points in all.", ""]
    return "\n".join(lines)


def expected_files() -> dict[str, str]:
    """Relative path in exercises/ -> the content it must have."""
    files = {"items.json": items_json(), "README.md": readme()}
    for module in catalogue.modules():
        solution = (SOLUTIONS / f"{module}.py").read_text()
        files[f"{module}.py"] = STUB_HEADER.format(module=module) + make_stub(solution, module)
    for source in sorted(PUBLIC.iterdir()):
        if source.name in IGNORED:
            continue
        text = source.read_text()
        if source.suffix == ".py":
            text = COPY_HEADER.format(source=f"public/{source.name}") + text
        files[source.name] = text
    return files


def stale_files(target: Path = EXERCISES) -> list[str]:
    """Files that are missing, different or unexpected in `target`."""
    expected = expected_files()
    stale = [
        name
        for name, text in expected.items()
        if not (target / name).is_file() or (target / name).read_text() != text
    ]
    if target.is_dir():
        stale += sorted(
            path.name
            for path in target.iterdir()
            if path.name not in expected and path.name not in IGNORED
        )
    return stale


def write(target: Path = EXERCISES) -> list[str]:
    """Bring `target` up to date; returns the files it changed or removed."""
    changed = stale_files(target)
    target.mkdir(exist_ok=True)
    expected = expected_files()
    for name in changed:
        path = target / name
        if name in expected:
            path.write_text(expected[name])
        elif path.is_file():
            path.unlink()
    return changed
