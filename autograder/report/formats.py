"""The formats of a report: JSON (docs/SPEC.md), Markdown, Gradescope's
results.json, JUnit XML and the terminal's table, all views of one
`model.Report`. Each escapes what a submission controls for its own
syntax (autograder/safe_text.py), so none can be broken by a string.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from autograder import catalogue
from autograder.report.model import Report
from autograder.safe_text import NAME_LIMIT, clean, markdown, markdown_code, terminal

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
