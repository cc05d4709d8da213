"""Cutting a module into notebook cells and putting it back loses nothing."""

from __future__ import annotations

import ast

import pytest

from autograder import catalogue
from autograder.course import module_parts
from autograder.loading import load_file
from autograder.paths import SOLUTIONS


def top_level_names(code: str) -> set[str]:
    return {node.name for node in ast.parse(code).body if hasattr(node, "name")}


@pytest.mark.parametrize("module", catalogue.modules())
def test_each_item_gets_exactly_its_names(module):
    parts = module_parts.split((SOLUTIONS / f"{module}.py").read_text(), module)
    assert set(parts.answers) == {item.id for item in catalogue.items_of(module)}
    for item in catalogue.items_of(module):
        assert top_level_names(parts.answers[item.id]) == {*item.names, *item.helpers}
    assert not top_level_names(parts.setup) & set(module_parts.owners(module))


@pytest.mark.parametrize("module", catalogue.modules())
def test_split_then_assemble_gives_a_working_module(module, tmp_path):
    parts = module_parts.split((SOLUTIONS / f"{module}.py").read_text(), module)
    path = tmp_path / f"{module}.py"
    path.write_text(module_parts.assemble(parts.setup, parts.answers))
    rebuilt = load_file(path, f"rebuilt_{module}")
    for item in catalogue.items_of(module):
        for name in item.names:
            assert callable(getattr(rebuilt, name)), f"{module}.{name} went missing"


def test_a_missing_answer_drops_only_its_own_names(tmp_path):
    parts = module_parts.split((SOLUTIONS / "neurons.py").read_text(), "neurons")
    answers = {item: code for item, code in parts.answers.items() if item != "relu"}
    path = tmp_path / "neurons.py"
    path.write_text(module_parts.assemble(parts.setup, answers))
    rebuilt = load_file(path, "rebuilt_without_relu")
    assert not hasattr(rebuilt, "relu")
    assert callable(rebuilt.neuron) and callable(rebuilt.transpose)


@pytest.mark.parametrize("module", catalogue.modules())
def test_answer_lines_point_at_each_answer_in_the_assembled_module(module):
    parts = module_parts.split((SOLUTIONS / f"{module}.py").read_text(), module)
    answers = dict(parts.answers)
    answers[next(iter(answers))] = "\n# a student's first line\n" + next(iter(answers.values()))
    lines = module_parts.assemble(parts.setup, answers).splitlines()
    spans = module_parts.answer_lines(parts.setup, answers)
    assert [item for _, _, item in spans] == [item for item, code in answers.items() if code.strip()]
    for first, last, item in spans:
        cell = answers[item].rstrip("\n").splitlines()
        assert lines[first - 1:last] == cell, item
