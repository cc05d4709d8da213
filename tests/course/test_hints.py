"""Hints teach before they tell: level 1 holds no code of the answer, no level
quotes a line of the reference solution."""

from __future__ import annotations

import ast
import re
from functools import cache

import pytest

from autograder import catalogue
from autograder.course import stubs
from autograder.paths import SOLUTIONS
from support.leaks import solution_lines, squeezed

SHORTEST_EXPRESSION = 6  # characters, spaces aside: `x @ w` and shorter prove nothing


def solution_body(module: str) -> list[str]:
    """The lines between the solution markers of a module (stubs.regions finds them)."""
    source = (SOLUTIONS / f"{module}.py").read_text()
    lines = [line.strip() for line in source.splitlines()]
    inside = [lines[i] for region in stubs.regions(source, module) for i in range(region.begin + 1, region.end)]
    return [line for line in inside if line and not line.startswith("#")]


@cache
def solution_expressions(module: str) -> frozenset[str]:
    """Every call, operation, subscript or attribute of the module's solutions,
    as ast writes it, without spaces."""
    found = set()
    for line in solution_body(module):
        source = line + "\n    pass" if line.endswith(":") else line
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a line of a statement that spans several
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Call, ast.BinOp, ast.Subscript, ast.Compare, ast.Attribute)):
                text = squeezed(ast.unparse(node))
                if len(text) >= SHORTEST_EXPRESSION:
                    found.add(text)
    return frozenset(found)


def expressions_in(hint: str, module: str) -> list[str]:
    flat = squeezed(hint)
    return sorted(e for e in solution_expressions(module) if e in flat)


ITEMS = catalogue.load()


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item.id)
def test_the_first_level_shows_no_expression_of_the_solution(item):
    assert expressions_in(item.hints[0], item.module) == []


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item.id)
def test_no_level_quotes_a_line_of_the_solution(item):
    for level, hint in enumerate(item.hints, 1):
        quoted = [line for line in solution_lines() if squeezed(line) in squeezed(hint)]
        assert quoted == [], f"level {level}"


def test_every_item_has_levels_and_the_first_names_a_section():
    sections = ("Modeling a Neuron", "Matrix Multiplication", "Elementwise Arithmetic", "Broadcasting",
                "Einstein Summation", "Forward and Backward", "Defining and Initializing",
                "Gradients and the Backward", "Refactoring the Model", "Going to PyTorch", "Further Research",
                "SymPy")  # the chapter's own section titles
    for item in ITEMS:
        assert 2 <= len(item.hints) <= 3, item.id
        assert any(section.lower() in item.hints[0].lower() for section in sections), item.id


def test_the_check_finds_an_expression_of_the_solution():
    """The checks above can fail: today's old hints would."""
    assert expressions_in("the product is `x @ w.t()` plus the bias", "neurons")
    line = next(line for line in solution_body("matmul") if "+=" in line)
    assert [q for q in solution_lines() if squeezed(q) in squeezed(f"write `{line}` in the loop")]
    assert re.search(r"\w", line)
