"""Turn notebooks in the release format back into modules (grading/pipeline.py grades them).

Only the answer cells are taken from a student's notebook: a code cell whose
nbgrader `grade_id` is an item id of the catalogue. Each module is rebuilt
from the trusted setup code of its reference solution plus those answers
(`module_parts.assemble`) and written to a temporary folder, which the
ordinary grader grades, so a notebook scores exactly what the same code
scores as a module file. Which module an answer belongs to comes from its grade_id,
never from the notebook's file name.

What can go wrong with a notebook (unreadable JSON, a deleted or duplicated
answer cell, an answer that does not parse) becomes a note on the items it
touches: a failed check of weight 0 named `notebook`, added after scoring, so
it shows as the item's first failure but never changes a score by itself.

Notebooks are read with `submission_files.read_regular` (no links, FIFOs or
devices, at most `NOTEBOOK_LIMIT` bytes) and parsed here, defensively, so a
malformed cell costs that cell only and no note ever quotes the file.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autograder import catalogue
from autograder.course import module_parts
from autograder.grading import submission_files
from autograder.grading.submission_files import NOTEBOOK_LIMIT, SubmissionFileError
from autograder.paths import SOLUTIONS
from autograder.report.model import Report, TestResult

NOTE = "notebook"  # the name of the check that carries a notebook problem


@dataclass
class Answers:
    """The answer cells found in some notebooks, and what was wrong with them."""

    code: dict[str, str] = field(default_factory=dict)  # item id -> answer source
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)  # touching no known item
    cells: dict[str, list] = field(default_factory=dict)  # module -> module_parts.answer_lines

    @property
    def modules(self) -> tuple[str, ...]:
        """The modules that have at least one answer, in course order."""
        items = catalogue.by_id()
        found = {items[item_id].module for item_id in self.code}
        return tuple(module for module in catalogue.modules() if module in found)


def is_folder(path: Path) -> bool:
    """A folder, and not a link to one."""
    return path.is_dir() and not path.is_symlink()


def notebooks_in(path: Path) -> list[Path]:
    """The notebooks a path names: itself, or the entries named `*.ipynb` at a
    folder's top, whatever they are (a link among them is refused when read)."""
    path = Path(path)
    if not is_folder(path):
        return [path]
    return sorted(path.glob("*.ipynb"))


def is_notebook_submission(path: Path) -> bool:
    """A notebook file, or a folder of notebooks holding no module file.

    A folder with module files (`neurons.py`, ...) is graded as modules, as
    it always was, even when notebooks sit next to them; a module file there
    that is a link or a FIFO still makes it a folder of modules, whose
    grading says why that file was not read.
    """
    path = Path(path)
    if not is_folder(path):
        return path.suffix == ".ipynb"
    has_modules = any(os.path.lexists(path / f"{module}.py") for module in catalogue.modules())
    return not has_modules and bool(notebooks_in(path))


def read_answers(paths: list[Path]) -> Answers:
    """Every answer cell of the notebooks; for a grade_id met twice, the last
    one counts, as in nbgrader (DeduplicateIds) and in a kernel run top to bottom."""
    answers = Answers()
    items = catalogue.by_id()
    seen_in: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        cells = _cells(path, answers)
        for cell in cells:
            grade_id = _grade_id(cell)
            if grade_id is None and _nbgrader(cell).get("grade_id") is not None:
                kind = type(_nbgrader(cell)["grade_id"]).__name__
                _note_module(answers, path, f"{path.name} has a cell whose nbgrader grade_id is "
                                            f"a {kind}, not a string: it is not an answer cell")
            if grade_id not in items or cell.get("cell_type") != "code":
                continue
            source = _source(cell)
            if source is None:
                answers.notes[grade_id].append(f"answer cell `{grade_id}` in {path.name} has a source "
                                               "that is not text; it was left out")
                continue
            seen_in[grade_id].append(path.name)
            answers.code[grade_id] = source
    for item_id, places in seen_in.items():
        if len(places) > 1:
            answers.notes[item_id].append(
                f"answer cell `{item_id}` appears {len(places)} times "
                f"(in {', '.join(dict.fromkeys(places))}); the last one was graded")
    _drop_unparsable(answers)
    _note_missing(paths, answers)
    return answers


def _cells(path: Path, answers: Answers) -> list[dict]:
    """The notebook's cells (those that are JSON objects), or none, with a
    note, when it cannot be read."""
    try:
        notebook = read_notebook(path)
    except SubmissionFileError as exc:
        _note_module(answers, path, f"{path.name} could not be read as a notebook: it {exc.reason}; "
                                    "its answers count as missing")
        return []
    cells = notebook.get("cells", [])
    if not isinstance(cells, list):
        _note_module(answers, path, f"{path.name} could not be read as a notebook: its cells are "
                                    "not a list; its answers count as missing")
        return []
    cells = [cell for cell in cells if isinstance(cell, dict)]
    if not any(_grade_id(cell) in catalogue.by_id() for cell in cells):
        _note_module(answers, path, f"{path.name} holds no answer cell of a known item "
                                    "(no cell has an item id as its nbgrader grade_id)")
    return cells


def _note_module(answers: Answers, path: Path, message: str) -> None:
    """A problem with a whole notebook: a note on its module's items when the
    file name says which module it was meant to be (`NN_<module>.ipynb`)."""
    match = re.fullmatch(r"(?:\d+_)?(\w+)\.ipynb", path.name)
    module = match.group(1) if match else None
    if module in catalogue.modules():
        for item in catalogue.items_of(module):
            answers.notes[item.id].append(message)
    else:
        answers.problems.append(message)


def read_notebook(path: Path) -> dict:
    """A notebook's JSON object, in nbformat 4 (older versions converted by
    nbformat). SubmissionFileError says why not, never quoting the file
    (nbformat's own NotJSONError quotes its first bytes)."""
    try:
        data = submission_files.read_regular(path, limit=NOTEBOOK_LIMIT)
    except FileNotFoundError:
        raise SubmissionFileError(path.name, "does not exist") from None
    try:
        notebook = json.loads(data)
    except json.JSONDecodeError as exc:
        raise SubmissionFileError(path.name, f"is not valid JSON (line {exc.lineno}, "
                                             f"column {exc.colno})") from None
    except (ValueError, RecursionError):  # not UTF-8 (or -16, -32) text; nested too deeply
        raise SubmissionFileError(path.name, "is not valid JSON text") from None
    if not isinstance(notebook, dict):
        raise SubmissionFileError(path.name, "is JSON but not a notebook (not a JSON object)")
    if notebook.get("nbformat") == 4:
        return notebook  # read as it is: nbformat would reject a whole notebook for one odd cell
    # Imported here, not above: grading modules imports this file too, and
    # nbformat takes a sixth of a second.
    from autograder.course.notebook_format import nbformat

    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # any reason nbformat cannot convert it; its messages quote keys
        raise SubmissionFileError(path.name, "is JSON but not a notebook nbformat can read "
                                             f"({type(exc).__name__})") from None


def _nbgrader(cell: dict) -> dict:
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return nbgrader if isinstance(nbgrader, dict) else {}


def _grade_id(cell: dict) -> str | None:
    """The cell's nbgrader grade_id when it is a string (anything else names no item)."""
    grade_id = _nbgrader(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) else None


def _source(cell: dict) -> str | None:
    """The cell's code; None when its source is neither a string nor a list of strings."""
    source = cell.get("source", "")
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return None


def _drop_unparsable(answers: Answers) -> None:
    """An answer that is not valid Python would break its whole module: it is
    left out instead, so only its own item loses points."""
    for item_id, code in list(answers.code.items()):
        try:
            ast.parse(code)
        except (SyntaxError, ValueError) as exc:
            where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
            message = getattr(exc, "msg", None) or str(exc)
            answers.notes[item_id].append(
                f"answer cell `{item_id}` is not valid Python{where}: {message}; "
                "it was left out (IPython magics and shell lines are not allowed in answer cells)")
            del answers.code[item_id]


def _note_missing(paths: list[Path], answers: Answers) -> None:
    """An item of a module the notebooks answer, but with no answer cell of its own."""
    where = paths[0].name if len(paths) == 1 else f"the {len(paths)} notebooks"
    for module in answers.modules:
        for item in catalogue.items_of(module):
            if item.id not in answers.code and not answers.notes[item.id]:
                answers.notes[item.id].append(
                    f"no answer cell `{item.id}` in {where}: its names are missing "
                    "(was the cell deleted?)")


def write_modules(answers: Answers, folder: Path) -> tuple[str, ...]:
    """One module file per answered module: trusted setup plus the answers."""
    for module in answers.modules:
        parts = module_parts.split((SOLUTIONS / f"{module}.py").read_text(), module)
        mine = {item: answers.code[item] for item in parts.answers if item in answers.code}
        (folder / f"{module}.py").write_text(module_parts.assemble(parts.setup, mine))
        answers.cells[module] = module_parts.answer_lines(parts.setup, mine)
    return answers.modules


def in_cells(message: str, answers: Answers) -> str:
    """`neurons.py:45: ...` (a file the notebook's student never saw) as
    `cell relu, line 3: ...`; a line of the trusted setup is left as it is."""
    def cite(match: re.Match) -> str:
        module, line = match.group(1), int(match.group(2))
        for first, last, item in answers.cells.get(module, ()):
            if first <= line <= last:
                return f"cell {item}, line {line - first + 1}"
        return match.group()

    return re.sub(r"(?:[\w.-]*/)*\b(\w+)\.py:(\d+)", cite, message)


def with_notes(report: Report, answers: Answers, modules: tuple[str, ...] | None) -> Report:
    """The report with each item's notebook notes first among its checks
    (weight 0: a note never changes a score by itself)."""
    for item in report.items:
        if modules is None or catalogue.by_id()[item.id].module in modules:
            notes = answers.notes.get(item.id, [])
            for test in item.tests:
                test.message = in_cells(test.message, answers)
            item.tests[:0] = [TestResult(NOTE, False, note, weight=0) for note in notes]
    return report
