"""Grade one Gradescope submission into results.json.

    python -m autograder.hosts.gradescope.run SUBMISSION RESULTS

run_autograder calls this with Gradescope's paths. The grading itself runs
as a separate `python -m autograder grade` process, so that whatever happens
to it (exit 3, a crash, a hang) this process is still there to write a
results.json that says so: a student never sees a blank page.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from autograder.grading import isolated
from autograder.hosts.gradescope import bundle, locate
from autograder.paths import ROOT  # /autograder/source on Gradescope
from autograder.safe_text import clean

DEFAULT_TIMEOUT = 480.0  # seconds; under Gradescope's default limit of ten minutes, so we speak first

FAILED = ("The autograder could not grade this submission. This is a fault of the "
          "autograder, not of your code, and no points were given or taken: please "
          "tell your course staff ({why}).")
# The line the output gains when the items' test cases are shown later than the score.
SHOWN_LATER = {"after_due_date": "Each item's results are shown after the due date.",
               "after_published": "Each item's results are shown once the grades are published."}


def run_grader(folder: Path, results: Path, timeout: float) -> str | None:
    """Run the grader; None when it wrote its results, else why it did not."""
    finished = isolated.run(isolated.grade_command(folder, "gradescope", results), timeout,
                            cwd=ROOT, merge_output=True)
    print(finished.output, end="")  # run_autograder's output: instructors see it, students do not
    if finished.timed_out:
        return f"grading took more than {timeout:g} s"
    if finished.returncode != 0:
        return f"the grader exited with status {finished.returncode}"
    if not is_results(results):
        return "the grader wrote no usable results.json"
    return None


def is_results(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("tests"), list)


def failure_results(why: str) -> dict:
    """A results.json Gradescope accepts, for a grading that did not happen."""
    return {"score": 0.0, "output": FAILED.format(why=why), "visibility": "visible", "tests": []}


def note_for(found: locate.Found, submission: Path) -> str:
    """One line telling the student what was graded."""
    if found.kind == "nothing":
        names = ", ".join(sorted(locate.module_files()))
        return (f"No module files ({names}) and no notebooks were found in your upload: "
                "upload them at its top level or in an exercises/ folder.")
    where = clean(found.path.relative_to(submission).as_posix())  # folder names are the student's
    place = "at the top of your upload" if where == "." else f"in {where}/ of your upload"
    return f"Graded the {found.kind} {place}."


def bundle_visibility(source: Path = ROOT) -> str:
    """The items' visibility the bundle was built with (gradescope-bundle --visibility)."""
    path = source / bundle.SETTINGS
    if not path.exists():
        return "visible"
    data = json.loads(path.read_text())  # ValueError (or OSError) when it is damaged
    visibility = data.get("visibility") if isinstance(data, dict) else None
    if visibility not in bundle.VISIBILITIES:
        raise ValueError(f"{path} names no visibility of {', '.join(bundle.VISIBILITIES)}")
    return visibility


def with_visibility(data: dict, visibility: str) -> dict:
    """Every item's test case at `visibility`; the result as a whole stays
    visible, and so does its output, which states the points: Gradescope
    hides its own total-score box while any test case is still hidden."""
    data["visibility"] = "visible"
    for test in data.get("tests", []):
        test["visibility"] = visibility
    if visibility in SHOWN_LATER:
        data["output"] = f"{data.get('output', '')}\n{SHOWN_LATER[visibility]}".lstrip("\n")
    return data


def add_note(results: Path, note: str, visibility: str = "visible") -> None:
    data = with_visibility(json.loads(results.read_text()), visibility)
    data["output"] = f"{note}\n{data.get('output', '')}".rstrip("\n")
    results.write_text(json.dumps(data, indent=2) + "\n")


@click.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), envvar="AUTOGRADER_TIMEOUT",
              default=DEFAULT_TIMEOUT, show_default=True, help="Seconds before grading is stopped.")
def main(submission: Path, results: Path, timeout: float) -> None:
    """Grade the upload in SUBMISSION and write Gradescope's RESULTS file."""
    results.parent.mkdir(parents=True, exist_ok=True)
    results.unlink(missing_ok=True)  # never hand back a stale file as this grading's result
    try:
        visibility = bundle_visibility()
    except (OSError, ValueError) as exc:  # a hand-edited zip: said before any grading
        print(f"{bundle.SETTINGS}: {exc}")
        write_failure(results, f"the autograder's {bundle.SETTINGS} is not valid")
        return
    found = locate.work_in(submission)
    print(f"grading {found.path} ({found.kind}), each item's results {visibility}", flush=True)
    why = run_grader(found.path, results, timeout)
    if why is None:
        add_note(results, note_for(found, submission), visibility)
    else:
        write_failure(results, why)


def write_failure(results: Path, why: str) -> None:
    print(f"grader failure: {why}")
    results.write_text(json.dumps(failure_results(why), indent=2) + "\n")


if __name__ == "__main__":
    main()
