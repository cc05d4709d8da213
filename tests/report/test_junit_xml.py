"""The JUnit XML report against the rules of Jenkins' junit-10.xsd (tests/support/junit_schema.py)."""

from __future__ import annotations

import pytest

from autograder import catalogue
from autograder.report.formats import to_junit
from autograder.report.model import Report, TestResult, score_item
from support.junit_schema import REQUIRED_BUT_ERRORS, problems


def junit_of(message: str) -> str:
    """Passed, failed and missing items; the failures say `message`."""
    items = []
    for number, item in enumerate(catalogue.load()):
        tests = [TestResult("test_values", number % 2 == 0, message), TestResult("test_device", True)]
        items.append(score_item(item, tests if number % 5 else [], missing=number % 5 == 0))
    return to_junit(Report(items))


@pytest.fixture
def junit() -> str:
    return junit_of('expected <a & "b">, got \'c\'')


def test_the_report_follows_the_schema(junit):
    assert problems(junit, REQUIRED_BUT_ERRORS) == []


def test_every_suite_carries_its_errors_count(junit):
    assert problems(junit) == []


def test_a_message_with_control_characters_stays_xml():
    # a student's own exception message can carry any character, an ANSI colour code say
    assert problems(junit_of("ValueError: \x1b[31mbad shape\x1b[0m"), REQUIRED_BUT_ERRORS) == []


@pytest.mark.parametrize(("broken", "problem"), [
    ("<testsuite name='x' tests='0' failures='0' errors='0'/>", "the root is <testsuite>"),
    ("<testsuites><testcase name='a'/></testsuites>", "<testcase> inside <testsuites>"),
    ("<testsuites><testsuite name='x' tests='1' failures='0' errors='0'><testcase/></testsuite></testsuites>",
     "<testcase> without name="),
    ("<testsuites><testsuite name='x' tests='2' failures='0' errors='0'><testcase name='a'/></testsuite>"
     "</testsuites>", "says tests=2, holds 1"),
    ("<testsuites><testsuite name='x' tests='1' failures='0' errors='0'><testcase name='a'>"
     "<failure/></testcase></testsuite></testsuites>", "says failures=0, holds 1"),
    ("<testsuites><testsuite name='x' tests='one' failures='0' errors='0'/></testsuites>", "is not a count"),
    ("<testsuites><testsuite name='x' tests='0' failures='0'/></testsuites>", "without errors="),
    ("<testsuites", "not XML"),
])
def test_the_check_finds_what_breaks_the_schema(broken, problem):
    assert any(problem in found for found in problems(broken))
