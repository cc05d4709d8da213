"""Benchmark batch grading: a script that prints figures, not a test.

    .venv/bin/python tests/benchmark_batch.py [--count 20] [--workers 1 2] [--against CHECKOUT]

Generates `--count` whole submissions (every module): a third the reference,
a third the untouched stubs, the rest the reference with one known mistake
from tests/bank. Grades them with `python -m autograder batch` once per
isolation (`process`: a fresh grader per submission, as before warm workers;
`fork`: warm workers) and worker count, each time into a fresh folder, and
prints the throughput in submissions per minute, warm against fresh for each
worker count, the scaling, and whether every grades.csv is the same.

`--against CHECKOUT` also grades the same submissions, in the same run, with
the batch of another checkout of the grader (a `git worktree` of an older
commit, run with this environment), which knows no `--isolation`: the
throughput asked for is measured against the grader as it was, not only
against today's process path, which shares every speed-up of the grading.
Its grades are compared by student, status and score (its suites may differ).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder import catalogue
from autograder.paths import EXERCISES, ROOT, SOLUTIONS

BANK = ("neurons", "matmul", "broadcasting", "loss", "backprop", "research")


def make_submissions(folder: Path, count: int) -> None:
    mistakes = [importlib.import_module(f"support.bank.{module}").MISTAKES[0] for module in BANK]
    for n in range(count):
        student = folder / f"student{n:02d}"
        student.mkdir(parents=True)
        source = (SOLUTIONS, EXERCISES, SOLUTIONS)[n % 3]
        for module in catalogue.modules():
            shutil.copy(source / f"{module}.py", student)
        if n % 3 == 2:
            mistakes[(n // 3) % len(mistakes)].apply(student)


def throughput(submissions: Path, out: Path, workers: int, isolation: str | None,
               checkout: Path = ROOT) -> float:
    """Submissions per minute for one batch run from scratch (of the grader
    in `checkout`; `isolation` None for one that has no such option)."""
    command = [sys.executable, "-m", "autograder", "batch", str(submissions), "--out", str(out),
               "--workers", str(workers), *(["--isolation", isolation] if isolation else [])]
    environment = dict(os.environ, PYTHONPATH=str(checkout))
    start = time.perf_counter()
    subprocess.run(command, cwd=checkout, env=environment, check=True, stdout=subprocess.DEVNULL)
    minutes = (time.perf_counter() - start) / 60
    return len(list(submissions.iterdir())) / minutes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20, help="submissions to generate")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to time")

    parser.add_argument("--isolation", nargs="+", default=["process", "fork"], choices=["process", "fork"])
    parser.add_argument("--against", type=Path, help="a checkout of an earlier grader to time in the same run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="benchmark-batch-") as tmp:
        submissions = Path(tmp) / "submissions"
        make_submissions(submissions, args.count)
        rates, gradebooks = {}, {}
        for isolation in args.isolation:
            for workers in args.workers:
                out = Path(tmp) / f"out-{isolation}-{workers}"
                rates[isolation, workers] = throughput(submissions, out, workers, isolation)
                gradebooks[isolation, workers] = (out / "grades.csv").read_text().splitlines()
                print(f"--isolation {isolation:7} --workers {workers}: "
                      f"{rates[isolation, workers]:6.2f} submissions per minute", flush=True)
        earlier = {}
        if args.against:
            for workers in args.workers:
                out = Path(tmp) / f"out-against-{workers}"
                earlier[workers] = throughput(submissions, out, workers, None, args.against.resolve())
                gradebooks["against", workers] = (out / "grades.csv").read_text().splitlines()
                print(f"{args.against} --workers {workers}: {earlier[workers]:6.2f} submissions per minute",
                      flush=True)

    for workers, rate in earlier.items():
        for isolation in args.isolation:
            print(f"--workers {workers}: --isolation {isolation} {rates[isolation, workers] / rate:.2f}x "
                  f"the throughput of {args.against}")

    for workers in args.workers:
        if {("process", workers), ("fork", workers)} <= rates.keys():
            print(f"--workers {workers}: warm workers {rates['fork', workers] / rates['process', workers]:.2f}x "
                  "the throughput of a fresh process per submission")
    base = args.workers[0]
    for isolation in args.isolation:
        for workers in args.workers[1:]:
            print(f"scaling --isolation {isolation} {base} -> {workers} workers: "
                  f"{rates[isolation, workers] / rates[isolation, base]:.2f}x (linear would be {workers / base:.2f}x)")
    ours = [book for key, book in gradebooks.items() if key[0] != "against"]
    first, *others = ours
    differing = sorted({row for book in others for row in set(book) ^ set(first)})
    print(f"grades.csv identical across all runs: {'yes' if not differing else 'no'}")
    for row in differing:
        print(f"  differs: {row}")
    if earlier:
        theirs = {scores(book) for key, book in gradebooks.items() if key[0] == "against"}
        same = theirs == {scores(first)}
        print(f"student, status and score the same as {args.against}'s: {'yes' if same else 'no'}")


def scores(book: list[str]) -> tuple:
    """(student, status, score) of every row of a grades.csv."""
    return tuple((row["student"], row["status"], row["score"]) for row in csv.DictReader(book))


if __name__ == "__main__":
    main()
