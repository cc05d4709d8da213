"""GitHub Actions annotations for a graded report: one `::error` per item not done.

GitHub shows at most ten error annotations per step, so the failing items can
be printed a page of ten at a time, one workflow step per page.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from autograder import catalogue
# The students' repository pages its annotations the same way (.github/progress_report.py).
from autograder.course.student.progress_report import page_of
from autograder.report.model import ItemResult, Report
from autograder.safe_text import NAME_LIMIT, clean, escape_data, escape_property


def failing(report: Report) -> list[ItemResult]:
    """Items that lost points, in the report's (course) order."""
    return [item for item in report.items if item.score < item.max_score]


def error_command(item: ItemResult, folder: str) -> str:
    known = catalogue.by_id().get(item.id)
    # Cleaned first: no escape sequence reaches the log, and a message is one line.
    item_id, status = clean(item.id, NAME_LIMIT), clean(item.status, NAME_LIMIT)
    title = f"{item_id}: {item.score:g}/{item.max_score:g} points ({status})"
    message = clean(item.first_failure) or f"status {status}"
    properties = [f"title={escape_property(title)}"]
    if known is not None:
        message += f"\nHint: {known.hint}"
        path = PurePosixPath(folder, f"{known.module}.py").as_posix()
        properties.insert(0, f"file={escape_property(path)}")
    return f"::error {','.join(properties)}::{escape_data(message)}"


def commands(report: Report, folder: str = "exercises", page: int | None = None) -> list[str]:
    """One `::error` workflow command per failing item (of one page, if given)."""
    return [error_command(item, folder) for item in page_of(failing(report), page)]
