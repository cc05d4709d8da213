"""One result model for a graded submission, and its scoring.

`Report.to_dict()` is the contract of docs/SPEC.md (schema.json beside this
file says it for machines); formats.py renders it. What a submission
controls in it (messages, names) is cleaned when a result is built
(autograder/safe_text.py) and escaped again by each format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder import catalogue
from autograder.safe_text import NAME_LIMIT, clean

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
    # For whoever runs the grader (the command line prints them), not part of
    # any format: what concerned no item (a notebook that names no module).
    notes: list[str] = field(default_factory=list)

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
