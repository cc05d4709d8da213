"""Grading groups of modules in parallel forks (autograder/grading/forks.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from autograder import catalogue
from autograder.grading import forks
from autograder.paths import EXERCISES, ROOT, SOLUTIONS
from support.grading_support import grade

MODULES = list(catalogue.modules())


@pytest.mark.parametrize("jobs", [1, 2, 3, 4, 11, 50])
def test_split_grades_every_module_once_in_course_order(jobs):
    groups = forks.split(MODULES, jobs)
    assert len(groups) == min(jobs, len(MODULES))
    assert sorted(m for g in groups for m in g) == sorted(MODULES)
    for group in groups:
        assert group == sorted(group, key=MODULES.index)


def test_split_balances_the_cost():
    costs = [sum(forks.COST[m] for m in g) for g in forks.split(MODULES, 2)]
    assert max(costs) - min(costs) <= max(forks.COST.values()) / 2, costs
    assert set(forks.COST) == set(MODULES)  # every suite has a measured cost


def test_split_of_a_few_modules():
    assert forks.split(["loss"], 4) == [["loss"]]
    assert forks.split([], 2) == []


def test_each_group_runs_once_and_answers_in_order():
    def run(group):
        return {"group": group, "pid": os.getpid()}

    results = forks.run_groups([["a"], ["b"], ["c"]], run)
    assert [r["group"] for r in results] == [["a"], ["b"], ["c"]]
    assert results[0]["pid"] == os.getpid()  # the first group runs here
    assert len({r["pid"] for r in results}) == 3


def test_a_failing_fork_is_reported_not_lost():
    def run(group):
        if group == ["raises"]:
            raise RuntimeError("boom")
        if group == ["exits"]:
            os._exit(3)
        return {"fine": True}

    fine, raised, exited = forks.run_groups([["fine"], ["raises"], ["exits"]], run)
    assert fine == {"fine": True}
    assert "RuntimeError: boom" in raised["problems"][0]
    assert "ended without results" in exited["problems"][0]


def test_a_fork_dies_with_the_grader(tmp_path):
    """A grader killed mid-way (a timeout) must not leave its forks running:
    they hold the fork server open, and with it the sandboxed children."""
    pid_file = tmp_path / "fork.pid"
    script = textwrap.dedent(f"""
        import os, time
        from autograder.grading import forks

        def run(group):
            if group == ["fork"]:
                open({str(pid_file)!r}, "w").write(str(os.getpid()))
            time.sleep(60)
            return {{}}

        forks.run_groups([["here"], ["fork"]], run)
    """)
    grader = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the fork never started"
            time.sleep(0.05)
        fork = int(pid_file.read_text())
        grader.send_signal(signal.SIGKILL)
        grader.wait()
        deadline = time.monotonic() + 10
        while alive(fork):
            assert time.monotonic() < deadline, "the fork outlived its grader"
            time.sleep(0.05)
    finally:
        grader.kill()


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_parallel_and_serial_grading_agree(tmp_path):
    """The same report whether modules are graded one after another or in forks."""
    folder = tmp_path / "mixed"
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for module in ("neurons", "einsum", "layers"):  # stubs: their items fail
        shutil.copy(EXERCISES / f"{module}.py", folder / f"{module}.py")
    (folder / "loss.py").unlink()  # missing

    def verdicts(report):
        return [(i["id"], i["score"], i["status"], [(t["name"], t["passed"]) for t in i["tests"]])
                for i in report["items"]]

    serial = grade(folder, options=("--jobs", "1"))
    parallel = grade(folder, options=("--jobs", "3"))
    assert verdicts(serial) == verdicts(parallel)
    assert 0 < serial["score"] < serial["max_score"]
