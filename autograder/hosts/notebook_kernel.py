"""The grader as seen from a notebook's hidden test cells.

During `nbgrader autograde` each notebook runs in its own Jupyter kernel whose
working directory is `autograded/<student>/<assignment>/`, where nbgrader has
just written the sanitized copy of the submitted notebook (and the notebooks
of this submission it already graded). A hidden test cell calls
`grade_item("<item id>")`: the first call in a kernel grades the item's module
from the answer cells of the notebooks in that folder, in the sandbox, in a
separate process; later calls reuse that report.

Everything is printed to stdout: nbgrader gives 0 points to a test cell that
writes anything to stderr (`nbgrader.utils.determine_grade`). The score
reaches nbgrader as the cell's last value, which `check(item_id)` returns via
`graded_score`: a float there is nbgrader's partial credit.

Student code runs in the same kernel before these cells, so a determined
student could forge what they print or return; `python -m autograder
gradebook` grades the submitted notebooks again outside any kernel and
writes those scores into the gradebook.
"""

from __future__ import annotations

import gc
import json
import sys
import tempfile
from pathlib import Path

import click

from autograder import catalogue
from autograder.grading import isolated
from autograder.paths import ROOT
from autograder.report.model import ItemResult, Report
from autograder.safe_text import NAME_LIMIT, clean

TIMEOUT = 100  # seconds for one module's grading: under nbgrader's cell timeout (120 s)
MAX_MESSAGES = 5  # failing checks shown per item

_reports: dict[tuple[str, str], Report | str] = {}  # (folder, module) -> report or failure
_scores: dict[str, float] = {}


def grade_item(item_id: str) -> float:
    """Grade one item (its whole module, once per kernel), print why, record and return the score."""
    item = catalogue.by_id().get(item_id)
    if item is None:
        print(f"{item_id}: not an item of this course; 0 points.")
        _scores[item_id] = 0.0
        return 0.0
    report = _module_report(str(Path.cwd()), item.module)
    if isinstance(report, str):
        print(f"{item_id}: 0/{item.points} points: the grader failed ({clean(report)}). "
              "Your instructor will grade this notebook again.")
        _scores[item_id] = 0.0
        return 0.0
    result = next(r for r in report.items if r.id == item_id)
    print(summary(result, item.hint))
    _scores[item_id] = float(result.score)
    return _scores[item_id]


def graded_score(item_id: str) -> float | None:
    """The score grade_item recorded in this process, or None if it did not run."""
    return _scores.get(item_id)


def summary(result: ItemResult, hint: str) -> str:
    """What a student reads in the feedback: score, failing checks, the hint."""
    lines = [f"{clean(result.id, NAME_LIMIT)}: {result.score:g}/{result.max_score:g} points "
             f"({clean(result.status, NAME_LIMIT)})"]
    failed = [t for t in result.tests if not t.passed]
    for test in failed[:MAX_MESSAGES]:
        lines.append(f"  - {clean(test.name, NAME_LIMIT)}: {clean(test.message)}")
    if len(failed) > MAX_MESSAGES:
        lines.append(f"  - ... and {len(failed) - MAX_MESSAGES} more failing checks")
    if result.score < result.max_score:
        lines.append(f"Hint: {hint}")
    return "\n".join(lines)


def _module_report(folder: str, module: str) -> Report | str:
    """The report of one module of the notebooks in `folder`, graded once.

    The grading runs in a fresh Python process: nothing the student's cells
    did to this kernel reaches it, and its own output (pytest, the sandbox's
    children) cannot land on this kernel's stderr.
    """
    key = (folder, module)
    if key not in _reports:
        with tempfile.TemporaryDirectory(prefix="grade-item-") as tmp:
            output = Path(tmp) / "report.json"
            try:
                done = isolated.run([sys.executable, "-m", "autograder.hosts.notebook_kernel", folder, module,
                                     str(output)], TIMEOUT, cwd=ROOT)
                if done.timed_out:
                    _reports[key] = f"grading took more than {TIMEOUT} s"
                elif done.returncode == 0 and output.is_file():
                    _reports[key] = Report.from_dict(json.loads(output.read_text()))
                else:
                    tail = done.output.strip().splitlines()[-1:] or ["no output"]
                    _reports[key] = f"exit status {done.returncode}: {tail[0][:200]}"
            except KeyboardInterrupt:
                # nbgrader's cell time limit: later cells must not wait all over again.
                _reports[key] = "grading was stopped by the cell's time limit"
                raise
    return _reports[key]


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("module", type=click.Choice(catalogue.modules()))
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
def _grade_module(folder: Path, module: str, output: Path) -> None:
    """Grade MODULE from the notebooks in FOLDER; write the JSON report to OUTPUT."""
    from autograder.sandbox.forkserver_client import fork_server

    fork_server()  # it imports torch while this process does the same
    from autograder.grading import pipeline
    from autograder.report import formats

    # Under the kernel's own limit, so a report is written before it gives up.
    result = pipeline.grade_notebook_folder(folder, modules=(module,), budget=TIMEOUT - 10)
    output.write_text(formats.to_json(result))


if __name__ == "__main__":
    try:
        _grade_module()
    finally:
        gc.freeze()  # exiting: spare Python's last walk over torch's heap (a second)
