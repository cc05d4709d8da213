"""The renderers: one result model, five faithful views of it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from autograder import catalogue
from autograder.report.formats import to_gradescope, to_json, to_junit, to_markdown
from autograder.report.model import Report, TestResult, score_item
from autograder.report.saved import SCHEMA
from support import GRADESCOPE_SCHEMA


@pytest.fixture
def report() -> Report:
    items = []
    for number, item in enumerate(catalogue.load()):
        tests = [TestResult("test_values", number % 3 != 0, "" if number % 3 else "expected (2, 3), got (3, 2) | <x>", 2),
                 TestResult("test_device", True)]
        items.append(score_item(item, tests, missing=item.module == "research"))
    return Report(items)


def test_partial_credit_by_weight():
    item = catalogue.by_id()["matmul_loops"]  # 3 points
    result = score_item(item, [TestResult("a", True, weight=1), TestResult("b", False, "x", weight=2)])
    assert (result.score, result.status) == (1.0, "partial")
    assert score_item(item, [TestResult("a", False, "x")], timed_out=True).status == "timeout"
    assert score_item(item, [TestResult("a", False, "x")], error=True).status == "error"
    assert score_item(item, [TestResult("a", True)], missing=True).status == "missing"


def test_json_follows_the_spec(report):
    data = json.loads(to_json(report))
    jsonschema.validate(data, SCHEMA)  # the schema `render` reads reports with
    assert [i["id"] for i in data["items"]] == [i.id for i in catalogue.load()]
    assert data["score"] == sum(i["score"] for i in data["items"])
    assert Report.from_dict(data).to_dict() == data


def test_gradescope_results_json(report):
    data = json.loads(to_gradescope(report))
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert len(data["tests"]) == 39 and data["score"] == report.score
    failing = next(t for t in data["tests"] if t["status"] == "failed")
    assert "Hint:" in failing["output"]


def test_junit_xml_parses_with_a_suite_per_item(report):
    root = ET.fromstring(to_junit(report))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [i.id for i in catalogue.load()]
    failures = sum(int(s.get("failures")) for s in suites)
    assert failures == sum(not t.passed for i in report.items for t in i.tests)


def test_markdown_has_a_row_per_item_and_escapes_pipes(report):
    text = to_markdown(report)
    assert text.startswith(f"## Points {round(report.score, 2):g}/90")  # two decimals at most, for people
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == 39
    assert all(line.count(" | ") == 4 for line in rows)


def test_gradescope_says_a_module_is_missing_and_gives_the_hint(report):
    tests = {t["name"].split(":")[0]: t for t in json.loads(to_gradescope(report))["tests"]}
    missing = tests["conv2d_unfold"]
    assert missing["score"] == 0
    assert "research.py is missing" in missing["output"]
    assert catalogue.by_id()["conv2d_unfold"].hint in missing["output"]
    assert "All checks passed" not in missing["output"]
    assert tests["relu"]["output"] == "All checks passed."
