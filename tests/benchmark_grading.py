"""Benchmark the grader: a script that prints figures, not a test.

    .venv/bin/python tests/benchmark_grading.py [--runs 50] [--against OTHER_CHECKOUT]

1. Wall time of `python -c "import torch"` (the yardstick), of grading the
   reference solutions end to end and of grading the untouched stubs, each
   through the command line: `--repeat` rounds of the three in turn, the
   best of each (and the median). With `--against`, the same two gradings
   by another checkout of the grader (an older commit, say) in the same
   rounds, and the ratio of the two: a change's cost, measured on one
   machine at one time.
2. False failures of the timing checks: the reference is graded end to end
   `--runs` times while `--busy` other processes keep cores busy (one by
   default, as the target says; the machine has two); every failed speed
   check there is a false one. Also the lowest speed-up any check measured.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def wall(command: list[str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def grade_command(folder: Path, out: Path) -> list[str]:
    return [PYTHON, "-m", "autograder", "grade", str(folder), "--format", "json", "--output", str(out)]


def is_speed_check(name: str) -> bool:
    return name.startswith("test_speed[") or name.endswith("_is_vectorised")


def speed_checks_once() -> tuple[int, int, list[float]]:
    """(failed, ran, speed-ups) of the speed checks in one grading of the reference."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run(grade_command(ROOT / "solutions", out), cwd=ROOT, check=True, capture_output=True)
        report = json.loads(out.read_text())
    checks = [t for item in report["items"] for t in item["tests"] if is_speed_check(t["name"])]
    # "speed-up 63.1x over ..." when passed; "... it was 3.1x" when failed
    found = (re.search(r"(?:speed-up|it was) ([0-9.]+)x", t["message"]) for t in checks)
    speedups = [float(match.group(1)) for match in found if match]
    return sum(not t["passed"] for t in checks), len(checks), speedups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50, help="gradings of the reference under load")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the three timings (best is kept)")
    parser.add_argument("--busy", type=int, default=1, help="processes spinning during the speed checks")
    parser.add_argument("--speed-only", action="store_true", help="skip the wall-time figures")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT",
                        help="also time another checkout of the grader in the same rounds")
    args = parser.parse_args()

    if not args.speed_only:
        wall_times(args.repeat, args.against)
    false_failures(args.runs, args.busy)


def wall_times(repeat: int, against: Path | None = None) -> None:
    """The commands in turn, `repeat` rounds: a machine whose speed drifts
    slows them all alike. The best of each is the figure."""
    times: dict[str, list[float]] = {"torch": [], "reference": [], "stubs": []}
    if against is not None:
        times |= {"other reference": [], "other stubs": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        for _ in range(repeat):
            times["torch"].append(wall([PYTHON, "-c", "import torch"]))
            times["reference"].append(wall(grade_command(ROOT / "solutions", out)))
            assert json.loads(out.read_text())["score"] == 90, "the reference lost points"
            times["stubs"].append(wall(grade_command(ROOT / "exercises", out)))
            if against is not None:
                times["other reference"].append(wall(grade_command(ROOT / "solutions", out), cwd=against))
                times["other stubs"].append(wall(grade_command(ROOT / "exercises", out), cwd=against))

    torch_import = min(times["torch"])
    rows = [('python -c "import torch"', "torch"), ("grade solutions/ (reference)", "reference"),
            ("grade exercises/ (untouched stubs)", "stubs")]
    if against is not None:
        rows += [(f"  the same by {against.name}", "other reference"), (f"  the same by {against.name}", "other stubs")]
    print(f"{'best of ' + str(repeat) + ' (median)':<36}")
    for label, key in rows:
        best, median = min(times[key]), statistics.median(times[key])
        ratio = "" if key == "torch" else f"  ({best / torch_import:.1f}x the import)"
        print(f"{label:<36}{best:8.2f} s ({median:.2f}){ratio}")
    if against is not None:
        for key in ("reference", "stubs"):
            print(f"{'this checkout / ' + against.name + ', ' + key:<36}{min(times[key]) / min(times['other ' + key]):8.2f}")


def false_failures(runs: int, busy: int) -> None:
    spinners = [subprocess.Popen([PYTHON, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        failed = ran = 0
        lowest = float("inf")
        for run in range(runs):
            f, r, speedups = speed_checks_once()
            failed, ran, lowest = failed + f, ran + r, min([lowest, *speedups])
            print(f"\rgradings under load: {run + 1}/{runs}, speed checks failed: {failed} of {ran}",
                  end="", flush=True)
        print()
    finally:
        for spinner in spinners:
            spinner.kill()
    print(f"{'false failures of the timing checks':<36}{failed:8d}  of {ran} checks in {runs} runs, {busy} core(s) busy")
    print(f"{'lowest speed-up seen (5x needed)':<36}{lowest:8.1f}x")


if __name__ == "__main__":
    main()
