"""Read a report that `grade --format json` wrote, for renderers run after grading."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from autograder.report.model import Report

# The part of docs/SPEC.md's JSON report that the renderers read.
SCHEMA = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "score", "max_score", "status", "tests"],
                "properties": {
                    "id": {"type": "string"},
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"type": "string"},
                    "devices": {"type": "array", "items": {"type": "string"}},
                    "tests": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "passed", "message"],
                            "properties": {
                                "name": {"type": "string"},
                                "passed": {"type": "boolean"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}


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
