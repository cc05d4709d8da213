"""Where a grading's time goes: a script that prints figures, not a test.

    .venv/bin/python tests/benchmark_requests.py [--repeat 3] [FOLDER ...]

Grades each FOLDER (default: a copy of the reference solutions, and the
untouched stubs) `--repeat` times in this one warm process, one group
(`--jobs 1`, as a batch worker grades), after a first grading that warms
everything up. Every request the hidden suites make to a child is timed
from the grader's side, by kind (calls on the CPU, on a simulated or real
device, the speed checks' timed batches, probes, starting a child) and by
side (the submission's child or the reference's). What is not spent
waiting for a child is the grader's own side: pytest, hypothesis and the
comparisons. Prints, per folder, the median of each figure over the
repeats. docs/batch.md keeps a reading of it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from autograder.grading import pipeline
from autograder.paths import EXERCISES, SOLUTIONS
from autograder.sandbox import client


def kind(message: dict) -> str:
    """The row a request counts in."""
    op = message.get("op")
    if op == "call" and message.get("target") == "time_call":
        return "time_call (its checks sleep)"
    if op == "call":
        return "calls on the CPU" if message.get("device", "cpu") == "cpu" else "calls on a device"
    if op == "repeat":
        return "speed checks' timed batches"
    return "probes and handles"


class Timings:
    """Seconds and counts per (row, side), filled by the patched Submission."""

    def __init__(self):
        self.seconds: Counter = Counter()
        self.counts: Counter = Counter()
        self.starting = 0.0  # seconds spent starting children so far (a request may start one)

    def add(self, row: str, submission: client.Submission, seconds: float) -> None:
        side = "reference" if submission.source.parent == SOLUTIONS else "submission"
        self.seconds[row, side] += seconds
        self.counts[row, side] += 1


def instrument(timings: Timings) -> None:
    """Time every request and every start of a child, from the grader's side."""
    request, start = client.Submission.request, client.Submission.start

    def timed_request(self, message, timeout=None):
        began, starting = time.perf_counter(), timings.starting
        try:
            return request(self, message, timeout)
        finally:  # a child it started counts as a start, not as this request
            timings.add(kind(message), self, time.perf_counter() - began - (timings.starting - starting))

    def timed_start(self):
        began = time.perf_counter()
        try:
            return start(self)
        finally:
            took = time.perf_counter() - began
            timings.starting += took
            timings.add("starting children", self, took)

    client.Submission.request, client.Submission.start = timed_request, timed_start


def measure(folder: Path, repeat: int, timings: Timings) -> tuple[dict[str, list[float]], dict[str, list[int]]]:
    """Per figure, its seconds in each of `repeat` gradings of `folder`, and
    how many requests it counted each time."""
    figures: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, list[int]] = defaultdict(list)
    for _ in range(repeat):
        timings.seconds.clear()
        timings.counts.clear()
        began = time.perf_counter()
        pipeline.grade(folder, jobs=1)
        total = time.perf_counter() - began
        for (row, side), seconds in timings.seconds.items():
            figures[f"{row}, {side}"].append(seconds)
            counts[f"{row}, {side}"].append(timings.counts[row, side])
        waited = sum(timings.seconds.values())
        figures["waiting for children, in all"].append(waited)
        figures["the grader's own side"].append(total - waited)
        figures["the whole grading"].append(total)
    return figures, counts


def show(name: str, figures: dict[str, list[float]], counts: dict[str, list[int]]) -> None:
    print(f"\n{name}: median of {len(figures['the whole grading'])} gradings")
    totals = ("waiting for children, in all", "the grader's own side", "the whole grading")
    rows = sorted((k for k in figures if k not in totals), key=lambda k: -statistics.median(figures[k]))
    for row in [*rows, *totals]:
        many = f" ({statistics.median(counts[row]):g} requests)" if row in counts else ""
        print(f"  {statistics.median(figures[row]):7.3f} s  {row}{many}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", type=Path, nargs="*", help="submissions (default: the reference, the stubs)")
    parser.add_argument("--repeat", type=int, default=3, help="gradings of each folder, after one to warm up")
    args = parser.parse_args()
    timings = Timings()
    instrument(timings)
    with tempfile.TemporaryDirectory(prefix="benchmark-requests-") as tmp:
        # The reference graded from a copy: from solutions/ itself its child
        # and the reference's would be one and the same.
        copy = Path(tmp) / "reference"
        shutil.copytree(SOLUTIONS, copy)
        folders = args.folders or [copy, EXERCISES]
        pipeline.grade(folders[0], jobs=1)  # imports, the fork server, first-time costs
        for folder in folders:
            name = "a copy of the reference" if folder == copy else str(folder)
            show(name, *measure(folder, args.repeat, timings))


if __name__ == "__main__":
    main()
