"""Benchmark the grader: a script that prints figures, not a test.

    .venv/bin/python tests/benchmark_grading.py [--runs 50]

1. Wall time of `python -c "import torch"` (the yardstick), of grading the
   reference solutions end to end and of grading the untouched stubs, each
   through the command line, best of `--repeat`.
2. False failures of the timing checks: the matmul speed checks run `--runs`
   times on the reference while another process keeps one core busy; every
   failure there is a false one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def wall(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def grade_command(folder: Path, out: Path) -> list[str]:
    return [PYTHON, "-m", "autograder", "grade", str(folder), "--format", "json", "--output", str(out)]


def speed_checks_once() -> tuple[int, int]:
    """(failed, ran) speed checks of one run on the reference."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        subprocess.run(
            [PYTHON, "-m", "pytest", "autograder/hidden/test_matmul.py", "-c", "autograder/hidden/pytest.ini",
             "-k", "speed", "--submission=solutions", "-q", f"--junitxml={report}"],
            cwd=ROOT, capture_output=True,
        )
        text = report.read_text()
    import xml.etree.ElementTree as ET

    suite = ET.fromstring(text).find("testsuite")
    return int(suite.get("failures")) + int(suite.get("errors")), int(suite.get("tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50, help="runs of the speed checks under load")
    parser.add_argument("--repeat", type=int, default=2, help="gradings per figure (best is kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        torch_import = wall([PYTHON, "-c", "import torch"], 3)
        reference = wall(grade_command(ROOT / "solutions", out), args.repeat)
        assert json.loads(out.read_text())["score"] == 90, "the reference lost points"
        stubs = wall(grade_command(ROOT / "exercises", out), args.repeat)

    yardstick = 'python -c "import torch"'
    print(f"{yardstick:<36}{torch_import:8.2f} s")
    print(f"{'grade solutions/ (reference)':<36}{reference:8.2f} s  ({reference / torch_import:.1f}x the import)")
    print(f"{'grade exercises/ (untouched stubs)':<36}{stubs:8.2f} s  ({stubs / torch_import:.1f}x the import)")

    busy = subprocess.Popen([PYTHON, "-c", "while True: pass"])  # one core kept busy
    try:
        failed = ran = 0
        for run in range(args.runs):
            f, r = speed_checks_once()
            failed, ran = failed + f, ran + r
            print(f"\rspeed checks under load: run {run + 1}/{args.runs}, {failed} failed of {ran}", end="", flush=True)
        print()
    finally:
        busy.kill()
    print(f"{'false failures of the timing checks':<36}{failed:8d}  of {ran} checks in {args.runs} runs, one core busy")


if __name__ == "__main__":
    main()
