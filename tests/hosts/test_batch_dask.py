"""Batch grading on a Dask cluster, for real: a `dask scheduler` and two
`dask worker` processes on 127.0.0.1, started here for these tests.

The batch sends each submission's grading to the cluster and keeps writing
the reports and grades.csv itself (autograder/hosts/batch/dask_engine.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.hosts.batch import dask_engine
from autograder.hosts.batch.students import BatchError
from autograder.paths import ROOT, SOLUTIONS
from support.batch_course import (
    batch_environment,
    graded_students,
    leftover_graders,
    make_course,
    read_csv,
    run_batch,
)

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and `workers` single-threaded workers, without nannies (so a
    killed worker stays dead, as a lost node would)."""

    def __init__(self, folder: Path, workers: int = 2):
        self.address = f"tcp://127.0.0.1:{free_port()}"
        folder.mkdir(parents=True, exist_ok=True)
        self.logs = folder
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self.start("scheduler", ["dask_scheduler", "--host", "127.0.0.1", "--port", port,
                                                  "--no-dashboard"])
        self.workers = [self.start(f"worker{n}", ["dask_worker", self.address, "--nthreads", "1", "--no-nanny",
                                                   "--no-dashboard", "--name", f"worker{n}"])
                        for n in range(workers)]
        self.wait_for(workers)

    def start(self, name: str, arguments: list[str]) -> subprocess.Popen:
        command = [sys.executable, "-m", f"distributed.cli.{arguments[0]}", *arguments[1:]]
        log = open(self.logs / f"{name}.log", "w")
        return subprocess.Popen(command, cwd=self.logs, stdout=log, stderr=subprocess.STDOUT,
                                env=batch_environment(self.logs), start_new_session=True)

    def wait_for(self, workers: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=timeout)

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("dask"))
    yield cluster
    cluster.close()


def slow_course(folder: Path, count: int) -> Path:
    """Students whose every import sleeps: gradings long enough to kill a worker in the middle."""
    slow = (SOLUTIONS / "neurons.py").read_text() + "\nimport time\ntime.sleep(0.5)\n"
    for n in range(count):
        (folder / f"student{n}").mkdir(parents=True)
        (folder / f"student{n}" / "neurons.py").write_text(slow)
    return folder


def test_a_course_graded_on_the_cluster_matches_the_local_run(cluster, tmp_path):
    submissions = make_course(tmp_path / "submissions")
    local = run_batch(submissions, tmp_path / "local")
    remote = run_batch(submissions, tmp_path / "remote", "--scheduler", cluster.address)
    assert local.returncode == remote.returncode == 0, remote.stderr[-3000:]
    assert read_csv(tmp_path / "remote") == read_csv(tmp_path / "local")
    assert graded_students(remote.stdout) == ["alice", "bob", "ghost"]
    # Resumed through the cluster: the same rule, nothing regraded but the failure.
    again = run_batch(submissions, tmp_path / "remote", "--scheduler", cluster.address)
    assert graded_students(again.stdout) == ["ghost"]


def test_a_worker_that_dies_mid_batch_loses_no_report(tmp_path):
    cluster = Cluster(tmp_path / "dask")
    try:
        submissions = slow_course(tmp_path / "submissions", 4)
        out = tmp_path / "out"
        batch = subprocess.Popen(
            [sys.executable, "-m", "autograder", "batch", str(submissions), "--out", str(out),
             "--scheduler", cluster.address],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=batch_environment(submissions))
        victim = cluster.workers[0]
        deadline = time.monotonic() + 300
        while not (grading := busy(cluster, "worker0")) and time.monotonic() < deadline and batch.poll() is None:
            time.sleep(0.2)
        assert grading, "worker0 never got a grading to be killed in"
        os.killpg(victim.pid, signal.SIGKILL)  # the worker, its warm workers and gradings with it
        stdout, stderr = batch.communicate(timeout=600)
    finally:
        cluster.close()
    assert batch.returncode == 0, stderr[-3000:]
    assert graded_students(stdout) == [f"student{n}" for n in range(4)]  # each once: none lost, none twice
    rows = read_csv(out)
    assert [(row["student"], row["status"]) for row in rows] == [(f"student{n}", "graded") for n in range(4)]
    assert len({row["score"] for row in rows}) == 1
    assert leftover_graders(str(tmp_path / "dask")) == []


def busy(cluster: Cluster, name: str) -> bool:
    """Whether the worker called `name` is running a grading now."""
    from distributed import Client

    with Client(cluster.address, timeout="30s", set_as_default=False) as client:
        names = {address: info["name"] for address, info in client.scheduler_info()["workers"].items()}
        return any(names.get(address) == name and tasks for address, tasks in client.processing().items())


def test_an_unreachable_scheduler_is_a_clear_error_and_writes_nothing(tmp_path):
    submissions = make_course(tmp_path / "submissions")
    done = run_batch(submissions, tmp_path / "out", "--scheduler", f"tcp://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:" in done.stderr
    assert not (tmp_path / "out").exists()


def test_workers_with_another_grader_are_refused_with_the_versions_named(cluster):
    with pytest.raises(BatchError) as refused:
        dask_engine.DaskCluster(cluster.address, expected="0.0.1-000000000000")
    message = str(refused.value)
    assert "this batch runs grader 0.0.1-000000000000" in message
    assert message.count(" runs 0.1.0-") == 2, message  # both workers, with their version


def test_a_task_on_a_worker_with_another_grader_fails_for_that_student_only(cluster, tmp_path):
    engine = dask_engine.DaskCluster(cluster.address)
    engine.expected = "0.0.1-000000000000"  # as if a worker with another grader joined after the check
    try:
        graded = engine.grade(SOLUTIONS, 60)
    finally:
        engine.close()
    assert graded.returncode == 1 and "the batch expects 0.0.1-000000000000" in graded.output
