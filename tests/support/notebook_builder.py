"""Notebooks in the course's conventions, built here from module_parts.

The project's real notebooks (source/, release/) are generated elsewhere;
these tests build their own with nbformat, following the same conventions,
so they depend only on the catalogue and the solutions.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from autograder import catalogue
from autograder.course import module_parts
from autograder.paths import SOLUTIONS


def _meta(grade_id: str, *, solution: bool, grade: bool, locked: bool, points: int | None = None):
    nbgrader = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked,
                "schema_version": 3}
    if points is not None:
        nbgrader["points"] = points
    return {"nbgrader": nbgrader}


def test_cell_source(item_id: str) -> str:
    return ("### BEGIN HIDDEN TESTS\n"
            "from autograder.hosts.notebook_kernel import grade_item\n"
            f'grade_item("{item_id}")\n'
            "### END HIDDEN TESTS\n"
            f'check("{item_id}")')


test_cell_source.__test__ = False  # a builder, not a test


def source_notebook(module: str):
    """The source notebook of a module, solutions included."""
    parts = module_parts.split((SOLUTIONS / f"{module}.py").read_text(), module)
    items = catalogue.by_id()
    cells = [
        new_markdown_cell(f"# {module}"),
        new_code_cell(parts.setup, metadata=_meta(f"{module}_setup", solution=False,
                                                  grade=False, locked=True)),
        new_code_cell("from nbchecks import check", metadata=_meta(
            f"{module}_checks", solution=False, grade=False, locked=True)),
    ]
    for item_id, code in parts.answers.items():
        cells += [
            new_markdown_cell(f"## {items[item_id].title}"),
            new_code_cell(code, metadata=_meta(item_id, solution=True, grade=False, locked=False)),
            new_code_cell(test_cell_source(item_id), metadata=_meta(
                f"{item_id}_tests", solution=False, grade=True, locked=True,
                points=items[item_id].points)),
        ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def stub_notebook(module: str):
    """A notebook as a student gets it, untouched: nbgrader's own release steps
    replace each solution region with its stub and drop the hidden tests."""
    notebook = source_notebook(module)
    for step in (ClearSolutions(), ClearHiddenTests()):
        notebook, _ = step.preprocess(notebook, {})
    return notebook


def file_name(module: str) -> str:
    return f"{catalogue.modules().index(module) + 1:02d}_{module}.ipynb"


def write(notebook, folder: Path, module: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(module)
    nbformat.write(notebook, path)
    return path


def answer_cell(notebook, item_id: str):
    return next(cell for cell in notebook.cells
                if cell.metadata.get("nbgrader", {}).get("grade_id") == item_id)
