"""The hidden grader: full marks for the reference, none for the stubs, and every
known mistake costs its own item and no other."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from autograder import catalogue
from conftest import EXERCISES, SOLUTIONS
from grading_support import grade, scores

BANK = [importlib.import_module(f"bank.{path.stem}")
        for path in sorted((Path(__file__).parent / "bank").glob("*.py")) if path.stem != "__init__"]
MISTAKES = [edit for module in BANK for edit in module.MISTAKES]
ALTERNATIVES = [edit for module in BANK for edit in getattr(module, "ALTERNATIVES", [])]


@pytest.fixture(scope="module")
def reference_report(tmp_path_factory):
    return grade(SOLUTIONS)


def test_reference_gets_full_marks(reference_report):
    failed = {i: s for i, s in scores(reference_report).items() if s[0] != s[1]}
    assert not failed, reference_report
    assert reference_report["score"] == reference_report["max_score"] == 90


def test_report_has_every_item_in_spec_order(reference_report):
    assert [i["id"] for i in reference_report["items"]] == [i.id for i in catalogue.load()]
    for item in reference_report["items"]:
        assert item["status"] == "passed" and item["tests"], item["id"]


def test_untouched_stubs_get_nothing(tmp_path):
    folder = tmp_path / "stubs"
    shutil.copytree(EXERCISES, folder)
    report = grade(folder)
    assert {i: s[0] for i, s in scores(report).items() if s[0] != 0} == {}
    assert report["score"] == 0


def module_folder(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir()
    edit.apply(folder)
    return folder


@pytest.mark.parametrize("edit", MISTAKES, ids=lambda e: e.id)
def test_mistake_costs_its_own_item_only(edit, tmp_path):
    report = scores(grade(module_folder(tmp_path, edit)))
    score, max_score, _ = report[edit.item]
    assert score < max_score, f"{edit.id} was not caught"
    others = {item.id: report[item.id] for item in catalogue.items_of(edit.module)
              if item.id != edit.item and report[item.id][0] != report[item.id][1]}
    assert not others, f"{edit.id} also cost {others}"


@pytest.mark.parametrize("edit", ALTERNATIVES, ids=lambda e: e.id)
def test_correct_alternative_keeps_full_marks(edit, tmp_path):
    report = scores(grade(module_folder(tmp_path, edit)))
    lost = {item.id: report[item.id] for item in catalogue.items_of(edit.module)
            if report[item.id][0] != report[item.id][1]}
    assert not lost, f"{edit.id} lost points: {lost}"


def test_same_submission_same_score_twice(tmp_path):
    folder = tmp_path / "twice"
    folder.mkdir()
    for edit in MISTAKES[:1]:
        edit.apply(folder)
    assert scores(grade(folder)) == scores(grade(folder))
