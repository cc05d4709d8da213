"""The renderers: one result model, five faithful views of it."""

from __future__ import annotations

import ast
import json
import math
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from autograder import catalogue
from autograder.hosts.gradescope import run
from autograder.paths import HIDDEN
from autograder.report import formats
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


# -- Gradescope: visibility and the speed ladder's leaderboard ----------------------------


def strict_json(text: str) -> dict:
    """json.loads that refuses NaN and Infinity, which are not JSON (Gradescope cannot read them)."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_gradescope_shows_everything_by_default(report):
    data = strict_json(to_gradescope(report))
    assert data["visibility"] == "visible" and "stdout_visibility" not in data
    assert {t["visibility"] for t in data["tests"]} == {"visible"}
    assert run.with_visibility(json.loads(to_gradescope(report)), "visible") == data  # what run.py does by default


@pytest.mark.parametrize("visibility, line", [("after_due_date", "after the due date"),
                                              ("after_published", "once the grades are published")])
def test_gradescope_items_shown_later_keep_the_points_visible(report, visibility, line):
    """Every item comes from the hidden suites, so each one's test case waits;
    the result as a whole, and its output with the points, do not."""
    data = run.with_visibility(strict_json(to_gradescope(report)), visibility)
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert data["visibility"] == "visible" and data["score"] == report.score
    assert [t["visibility"] for t in data["tests"]] == [visibility] * len(report.items)
    assert data["output"].startswith(f"Points {report.score:g}/90\n") and data["output"].endswith(line + ".")


# A passed speed check's message, as the pipeline writes it for each rung.
LADDER_MESSAGES = {"matmul_elementwise": "speed-up 42.1x over matmul_loops",
                   "matmul_broadcast": "speed-up 92.1x over matmul_elementwise",
                   "matmul_einsum": "speed-up 45.1x over matmul_broadcast"}


def ladder_report(passed: dict[str, str], *, failed_checks: tuple[str, ...] = ()) -> Report:
    """Every item passed, but the matmul variants: each passes its speed check
    with the message in `passed`, fails it when absent, and fails one other
    check when named in `failed_checks`."""
    items = []
    for item in catalogue.load():
        tests = [TestResult("test_values", item.id not in failed_checks, "expected (2, 3), got (3, 2)")]
        if item.id in formats.LADDER:
            speed = (TestResult(f"test_speed[{item.id}]", True, passed[item.id]) if item.id in passed else
                     TestResult(f"test_speed[{item.id}]", False, f"{item.id} should be at least 5x faster; it was 2.1x"))
            tests.append(speed)
        items.append(score_item(item, tests))
    return Report(items)


def leaderboard_of(report: Report) -> dict[str, float]:
    data = strict_json(to_gradescope(report))
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert all(entry["order"] == "desc" for entry in data.get("leaderboard", []))
    return {entry["name"]: entry["value"] for entry in data.get("leaderboard", [])}


def test_the_leaderboard_has_each_rung_the_grading_measured():
    assert leaderboard_of(ladder_report(LADDER_MESSAGES)) == {
        "matmul_elementwise speed-up over matmul_loops": 42.1,
        "matmul_broadcast speed-up over matmul_elementwise": 92.1,
        "matmul_einsum speed-up over matmul_broadcast": 45.1,
    }


def test_the_leaderboard_leaves_out_rungs_not_measured_failed_or_wrong():
    assert leaderboard_of(ladder_report({})) == {}  # no speed check passed: no leaderboard at all
    assert "leaderboard" not in json.loads(to_gradescope(ladder_report({})))
    only_first = {"matmul_elementwise": LADDER_MESSAGES["matmul_elementwise"]}
    assert list(leaderboard_of(ladder_report(only_first))) == ["matmul_elementwise speed-up over matmul_loops"]
    # fast but wrong elsewhere: speed counts only for an item that passed every check
    assert list(leaderboard_of(ladder_report(LADDER_MESSAGES, failed_checks=("matmul_broadcast",)))) == [
        "matmul_elementwise speed-up over matmul_loops", "matmul_einsum speed-up over matmul_broadcast"]
    # a figure measured against another rung than the ladder's is not this rung's
    assert leaderboard_of(ladder_report({"matmul_einsum": "speed-up 9.0x over matmul_loops"})) == {}


def test_the_leaderboard_is_empty_for_the_stubs(report):
    stubs = Report([score_item(item, [TestResult("test_values", False, "raised NotImplementedError")])
                    for item in catalogue.load()])
    assert leaderboard_of(stubs) == {} and leaderboard_of(report) == {}


@pytest.mark.parametrize("figure", ["nan", "inf", "-inf", "infinity", "-3.0", "0.0", "-0.0", "1e308", "1e400",
                                    "9" * 400 + ".0", "0x10", "42.1.1", "1_000", "\u0661\u0662"])
def test_a_hostile_timing_never_breaks_the_json(figure):
    """The submission controls how long its code takes: whatever figure that
    gives, results.json stays JSON, with finite positive values only."""
    message = f"speed-up {figure}x over matmul_loops"
    board = leaderboard_of(ladder_report({**LADDER_MESSAGES, "matmul_elementwise": message}))
    assert len(board) in (2, 3) and all(0 < v <= formats.LEADERBOARD_MAX for v in board.values())
    assert all(isinstance(v, float) and math.isfinite(v) for v in board.values())


def test_the_ladder_is_the_one_the_hidden_suite_times():
    """Read from autograder/hidden/test_matmul.py, not imported: it is a suite, not a module."""
    tree = ast.parse((HIDDEN / "test_matmul.py").read_text())
    ladder = next(node.value for node in tree.body
                  if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "LADDER")
    assert formats.LADDER == {row.elts[0].value: row.elts[1].value for row in ladder.elts}
