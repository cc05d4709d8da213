"""The catalogue says exactly what docs/SPEC.md says about every item."""

from __future__ import annotations

import re

import pytest

from autograder import catalogue
from autograder.paths import ROOT

SPEC = ROOT / "docs" / "SPEC.md"
SHARED_SPEC = ROOT.parent / "shared" / "SPEC.md"

SECTION = re.compile(r"^### (\w+)\.py:")
ROW = re.compile(r"^\| `(\w+)` \| ([^|]+) \| (\d+) \| (.*) \|$")


def spec_rows() -> list[dict]:
    rows, module = [], None
    for line in SPEC.read_text().splitlines():
        if heading := SECTION.match(line):
            module = heading.group(1)
        elif row := ROW.match(line):
            item_id, questions, points, text = row.groups()
            rows.append(
                {
                    "id": item_id,
                    "module": module,
                    "questions": tuple(q.strip() for q in questions.split(",")),
                    "points": int(points),
                    "text": text,
                }
            )
    return rows


def test_spec_copy_is_current():
    if not SHARED_SPEC.exists():
        pytest.skip("no ../shared/SPEC.md beside this checkout to compare with")
    assert SPEC.read_text() == SHARED_SPEC.read_text(), "docs/SPEC.md differs from shared/SPEC.md"


def test_ids_modules_questions_points_in_spec_order():
    spec = [(r["id"], r["module"], r["questions"], r["points"]) for r in spec_rows()]
    ours = [(i.id, i.module, i.questions, i.points) for i in catalogue.load()]
    assert len(spec) == 39
    assert ours == spec


def test_every_name_appears_in_its_spec_row():
    rows = {r["id"]: r["text"] for r in spec_rows()}
    for item in catalogue.load():
        for name in item.names:
            assert re.search(rf"`{name}[`(]", rows[item.id]), f"{item.id}: {name} not in SPEC"


def test_fifty_three_public_names_each_once_per_module():
    names = [(i.module, n) for i in catalogue.load() for n in i.names]
    assert len(names) == 53
    assert len(set(names)) == 53


def test_eleven_modules_in_spec_order():
    assert catalogue.modules() == (
        "neurons", "matmul", "broadcasting", "einsum", "initialization", "loss",
        "backprop", "layers", "autograd_function", "modules", "research",
    )


def test_every_question_is_covered_and_no_other():
    covered = {q for item in catalogue.load() for q in item.questions}
    assert covered == set(catalogue.QUESTIONS)


def test_every_item_has_title_prompt_and_hint():
    for item in catalogue.load():
        assert item.title and item.prompt and item.hint, item.id
        assert len(item.prompt) < 400, f"{item.id}: the prompt should stay short"


def test_ids_are_unique_and_points_add_up_to_90():
    ids = [item.id for item in catalogue.load()]
    assert len(ids) == len(set(ids))
    assert catalogue.max_score() == 90


def test_uses_name_items_of_the_same_module():
    by_id = catalogue.by_id()
    for item in catalogue.load():
        for used in item.uses:
            assert used in by_id and used != item.id, f"{item.id} uses {used}"
            assert by_id[used].module == item.module, f"{item.id} uses {used} of another module"
