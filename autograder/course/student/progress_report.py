"""Show the public tests' progress on a GitHub Actions run: summary and annotations.

Shipped to students as `.github/progress_report.py` (written by
`python -m autograder student-template`; do not edit). It runs in the
students' repository, where the grader is not installed: the standard
library and the grader's text rules (`safe_text.py`, shipped beside it as
`.github/safe_text.py`). The grader pages its own annotations with `page_of`.

    python .github/progress_report.py summary PROGRESS_JSON --append "$GITHUB_STEP_SUMMARY"
    python .github/progress_report.py annotate PROGRESS_JSON --page N

PROGRESS_JSON is what `pytest exercises --progress-json FILE` writes. Every
text in it may come from the student's code (a failure message is whatever
an exception said), so all of it is cleaned and escaped before GitHub reads
it: nothing in it can start a workflow command or change the Markdown.
The items themselves (order, files, points, hints) come from
`exercises/items.json`; the points are counted here from the statuses.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__:  # imported by the grader
    from autograder.safe_text import clean, escape_data, escape_property, markdown
else:  # run in the students' repository: the copy next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from safe_text import clean, escape_data, escape_property, markdown

PAGE_SIZE = 10  # GitHub shows at most ten error annotations per step
CELL_LIMIT = 200  # characters of a failure in the summary's table
MESSAGE_LIMIT = 1000  # characters of a failure in an annotation
DONE, NOT_STARTED, FAILING, NOT_RUN = "done", "not started", "failing", "not run"
STATUSES = (DONE, NOT_STARTED, FAILING, NOT_RUN)

class ProgressError(Exception):
    """The progress file is missing or is not what the plugin writes."""


def load_items(path: Path) -> list[dict]:
    """The catalogue's items, in course order, from exercises/items.json."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
        return [{"id": str(i["id"]), "module": str(i["module"]), "points": int(i["points"]),
                 "hint": str(i["hints"][0])} for i in items]  # the first level: the idea, never the answer
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ProgressError(f"cannot read the items from {path}: {exc}") from None


def load_rows(path: Path) -> dict[str, dict]:
    """Item id -> {"status", "message"} from the plugin's JSON; anything else in it is ignored."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data["items"]
        if not isinstance(rows, list):
            raise TypeError("'items' is not a list")
    except FileNotFoundError:
        raise ProgressError(f"{path} does not exist: the public tests did not run to the end") from None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ProgressError(f"{path} is not a progress report: {exc}") from None
    found = {}
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            status = row.get("status") if row.get("status") in STATUSES else NOT_RUN
            found.setdefault(row["id"], {"status": status, "message": clean(row.get("message", ""))})
    return found


def progress(items: list[dict], rows: dict[str, dict]) -> list[dict]:
    """One entry per catalogue item: the item, its status and its first failure."""
    return [item | rows.get(item["id"], {"status": NOT_RUN, "message": ""}) for item in items]


def summary(entries: list[dict]) -> str:
    """The job summary: points, then one row per item."""
    points = sum(e["points"] for e in entries if e["status"] == DONE)
    done = sum(e["status"] == DONE for e in entries)
    lines = [
        f"## Public tests: {points}/{sum(e['points'] for e in entries)} points "
        f"({done} of {len(entries)} items done)",
        "",
        "Feedback from the public tests in `exercises/`. Your grade comes from the course's",
        "grader, whose hidden tests check more (other shapes and values, devices, speed).",
        "",
        "| # | item | file | status | points | first failure |",
        "|---|---|---|---|---|---|",
    ]
    for number, e in enumerate(entries, start=1):
        earned = e["points"] if e["status"] == DONE else 0
        lines.append(
            f"| {number} | {markdown(e['id'], CELL_LIMIT)} | {markdown(e['module'] + '.py', CELL_LIMIT)} "
            f"| {markdown(e['status'], CELL_LIMIT)} | {earned}/{e['points']} | {markdown(e['message'], CELL_LIMIT)} |"
        )
    return "\n".join(lines) + "\n"


def error_command(entry: dict, folder: str = "exercises") -> str:
    """One `::error` workflow command for an item that is not done."""
    title = f"{entry['id']}: {entry['status']} (0/{entry['points']} points)"
    message = entry["message"] or {
        NOT_STARTED: "not started: its functions still raise NotImplementedError",
        NOT_RUN: "its tests did not run",
    }.get(entry["status"], entry["status"])
    message = (clean(message, MESSAGE_LIMIT) + f"\nHint: {clean(entry['hint'], MESSAGE_LIMIT)}"
               f"\nMore help: pytest exercises --hint {entry['id']}")
    file = f"{folder}/{entry['module']}.py"
    return f"::error file={escape_property(clean(file))},title={escape_property(clean(title))}::{escape_data(message)}"


def page_of(items: list, page: int | None) -> list:
    """Page `page` (from 1) of ten, or all of them."""
    if page is None:
        return items
    return items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]


def error_commands(entries: list[dict], page: int | None = None) -> list[str]:
    """The `::error` commands of the items not done (of one page of ten, if given)."""
    return [error_command(e) for e in page_of([e for e in entries if e["status"] != DONE], page)]


def page_number(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("pages count from 1")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("what", choices=["summary", "annotate"])
    parser.add_argument("progress_json", type=Path)
    parser.add_argument("--items", type=Path, default=Path("exercises/items.json"),
                        help="the items, in course order (default: exercises/items.json)")
    parser.add_argument("--page", type=page_number, help="annotate only this page of ten items")
    parser.add_argument("--append", type=Path, metavar="FILE",
                        help="append the summary to FILE (the job summary) instead of printing it")
    args = parser.parse_args(argv)
    try:
        entries = progress(load_items(args.items), load_rows(args.progress_json))
    except ProgressError as exc:
        # On standard output, never into the summary file: GitHub reads commands from the log.
        print(f"::error title=Public tests::{escape_data(clean(exc))}")
        return 1
    if args.what == "annotate":
        for line in error_commands(entries, args.page):
            print(line)
    elif args.append is None:
        print(summary(entries), end="")
    else:
        with open(args.append, "a", encoding="utf-8") as f:
            f.write(summary(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
