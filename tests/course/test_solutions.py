"""The reference solutions: complete, self-contained, and their examples true."""

from __future__ import annotations

import ast
import doctest
import sys

import pytest

from autograder import catalogue
from autograder.course.stubs import regions
from autograder.loading import load_file
from autograder.paths import SOLUTIONS

ALLOWED_THIRD_PARTY = {"torch", "numpy", "sympy"}


@pytest.mark.parametrize("module", catalogue.modules())
def test_defines_every_name_of_its_items(module):
    solution = load_file(SOLUTIONS / f"{module}.py", f"solution_{module}")
    for item in catalogue.items_of(module):
        for name in item.owned_names:
            assert hasattr(solution, name), f"solutions/{module}.py lacks {name} ({item.id})"


@pytest.mark.parametrize("module", catalogue.modules())
def test_imports_only_stdlib_torch_numpy_sympy(module):
    tree = ast.parse((SOLUTIONS / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}: relative import"
            tops = [node.module.split(".")[0]]
        else:
            continue
        for top in tops:
            assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, (
                f"solutions/{module}.py imports {top}"
            )


@pytest.mark.parametrize("module", catalogue.modules())
def test_every_item_has_a_solution_region(module):
    source = (SOLUTIONS / f"{module}.py").read_text()
    owners = {region.item.id for region in regions(source, module)}
    assert owners == {item.id for item in catalogue.items_of(module)}


@pytest.mark.parametrize("module", catalogue.modules())
def test_docstring_examples_hold(module):
    solution = load_file(SOLUTIONS / f"{module}.py", f"solution_{module}_doctest")
    result = doctest.testmod(solution, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0, f"solutions/{module}.py has no examples"
