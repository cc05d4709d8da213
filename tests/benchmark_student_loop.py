"""Benchmark the students' loop: a script that prints figures, not a test.

    .venv/bin/python tests/benchmark_student_loop.py [--repeat 5]

Side by side, in one run, the best (and median) wall time of:

1. `python -c "import torch"`, the yardstick: no run can be faster;
2. `pytest -m neuron` in a copy of exercises/ (one item: only its module's
   tests are collected), and the ratio to the yardstick (target: 1.5x);
3. the whole public suite on the reference solutions and on the stubs;
4. a `--watch` re-run: from saving neurons.py to the end of the run's
   summary on screen (target: under 0.5 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from autograder import catalogue  # noqa: E402
from autograder.hosts import public_run  # noqa: E402
from autograder.paths import EXERCISES, SOLUTIONS  # noqa: E402
from support.watching import END, Watched  # noqa: E402

PYTHON = sys.executable


def wall(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True)
    return time.perf_counter() - start


def folder_of(modules_from: Path, into: Path) -> Path:
    """A students' folder: the generated tests and tools, the modules from `modules_from`."""
    into.mkdir()
    public_run.prepare(modules_from, into)
    return into


def watch_reruns(folder: Path, rounds: int) -> list[float]:
    """Seconds from a save to the end of the re-run's output, `rounds` times."""
    watched = Watched(folder)
    times = []
    try:
        watched.until(END)
        module = folder / "neurons.py"
        for n in range(rounds):
            time.sleep(0.5)
            start = time.perf_counter()
            module.write_text(module.read_text() + f"\n# save {n}\n")
            watched.until(END, 30)
            times.append(time.perf_counter() - start)
    finally:
        watched.process.kill()
        watched.process.wait()
    return times


def line(name: str, times: list[float], base: float | None = None) -> str:
    ratio = f"  {min(times) / base:.2f}x the torch import" if base else ""
    return f"  {name:<38} best {min(times):6.2f} s  median {statistics.median(times):6.2f} s{ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stubs = folder_of(EXERCISES, Path(tmp) / "stubs")
        reference = folder_of(SOLUTIONS, Path(tmp) / "reference")
        watched = Path(tmp) / "watched"
        shutil.copytree(reference, watched)
        pytest = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        commands = {
            'python -c "import torch"': ([PYTHON, "-c", "import torch"], stubs),
            "pytest -m neuron (stubs)": (pytest + ["-m", "neuron"], stubs),
            "pytest -m neuron (reference)": (pytest + ["-m", "neuron"], reference),
            f"public suite, reference ({len(catalogue.load())} items)": (pytest, reference),
            "public suite, stubs": (pytest, stubs),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):  # in turn: a machine whose speed drifts slows them all alike
            for name, (command, cwd) in commands.items():
                times[name].append(wall(command, cwd))
        reruns = watch_reruns(watched, args.repeat)
    base = min(times['python -c "import torch"'])
    print(f"The students' loop, {args.repeat} rounds, on {os.cpu_count()} cores:")
    for name, measured in times.items():
        print(line(name, measured, base if "-m neuron" in name else None))
    print(line("--watch: save neurons.py -> result", reruns))


if __name__ == "__main__":
    main()
