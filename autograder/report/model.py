"""One result model for a graded submission, and its renderers.

`Report.to_json()` is the contract of docs/SPEC.md; the table, Markdown,
JUnit XML and Gradescope's results.json are other views of the same data.
What a submission controls in it (messages, names) is cleaned when a result
is built and escaped by each renderer (autograder/safe_text.py), so every
format is bounded and none can be broken by a string.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from autograder import catalogue
from autograder.safe_text import NAME_LIMIT, clean, markdown, markdown_code, terminal

STATUSES = ("passed", "partial", "failed", "error", "missing", "timeout")


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class, despite the name

    name: str
    passed: bool
    message: str = ""
    weight: float = 1.0

    def __post_init__(self):
        self.name = clean(self.name, NAME_LIMIT)
        self.message = clean(self.message)


@dataclass
class ItemResult:
    id: str
    score: float
    max_score: float
    status: str
    tests: list[TestResult] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.id = clean(self.id, NAME_LIMIT)
        self.status = clean(self.status, NAME_LIMIT)
        self.devices = clean_devices(self.devices)

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
                    "devices": clean_devices(item.devices),  # set after the item was built
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


def clean_devices(devices: list[str]) -> list[str]:
    return [clean(device, NAME_LIMIT) for device in devices]


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


SHORT_MESSAGE = 200  # characters of the first failure in a table row (terminal, Markdown)


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
        lines.append(
            f"| {markdown_code(item.id)} | {item.score:g}/{item.max_score:g} "
            f"| {markdown(item.status, NAME_LIMIT)} | {markdown(item.first_failure, SHORT_MESSAGE)} "
            f"| {markdown(', '.join(item.devices), NAME_LIMIT)} |"
        )
    return "\n".join(lines) + "\n"


def to_gradescope(report: Report) -> str:
    """Gradescope's results.json: one test per item, output = what went wrong."""
    hints = {item.id: item for item in catalogue.load()}
    tests = []
    for item in report.items:
        failed = [t for t in item.tests if not t.passed]
        output = "\n".join(f"- {clean(t.name, NAME_LIMIT)}: {clean(t.message)}" for t in failed)
        if not output:
            output = ("All checks passed." if item.status == "passed"
                      else f"{hints[item.id].module}.py is missing from the submission."
                      if item.status == "missing" and item.id in hints
                      else clean(item.first_failure) or clean(item.status, NAME_LIMIT))
        if item.score < item.max_score and item.id in hints:
            output += f"\n\nHint: {hints[item.id].hint}"
        tests.append(
            {
                "name": f"{item.id}: {hints[item.id].title}" if item.id in hints
                        else clean(item.id, NAME_LIMIT),
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
    """JUnit XML: a test suite per item, a test case per check.

    ElementTree escapes markup, but writes surrogates and control characters
    as they are (invalid XML, or a crash): every text is cleaned first."""
    suites = ET.Element("testsuites", name="autograder", tests=str(sum(len(i.tests) for i in report.items)))
    for item in report.items:
        item_id, failures = clean(item.id, NAME_LIMIT), sum(not t.passed for t in item.tests)
        suite = ET.SubElement(
            suites, "testsuite", name=item_id, tests=str(max(1, len(item.tests))),
            failures=str(failures if item.tests else 1), errors="0",
        )
        ET.SubElement(suite, "properties")
        for key, value in (("score", item.score), ("max_score", item.max_score), ("status", item.status)):
            ET.SubElement(suite[0], "property", name=key, value=clean(value, NAME_LIMIT))
        for test in item.tests:
            case = ET.SubElement(suite, "testcase", classname=item_id, name=clean(test.name, NAME_LIMIT))
            if not test.passed:
                message = clean(test.message)
                ET.SubElement(case, "failure", message=message).text = message
        if not item.tests:
            status = clean(item.status, NAME_LIMIT)
            case = ET.SubElement(suite, "testcase", classname=item_id, name=status)
            ET.SubElement(case, "failure", message=status)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def to_table(report: Report, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    colours = {"passed": "green", "partial": "yellow", "failed": "red", "error": "red",
               "missing": "magenta", "timeout": "red"}
    table = Table(title=f"Points {report.score:g}/{report.max_score:g}", show_lines=False)
    for column in ("item", "points", "status", "first failure", "devices"):
        table.add_column(column, overflow="fold")
    for item in report.items:
        # Text objects, never markup: a `[/]` in a message is two characters.
        table.add_row(
            terminal(item.id, NAME_LIMIT), f"{item.score:g}/{item.max_score:g}",
            terminal(item.status, NAME_LIMIT, style=colours.get(item.status, "red")),
            terminal(item.first_failure, SHORT_MESSAGE), terminal(", ".join(item.devices), NAME_LIMIT),
        )
    console = console or Console()
    if not console.is_terminal:
        console.width = 160  # a log or a pipe: do not wrap at 80 columns
    console.print(table)


RENDERERS = {"json": to_json, "markdown": to_markdown, "gradescope": to_gradescope, "junit": to_junit}
