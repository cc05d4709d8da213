"""The formats of a report: JSON (docs/SPEC.md), Markdown, Gradescope's
results.json, JUnit XML and the terminal's table, all views of one
`model.Report`. Each escapes what a submission controls for its own
syntax (autograder/safe_text.py), so none can be broken by a string.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET

from autograder import catalogue
from autograder.report.model import Report
from autograder.safe_text import NAME_LIMIT, clean, markdown, markdown_code, terminal

SHORT_MESSAGE = 200  # characters of the first failure in a table row (terminal, Markdown)
TABLE_WIDTH = 100  # columns of the terminal's table
NOT_STARTED = "not started"  # shown for an untouched stub; the JSON keeps SPEC's "failed"
# The devices in a student's words: the simulated ones hold no data but behave like a GPU.
SIMULATED = "GPU (simulated)"
DEVICE_WORDS = {"cpu": "CPU", "cuda (simulated)": SIMULATED, "meta": SIMULATED, "cuda": "GPU"}
DEVICES_NOTE = (f"{SIMULATED}: a device with no data that behaves like a GPU, so a tensor made on the "
                "CPU by mistake (torch.zeros(...) without device=...) fails there as it would on a real GPU.")
# The speed ladder as the hidden suite times it (LADDER in autograder/hidden/test_matmul.py):
# each matmul variant of the submission against the reference's next-slower one.
LADDER = {"matmul_elementwise": "matmul_loops", "matmul_broadcast": "matmul_elementwise",
          "matmul_einsum": "matmul_broadcast"}
# What a passed speed check says it measured (grading/pipeline.py, hidden/checks.py assert_faster).
SPEED_UP = re.compile(r"speed-up (\S+)x over (\S+)")
LEADERBOARD_MAX = 1e6  # times faster; the reference's rungs measure 40-200


def points(value: float) -> str:
    """Points for people: at most two decimals (51.41, not 51.4143)."""
    return f"{round(value, 2):g}"


def not_started(item) -> bool:
    """Every check that failed hit the stub's NotImplementedError."""
    failed = [t for t in item.tests if not t.passed and t.weight]
    return (item.status == "failed" and bool(failed)
            and all("NotImplementedError" in t.message for t in failed))


def shown_status(item) -> str:
    return NOT_STARTED if not_started(item) else item.status


def shown_failure(item) -> str:
    return "still the stub (NotImplementedError)" if not_started(item) else item.first_failure


def shown_devices(item) -> str:
    return ", ".join(dict.fromkeys(DEVICE_WORDS.get(d, d) for d in item.devices))


def devices_note(report: Report) -> str | None:
    """The one line that explains the simulated GPU, where a row names it."""
    return DEVICES_NOTE if any(SIMULATED in shown_devices(item) for item in report.items) else None


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"


def to_markdown(report: Report) -> str:
    lines = [
        f"## Points {points(report.score)}/{points(report.max_score)}",
        "",
        "| item | points | status | first failure | checked on |",
        "|---|---|---|---|---|",
    ]
    for item in report.items:
        lines.append(
            f"| {markdown_code(item.id)} | {points(item.score)}/{points(item.max_score)} "
            f"| {markdown(shown_status(item), NAME_LIMIT)} | {markdown(shown_failure(item), SHORT_MESSAGE)} "
            f"| {markdown(shown_devices(item), NAME_LIMIT)} |"
        )
    if note := devices_note(report):
        lines += ["", note]
    return "\n".join(lines) + "\n"


def speed_up(item) -> float | None:
    """What the item's passed speed check measured, as a leaderboard value."""
    for test in item.tests:
        found = SPEED_UP.fullmatch(test.message)
        if test.passed and found and found[2] == LADDER[item.id]:
            try:
                value = float(found[1])
            except ValueError:
                return None
            # The timing is the submission's to influence: inf and nan are no
            # measurement (and no JSON), and no value outgrows LEADERBOARD_MAX.
            return round(min(value, LEADERBOARD_MAX), 1) if math.isfinite(value) and value > 0 else None
    return None


def leaderboard(report: Report) -> list[dict]:
    """Gradescope's leaderboard: each rung of the speed ladder this grading
    measured, for an item that passed every check (a fast wrong answer ranks
    nowhere); a rung not measured has no entry."""
    board = []
    for item in report.items:
        value = speed_up(item) if item.id in LADDER and item.status == "passed" else None
        if value is not None:
            board.append({"name": f"{item.id} speed-up over {LADDER[item.id]}", "value": value, "order": "desc"})
    return board


def to_gradescope(report: Report) -> str:
    """Gradescope's results.json: one test per item, output = what went wrong.

    Every item is graded by the hidden suites, so every test case is one;
    each is "visible" here, and the Gradescope runner changes that to the
    bundle's choice (hosts/gradescope/run.py, `with_visibility`)."""
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
    results = {"score": report.score, "output": f"Points {report.score:g}/{report.max_score:g}",
               "visibility": "visible", "tests": tests}
    if board := leaderboard(report):  # none without a measured rung: Gradescope shows no empty board
        results["leaderboard"] = board
    # allow_nan=False: a NaN would be a file Gradescope cannot read; failing here
    # makes the runner say the grader failed instead (hosts/gradescope/run.py).
    return json.dumps(results, indent=2, allow_nan=False) + "\n"


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
               "missing": "magenta", "timeout": "red", NOT_STARTED: "yellow"}
    console = console or Console()
    if not console.is_terminal:
        console.width = TABLE_WIDTH  # a log or a pipe: do not wrap at 80 columns
    table = Table(title=f"Points {points(report.score)}/{points(report.max_score)}", show_lines=False,
                  width=min(console.width, TABLE_WIDTH))
    table.add_column("item", overflow="fold", max_width=23)
    table.add_column("points", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("first failure", overflow="fold", ratio=1)
    table.add_column("checked on", overflow="fold", max_width=16)
    for item in report.items:
        # Text objects, never markup: a `[/]` in a message is two characters.
        status = shown_status(item)
        table.add_row(
            terminal(item.id, NAME_LIMIT), f"{points(item.score)}/{points(item.max_score)}",
            terminal(status, NAME_LIMIT, style=colours.get(status, "red")),
            terminal(shown_failure(item), SHORT_MESSAGE), terminal(shown_devices(item), NAME_LIMIT),
        )
    console.print(table)
    if note := devices_note(report):
        console.print(terminal(note, 400))


RENDERERS = {"json": to_json, "markdown": to_markdown, "gradescope": to_gradescope, "junit": to_junit}
