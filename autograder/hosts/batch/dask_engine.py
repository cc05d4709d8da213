"""Grading a batch on a Dask cluster (`batch ... --scheduler tcp://HOST:PORT`).

The batch process stays where it is: it finds the students, keeps the
reports, grades.csv and the resume state, and draws the progress bar. Each
submission's grading is a Dask task, `grade_on_worker`, that runs in a Dask
worker process through that process's own warm workers (engines.WarmWorkers,
one per thread of the Dask worker), exactly as a local batch grades, and
answers the grading's exit status, messages and report. So:

- the submissions folder must be at the same path on every worker (a shared
  filesystem, as on a Slurm or PBS cluster, or a volume on Kubernetes);
- a worker that dies mid-grading takes its warm workers and their gradings
  with it (PR_SET_PDEATHSIG), and the scheduler runs the task again on
  another worker; the batch writes a report only when a task answers, so no
  report is lost or written twice;
- every worker must run the same grader (grading/fingerprint.py): the batch
  refuses a cluster where one does not, naming the versions, and a task
  that lands on a worker that joined later with another grader fails for
  that student, saying so, instead of grading with the wrong suites.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

from autograder.grading import fingerprint
from autograder.hosts.batch import engines
from autograder.hosts.batch.students import BatchError

CONNECT_TIMEOUT = "10s"
RETRIES = 3  # Dask's default allowed-failures: how often a task is rerun after its worker died

_local: engines.WarmWorkers | None = None  # this Dask worker process's warm workers
_local_lock = threading.Lock()


class WrongGrader(RuntimeError):
    """A task reached a worker whose grader is not the batch's."""


def worker_fingerprint() -> str:
    return fingerprint.current()


def grade_on_worker(path: str, timeout: float, expected: str) -> dict:
    """In a Dask worker: grade one submission with this process's warm workers."""
    global _local
    mine = fingerprint.current()
    if mine != expected:
        raise WrongGrader(f"this worker runs grader {mine}, the batch expects {expected}")
    with _local_lock:
        if _local is None:
            from distributed import get_worker

            _local = engines.WarmWorkers(max(1, get_worker().state.nthreads))
    graded = _local.grade(Path(path), timeout)
    return vars(graded)


class DaskCluster:
    """An engine that sends each grading to a Dask cluster's workers."""

    def __init__(self, address: str, *, expected: str | None = None):
        from distributed import Client

        self.expected = expected or fingerprint.current()
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            self.check_workers()
        except BaseException:
            self.client.close()
            raise
        self.lock = threading.Lock()
        self.futures: set = set()
        self.stopped = False

    def check_workers(self) -> None:
        versions = self.client.run(worker_fingerprint)
        if not versions:
            raise BatchError(f"the Dask cluster at {self.client.scheduler.address} has no workers")
        wrong = {worker: version for worker, version in versions.items() if version != self.expected}
        if wrong:
            named = ", ".join(f"{worker} runs {version}" for worker, version in sorted(wrong.items()))
            raise BatchError(f"refused: this batch runs grader {self.expected}, but {named}; "
                             "install the same grader on every worker")

    def threads(self) -> int:
        """How many gradings the cluster runs at once."""
        return max(1, sum(self.client.nthreads().values()))

    def grade(self, path: Path, timeout: float) -> engines.Graded:
        with self.lock:
            if self.stopped:
                raise engines.Stopped
            # pure=False and a fresh key: the same submission twice is two gradings
            future = self.client.submit(grade_on_worker, os.path.abspath(path), timeout, self.expected,
                                        pure=False, key=f"grade-{uuid.uuid4().hex}")
            self.futures.add(future)
        try:
            # A lost scheduler or a stuck worker must not hold the batch for
            # ever: the task's own limit, a worker's start, and Dask's retries.
            return engines.Graded(**future.result(timeout=(timeout + engines.WORKER_MARGIN + engines.WORKER_START)
                                                  * (RETRIES + 1)))
        except WrongGrader as exc:
            return engines.Graded(1, str(exc))
        except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost scheduler, no answer in time: this student only
            self.client.cancel([future], force=True)
            if self.stopped:
                raise engines.Stopped from exc
            return engines.Graded(1, f"the Dask task failed: {type(exc).__name__}: {exc}")
        finally:
            with self.lock:
                self.futures.discard(future)

    def stop_all(self) -> None:
        with self.lock:
            self.stopped = True
            futures = list(self.futures)
        if futures:
            self.client.cancel(futures, force=True)

    def close(self) -> None:
        self.client.close()
