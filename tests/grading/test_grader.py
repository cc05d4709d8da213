"""The hidden grader: full marks for the reference, none for the stubs, and every
known mistake costs its own item and no other."""

from __future__ import annotations

import importlib
import re
import shutil

import pytest

from autograder import catalogue
from autograder.paths import EXERCISES, SOLUTIONS
from support import BANK
from support.grading_support import grade, graded_round, round_id, rounds, scores

BANK_MODULES = [importlib.import_module(f"support.bank.{path.stem}")
                for path in sorted(BANK.glob("*.py")) if path.stem != "__init__"]
MISTAKES = [edit for module in BANK_MODULES for edit in module.MISTAKES]
ALTERNATIVES = [edit for module in BANK_MODULES for edit in getattr(module, "ALTERNATIVES", [])]


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


NONE_BODY = re.compile(r"^( *)### BEGIN SOLUTION\n.*?^ *### END SOLUTION\n", re.M | re.S)


def test_bodies_that_return_none_get_nothing(tmp_path):
    """Every graded body replaced by `return None`: no item earns a point, not
    even for purity, restrictions or style, which count only for a right answer."""
    folder = tmp_path / "nothing"
    folder.mkdir()
    for path in SOLUTIONS.glob("*.py"):
        source = NONE_BODY.sub(lambda m: f"{m.group(1)}return None\n", path.read_text())
        (folder / path.name).write_text(source)
    report = grade(folder)
    assert {i: s[0] for i, s in scores(report).items() if s[0] != 0} == {}


def test_untouched_stubs_get_nothing(tmp_path):
    folder = tmp_path / "stubs"
    shutil.copytree(EXERCISES, folder)
    report = grade(folder)
    assert {i: s[0] for i, s in scores(report).items() if s[0] != 0} == {}
    assert report["score"] == 0


@pytest.mark.parametrize("batch", rounds(MISTAKES), ids=round_id)
def test_mistakes_cost_their_own_item_only(batch, tmp_path):
    report = graded_round(tmp_path, batch)
    problems = []
    for edit in batch:
        score, max_score, _ = report[edit.item]
        if score >= max_score:
            problems.append(f"not caught: {edit.id}")
    edited = {edit.item for edit in batch}
    for module in {edit.module for edit in batch}:
        for item in catalogue.items_of(module):
            if item.id not in edited and report[item.id][0] != report[item.id][1]:
                culprits = [e.id for e in batch if e.module == module]
                problems.append(f"{item.id} lost {report[item.id]}; edits of {module}: {culprits}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("batch", rounds(ALTERNATIVES), ids=round_id)
def test_correct_alternatives_keep_full_marks(batch, tmp_path):
    report = graded_round(tmp_path, batch)
    problems = [f"{i.id} lost {report[i.id]}; edits of {module}: {[e.id for e in batch if e.module == module]}"
                for module in {edit.module for edit in batch}
                for i in catalogue.items_of(module) if report[i.id][0] != report[i.id][1]]
    assert not problems, "\n".join(problems)


def test_the_bank_is_big_enough():
    assert len(MISTAKES) >= 60 and len(ALTERNATIVES) >= 20
    per_item = {item.id: sum(e.item == item.id for e in MISTAKES) for item in catalogue.load()}
    assert all(n >= 2 for n in per_item.values()), {i: n for i, n in per_item.items() if n < 2}


def test_same_submission_same_score_twice(tmp_path):
    folder = tmp_path / "twice"
    folder.mkdir()
    for edit in MISTAKES[:1]:
        edit.apply(folder)
    assert scores(grade(folder)) == scores(grade(folder))
