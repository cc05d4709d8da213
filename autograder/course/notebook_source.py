"""Build the nbgrader source assignment, source/foundations/, from solutions/ and the catalogue.

One notebook per module, in course order (`01_neurons.ipynb` ...), laid out as
docs/notebooks.md describes: an introduction, the locked setup code, the
import of the visible checks, then per item its explanation, its answer cell,
its test cell and, for conceptual questions, a "why" cell graded by hand.
Beside the notebooks: `nbchecks.py` (the visible checks) and generated copies
of the public tests it runs. Everything is a pure function of the course
sources, with fixed cell ids, so regenerating gives identical bytes.
"""

from __future__ import annotations

import ast
from pathlib import Path

from autograder.course.notebook_format import nbformat  # before nbformat.v4: see notebook_format
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import catalogue
from autograder.course import module_parts
from autograder.course.generate import items_json
from autograder.paths import PUBLIC, SOLUTIONS

ASSIGNMENT = "foundations"
FILES = Path(__file__).resolve().parent / "notebook_files"
SCHEMA_VERSION = 3
WHY_POINTS = 1

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

COPY_HEADER = """\
# Generated from autograder/{source} by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""

HIDDEN_TESTS = """\
### BEGIN HIDDEN TESTS
from autograder.hosts.notebook_kernel import grade_item
grade_item("{item_id}")
### END HIDDEN TESTS
check("{item_id}")"""

WHY_ANSWER = "YOUR ANSWER HERE"  # nbgrader's own text stub: the release shows the same


def notebook_name(module: str) -> str:
    number = catalogue.modules().index(module) + 1
    return f"{number:02d}_{module}.ipynb"


def _nbgrader(grade_id: str, *, solution: bool, grade: bool, locked: bool,
              points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": SCHEMA_VERSION, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _code(cell_id: str, source: str, **nbgrader) -> nbformat.NotebookNode:
    return new_code_cell(source, id=cell_id, metadata=_nbgrader(cell_id, **nbgrader))


def _title(module: str) -> str:
    """The first line of the solution module's docstring, without its full stop."""
    solution = (SOLUTIONS / f"{module}.py").read_text()
    docstring = ast.get_docstring(ast.parse(solution)) or module
    return docstring.splitlines()[0].rstrip(".")


def introduction(module: str) -> str:
    items = catalogue.items_of(module)
    number = catalogue.modules().index(module) + 1
    lines = [
        f"# {number}. {_title(module)}",
        "",
        "Run the two locked cells below first: the setup code of this section and the",
        "visible checks. Then, item by item, fill in the answer cell (replace the",
        "`raise NotImplementedError(...)` lines) and run it and the check cell after it.",
        "The checks are the public tests; the grader runs hidden tests that check more.",
        "",
        "| item | questions | points |",
        "|---|---|---|",
    ]
    lines += [f"| {item.title} (`{item.id}`) | {', '.join(item.questions)} | {item.points} |"
              for item in items]
    lines += ["", f"{sum(item.points for item in items)} points, graded automatically."]
    why = [item for item in items if item.why]
    if why:
        lines.append(f"Plus {len(why) * WHY_POINTS} point(s) for the written answers, graded by hand.")
    return "\n".join(lines)


def hint_levels(item: catalogue.Item) -> str:
    """The catalogue's hints as collapsed blocks, one inside the other: a
    student opens the next level only after reading the one before."""
    text = ""
    for level in range(len(item.hints), 0, -1):
        inner = f"\n\n{text}" if text else ""
        label = "Hint" if level == 1 else "A closer hint"
        text = f"<details><summary>{label} ({level} of {len(item.hints)})</summary>\n\n{item.hints[level - 1]}{inner}\n\n</details>"
    return text


def explanation(item: catalogue.Item) -> str:
    questions = ", ".join(item.questions)
    lines = [
        f"## {item.title}",
        "",
        f"Item `{item.id}`, questionnaire {questions}, {item.points} points.",
        "",
        item.prompt,
        "",
        hint_levels(item),
    ]
    if item.why:
        lines += ["", f"**In words ({WHY_POINTS} point, graded by hand):** {item.why} "
                  "Answer in the text cell after the checks."]
    return "\n".join(lines)


def item_cells(item: catalogue.Item, answer: str) -> list[nbformat.NotebookNode]:
    cells = [
        new_markdown_cell(explanation(item), id=f"{item.id}-text"),
        _code(item.id, answer, solution=True, grade=False, locked=False),
        _code(f"{item.id}_tests", HIDDEN_TESTS.format(item_id=item.id),
              solution=False, grade=True, locked=True, points=item.points),
    ]
    if item.why:
        why_id = f"{item.id}_why"
        cells.append(new_markdown_cell(WHY_ANSWER, id=why_id, metadata=_nbgrader(
            why_id, solution=True, grade=True, locked=False, points=WHY_POINTS)))
    return cells


def notebook(module: str) -> nbformat.NotebookNode:
    parts = module_parts.split((SOLUTIONS / f"{module}.py").read_text(), module)
    items = catalogue.by_id()
    cells = [
        new_markdown_cell(introduction(module), id=f"{module}-intro"),
        _code(f"{module}_setup", parts.setup, solution=False, grade=False, locked=True),
        _code(f"{module}_checks", "from nbchecks import check", solution=False, grade=False, locked=True),
    ]
    for item_id, answer in parts.answers.items():
        cells += item_cells(items[item_id], answer)
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC,
                                               "language_info": {"name": "python"}})


def _notebook_text(nb: nbformat.NotebookNode) -> str:
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def expected_files() -> dict[str, str]:
    """Relative path in source/foundations/ -> the content it must have."""
    files = {notebook_name(module): _notebook_text(notebook(module)) for module in catalogue.modules()}
    files["nbchecks.py"] = COPY_HEADER.format(source="course/notebook_files/nbchecks.py") + \
        (FILES / "nbchecks.py").read_text()
    files["pytest.ini"] = (FILES / "pytest.ini").read_text()
    files["items.json"] = items_json()
    for name in [*(f"test_{module}.py" for module in catalogue.modules()), "feedback.py"]:  # the tests' helper too
        files[name] = COPY_HEADER.format(source=f"public/{name}") + (PUBLIC / name).read_text()
    return files


def write(folder: Path) -> None:
    """Write the source assignment into `folder` (e.g. source/foundations), replacing it."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.is_file():
            path.unlink()
    for name, text in expected_files().items():
        (folder / name).write_text(text)
