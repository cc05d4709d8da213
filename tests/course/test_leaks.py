"""Nothing private reaches students: not in exercises/, not in release/."""

from __future__ import annotations

import json
import shutil

import pytest

from autograder.paths import ROOT, SOLUTIONS
from support.leaks import find_leaks, quotable_lines, solution_lines

SHIPPED = [folder for folder in ("exercises", "release") if (ROOT / folder).is_dir()]


@pytest.mark.parametrize("folder", SHIPPED)
def test_shipped_folder_leaks_nothing(folder):
    assert find_leaks(ROOT / folder) == []


def test_the_check_finds_a_solution_line(tmp_path):
    shutil.copy(SOLUTIONS / "matmul.py", tmp_path / "matmul.py")
    assert any("matmul.py:" in leak for leak in find_leaks(tmp_path))


def test_the_check_finds_a_hidden_test_line_in_a_notebook(tmp_path):
    import nbformat

    hidden = (ROOT / "autograder" / "hidden" / "test_matmul.py").read_text().splitlines()
    line = next(text.strip() for text in hidden if text.strip().startswith("checks.assert_faster("))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1\n    " + line)])
    nbformat.write(notebook, tmp_path / "answers.ipynb")
    assert find_leaks(tmp_path) != []


def test_the_check_finds_markers_and_private_folders(tmp_path):
    (tmp_path / "notes.md").write_text("### BEGIN HIDDEN TESTS\n")
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "empty.txt").write_text("")
    leaks = find_leaks(tmp_path)
    assert any("BEGIN HIDDEN TESTS" in leak for leak in leaks)
    assert any(leak.startswith("solutions") for leak in leaks)


def test_solution_lines_are_many_and_specific():
    lines = solution_lines()
    assert len(lines) > 100
    assert "return out" not in lines  # too short to prove anything


def test_the_check_finds_a_solution_line_quoted_inside_a_hint(tmp_path):
    """A hint in items.json quotes code mid-sentence, in a JSON string."""
    line = next(line for line in sorted(quotable_lines()) if "+=" in line)
    (tmp_path / "items.json").write_text(json.dumps([{"hints": [f"Write `{line}` in the loop."]}]))
    assert any("items.json: quotes" in leak for leak in find_leaks(tmp_path))
    (tmp_path / "items.json").write_text(json.dumps([{"hints": ["Write one product per step."]}]))
    assert find_leaks(tmp_path) == []
