"""Find what must never reach students: solution code, hidden tests, markers.

`find_leaks(folder)` scans every text file under a folder (a notebook's JSON
too: its cell sources are JSON strings, so each file is scanned both raw and
with JSON string escapes undone) and returns one line per leak found.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from autograder.course import stubs
from autograder.paths import ROOT

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
SHORTEST = 14  # characters: shorter lines ("return out", "else:") prove nothing


@cache
def public_lines() -> frozenset[str]:
    """Lines of the public tests: shipped to students on purpose."""
    return frozenset(line.strip() for path in (ROOT / "autograder" / "public").glob("*.py")
                     for line in path.read_text().splitlines())


@cache
def solution_lines() -> frozenset[str]:
    """Lines inside solution regions that appear nowhere outside them."""
    inside, outside = set(), set(public_lines())
    for path in sorted((ROOT / "solutions").glob("*.py")):
        marking = False
        for line in path.read_text().splitlines():
            text = line.strip()
            if text in (stubs.BEGIN, stubs.END):
                marking = text == stubs.BEGIN
                continue
            (inside if marking else outside).add(text)
    return frozenset(line for line in inside - outside if len(line) >= SHORTEST and not line.startswith("#"))


@cache
def hidden_lines() -> frozenset[str]:
    """Distinctive lines of the hidden suites (not shared with public tests)."""
    public = public_lines()
    hidden = set()
    for path in (ROOT / "autograder" / "hidden").glob("test_*.py"):
        for line in path.read_text().splitlines():
            text = line.strip()
            if len(text) >= 30 and not text.startswith(("import ", "from ", "#", "@pytest")) and text not in public:
                hidden.add(text)
    return frozenset(hidden)


def _texts(path: Path) -> list[str]:
    raw = path.read_text(errors="replace")
    texts = [raw]
    if path.suffix == ".ipynb":
        notebook = json.loads(raw)
        texts.append("\n".join("".join(cell.get("source", "")) for cell in notebook.get("cells", [])))
    elif path.suffix == ".json":  # items.json: its hints are JSON strings, quotes escaped
        texts.append("\n".join(_strings(json.loads(raw))))
    return texts


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [text for part in value for text in _strings(part)] if isinstance(value, list) else []


def squeezed(text: str) -> str:
    return "".join(text.split())


@cache
def quotable_lines() -> frozenset[str]:
    """The solution lines that appear nowhere in what is shipped on purpose
    (the solutions' text outside their regions, such as a docstring, the
    public tests, the notebooks' helpers), even inside a longer line."""
    given = [path.read_text() for folder in ("autograder/public", "autograder/course/notebook_files")
             for path in (ROOT / folder).glob("*.py")]
    for path in (ROOT / "solutions").glob("*.py"):
        given.append(stubs.make_stub(path.read_text(), path.stem))
    flat = squeezed("\n".join(given))
    return frozenset(line for line in solution_lines() if squeezed(line) not in flat)


def _inside(text: str) -> list[str]:
    """The solution lines found anywhere in `text`, whitespace aside: a hint in
    items.json or a notebook's Markdown quotes code mid-sentence, not on a line of its own."""
    flat = squeezed(text)
    return sorted(line for line in quotable_lines() if squeezed(line) in flat)


def find_leaks(folder: Path) -> list[str]:
    leaks = []
    secret = solution_lines() | hidden_lines()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        where = path.relative_to(folder)
        if {"solutions", "hidden"} & set(where.parts) or path.name == "gradebook.db":
            leaks.append(f"{where}: a file that must stay private")
            continue
        try:
            texts = _texts(path)
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue  # binary files carry no source
        for text in texts:
            for marker in MARKERS:
                if marker in text:
                    leaks.append(f"{where}: contains {marker!r}")
            for number, line in enumerate(text.splitlines(), 1):
                if line.strip() in secret:
                    leaks.append(f"{where}:{number}: {line.strip()[:60]!r}")
            leaks += [f"{where}: quotes {line[:60]!r}" for line in _inside(text)]
    return sorted(set(leaks))
