"""Benchmark batch grading: a script that prints figures, not a test.

    .venv/bin/python tests/benchmark_batch.py [--count 20] [--workers 1 2]

Generates `--count` whole submissions (every module): a third the reference,
a third the untouched stubs, the rest the reference with one known mistake
from tests/bank. Grades them with `python -m autograder batch` once per
isolation (`process`: a fresh grader per submission, as before warm workers;
`fork`: warm workers) and worker count, each time into a fresh folder, and
prints the throughput in submissions per minute, warm against fresh for each
worker count, the scaling, and whether every grades.csv is the same.
"""

from __future__ import annotations

import argparse
import importlib
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


def throughput(submissions: Path, out: Path, workers: int, isolation: str) -> float:
    """Submissions per minute for one batch run from scratch."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "batch", str(submissions), "--out", str(out),
                    "--workers", str(workers), "--isolation", isolation],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    minutes = (time.perf_counter() - start) / 60
    return len(list(submissions.iterdir())) / minutes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20, help="submissions to generate")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to time")

    parser.add_argument("--isolation", nargs="+", default=["process", "fork"], choices=["process", "fork"])
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

    for workers in args.workers:
        if {("process", workers), ("fork", workers)} <= rates.keys():
            print(f"--workers {workers}: warm workers {rates['fork', workers] / rates['process', workers]:.2f}x "
                  "the throughput of a fresh process per submission")
    base = args.workers[0]
    for isolation in args.isolation:
        for workers in args.workers[1:]:
            print(f"scaling --isolation {isolation} {base} -> {workers} workers: "
                  f"{rates[isolation, workers] / rates[isolation, base]:.2f}x (linear would be {workers / base:.2f}x)")
    first, *others = gradebooks.values()
    differing = sorted({row for book in others for row in set(book) ^ set(first)})
    print(f"grades.csv identical across all runs: {'yes' if not differing else 'no'}")
    for row in differing:
        print(f"  differs: {row}")


if __name__ == "__main__":
    main()
