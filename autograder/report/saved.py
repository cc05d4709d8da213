"""Read a report that `grade --format json` wrote, for renderers run after grading."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from autograder.report.model import Report

# docs/SPEC.md's JSON report, for machines: the one schema (the tests check
# every report the grader writes against it too).
SCHEMA = json.loads(Path(__file__).with_name("schema.json").read_text())


class ReportFileError(Exception):
    """The file is not a JSON report of the grader: the message says why."""


def read(path: Path) -> Report:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportFileError(f"{path}: cannot read a JSON report ({exc})") from None
    try:
        jsonschema.validate(data, SCHEMA)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "the top level"
        raise ReportFileError(f"{path}: not a grading report: {exc.message} (at {where})") from None
    return Report.from_dict(data)
