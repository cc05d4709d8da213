"""GitHub Actions annotations for a graded report: one `::error` per item not done.

GitHub shows at most ten error annotations per step, so the failing items can
be printed a page of ten at a time, one workflow step per page.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from autograder import catalogue
from autograder.report import ItemResult, Report
# The students' repository ships the same rules (.github/progress_report.py).
from autograder.student.progress_report import (
    MESSAGE_LIMIT,
    clean,
    escape_data,
    escape_property,
    page_of,
    shorten,
)


def failing(report: Report) -> list[ItemResult]:
    """Items that lost points, in the report's (course) order."""
    return [item for item in report.items if item.score < item.max_score]


def error_command(item: ItemResult, folder: str) -> str:
    known = catalogue.by_id().get(item.id)
    title = f"{item.id}: {item.score:g}/{item.max_score:g} points ({item.status})"
    # A failure message can quote the submission: no terminal escapes or control characters.
    message = shorten(clean(item.first_failure), MESSAGE_LIMIT) or f"status {item.status}"
    properties = [f"title={escape_property(clean(title))}"]
    if known is not None:
        message += f"\nHint: {known.hint}"
        path = PurePosixPath(folder, f"{known.module}.py").as_posix()
        properties.insert(0, f"file={escape_property(path)}")
    return f"::error {','.join(properties)}::{escape_data(message)}"


def commands(report: Report, folder: str = "exercises", page: int | None = None) -> list[str]:
    """One `::error` workflow command per failing item (of one page, if given)."""
    return [error_command(item, folder) for item in page_of(failing(report), page)]
