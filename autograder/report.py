"""One result model for a graded submission, and its renderers.

`Report.to_json()` is the contract of docs/SPEC.md; the table, Markdown,
JUnit XML and Gradescope's results.json are other views of the same data.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from autograder import catalogue
from autograder.student.progress_report import markdown_cell

STATUSES = ("passed", "partial", "failed", "error", "missing", "timeout")


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class, despite the name

    name: str
    passed: bool
    message: str = ""
    weight: float = 1.0


@dataclass
class ItemResult:
    id: str
    score: float
    max_score: float
    status: str
    tests: list[TestResult] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)

    @property
    def first_failure(self) -> str:
        return next((t.message for t in self.tests if not t.passed), "")


@dataclass
class Report:
    items: list[ItemResult]

    @property
    def score(self) -> float:
        return round(sum(i.score for i in self.items), 4)

    @property
    def max_score(self) -> float:
        return float(sum(i.max_score for i in self.items))

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "items": [
                {
                    "id": item.id,
                    "score": item.score,
                    "max_score": item.max_score,
                    "status": item.status,
                    "tests": [
                        {"name": t.name, "passed": t.passed, "message": t.message}
                        for t in item.tests
                    ],
                    "devices": item.devices,
                }
                for item in self.items
            ],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        return cls(
            [
                ItemResult(
                    id=i["id"], score=i["score"], max_score=i["max_score"], status=i["status"],
                    tests=[TestResult(t["name"], t["passed"], t["message"]) for t in i["tests"]],
                    devices=i.get("devices", []),
                )
                for i in data["items"]
            ]
        )


def score_item(item: catalogue.Item, tests: list[TestResult], *, missing=False,
               error=False, timed_out=False) -> ItemResult:
    """Partial credit by test weight; the status says why points were lost."""
    total = sum(t.weight for t in tests)
    earned = sum(t.weight for t in tests if t.passed)
    score = 0.0 if missing or not total else round(item.points * earned / total, 4)
    if missing:
        status = "missing"
    elif score == item.points:
        status = "passed"
    elif error:
        status = "error"
    elif score > 0:
        status = "partial"
    elif timed_out:
        status = "timeout"
    else:
        status = "failed"
    return ItemResult(item.id, score, float(item.points), status, tests)


# -- renderers -------------------------------------------------------------------------


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"


def to_markdown(report: Report) -> str:
    lines = [
        f"## Points {report.score:g}/{report.max_score:g}",
        "",
        "| item | points | status | first failure | devices |",
        "|---|---|---|---|---|",
    ]
    for item in report.items:
        # The failure can quote the submission, and a report read back from a file is anyone's text.
        lines.append(
            f"| `{item.id}` | {item.score:g}/{item.max_score:g} | {markdown_cell(item.status)} "
            f"| {markdown_cell(item.first_failure)} | {markdown_cell(', '.join(item.devices))} |"
        )
    return "\n".join(lines) + "\n"


def to_gradescope(report: Report) -> str:
    """Gradescope's results.json: one test per item, output = what went wrong."""
    hints = {item.id: item for item in catalogue.load()}
    tests = []
    for item in report.items:
        failed = [t for t in item.tests if not t.passed]
        output = "\n".join(f"- {t.name}: {t.message}" for t in failed)
        if not output:
            output = ("All checks passed." if item.status == "passed"
                      else f"{hints[item.id].module}.py is missing from the submission."
                      if item.status == "missing" and item.id in hints
                      else item.first_failure or item.status)
        if item.score < item.max_score and item.id in hints:
            output += f"\n\nHint: {hints[item.id].hint}"
        tests.append(
            {
                "name": f"{item.id}: {hints[item.id].title}" if item.id in hints else item.id,
                "score": item.score,
                "max_score": item.max_score,
                "status": "passed" if item.status == "passed" else "failed",
                "output": output,
                "visibility": "visible",
            }
        )
    return json.dumps(
        {"score": report.score, "output": f"Points {report.score:g}/{report.max_score:g}",
         "visibility": "visible", "tests": tests},
        indent=2,
    ) + "\n"


def to_junit(report: Report) -> str:
    """JUnit XML: a test suite per item, a test case per check."""
    suites = ET.Element("testsuites", name="autograder", tests=str(sum(len(i.tests) for i in report.items)))
    for item in report.items:
        failures = sum(not t.passed for t in item.tests)
        suite = ET.SubElement(
            suites, "testsuite", name=item.id, tests=str(max(1, len(item.tests))),
            failures=str(failures if item.tests else 1), errors="0",
        )
        ET.SubElement(suite, "properties")
        for key, value in (("score", item.score), ("max_score", item.max_score), ("status", item.status)):
            ET.SubElement(suite[0], "property", name=key, value=str(value))
        for test in item.tests:
            case = ET.SubElement(suite, "testcase", classname=item.id, name=test.name)
            if not test.passed:
                message = _xml_text(test.message)
                ET.SubElement(case, "failure", message=message[:500]).text = message
        if not item.tests:
            case = ET.SubElement(suite, "testcase", classname=item.id, name=item.status)
            ET.SubElement(case, "failure", message=item.status)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _xml_text(text: str) -> str:
    """XML 1.0 allows no control characters but tab and newlines; a student's
    exception message (an ANSI colour code, say) may carry any."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text)


def to_table(report: Report, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    colours = {"passed": "green", "partial": "yellow", "failed": "red", "error": "red",
               "missing": "magenta", "timeout": "red"}
    table = Table(title=f"Points {report.score:g}/{report.max_score:g}", show_lines=False)
    for column in ("item", "points", "status", "first failure", "devices"):
        table.add_column(column, overflow="fold")
    for item in report.items:
        table.add_row(
            item.id, f"{item.score:g}/{item.max_score:g}",
            f"[{colours[item.status]}]{item.status}[/]", item.first_failure[:160],
            ", ".join(item.devices),
        )
    console = console or Console()
    if not console.is_terminal:
        console.width = 160  # a log or a pipe: do not wrap at 80 columns
    console.print(table)


RENDERERS = {"json": to_json, "markdown": to_markdown, "gradescope": to_gradescope, "junit": to_junit}
