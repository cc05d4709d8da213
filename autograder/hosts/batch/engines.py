"""How a batch grades one submission: the ways to run `grade` away from the batch.

Every engine takes a submission's path and a time limit and answers a
Graded: the grading's exit status, what it printed, whether it ran out of
time, and the report it wrote. Each can be called from many threads at
once, and `stop_all()` stops every grading now running (Ctrl-C, SIGTERM).

- `Processes` (`--isolation process`): a fresh `python -m autograder grade`
  per submission, as a student's own grading runs.
- `WarmWorkers` (the default): a few warm workers (warm_worker.py) that
  import the grader once and fork a fresh grading per submission.
- `dask_engine.DaskCluster` (`--scheduler`): warm workers on a Dask cluster.
"""

from __future__ import annotations

import contextlib
import json
import queue
import select
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from autograder.grading import fingerprint, isolated
from autograder.hosts.batch.students import BatchError

# One group of modules per grader: the batch already runs one grader per core,
# and whole submissions in parallel scale better than a submission's modules.
GRADE = [*isolated.GRADE, "--jobs", "1"]
WORKER = [sys.executable, "-m", "autograder.hosts.batch.warm_worker"]
# A worker enforces the time limit itself; the batch waits this much longer
# before it takes the worker for hung and replaces it.
WORKER_MARGIN = 60.0
WORKER_START = 120.0  # seconds a worker may take to import the grader


class Stopped(RuntimeError):
    """The batch was interrupted while this student was being graded."""


@dataclass
class Graded:
    """How one grading ended: its exit status (None if it was stopped), what it
    printed, and the grader's JSON report when it wrote one."""

    returncode: int | None
    output: str
    timed_out: bool = False
    report: str | None = None
    grader: str | None = None  # the fingerprint of the grader that graded, read when it ended


class Processes:
    """A fresh grader process per submission."""

    def __init__(self, command: list[str] = GRADE):
        self.command = command
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.stopped = False

    def grade(self, path: Path, timeout: float) -> Graded:
        with tempfile.TemporaryDirectory(prefix="autograder-batch-") as tmp:
            output = Path(tmp) / "report.json"
            with self.lock:
                if self.stopped:
                    raise Stopped
                # Its own session: a Ctrl-C reaches the batch only, which then stops it.
                process = isolated.start([*self.command, str(path), "--format", "json", "--output", str(output)])
                self.running.add(process)
            finished = isolated.finish(process, timeout)
            with self.lock:
                self.running.discard(process)
            if self.stopped and process.returncode != 0:
                raise Stopped  # killed by stop_all: no verdict on this student
            try:
                report = output.read_text(encoding="utf-8") if finished.returncode == 0 else None
            except OSError:
                report = None
        return Graded(finished.returncode, finished.output, finished.timed_out, report, fingerprint.compute())

    def stop_all(self) -> None:
        with self.lock:
            self.stopped = True
            running = list(self.running)
        for process in running:
            isolated.stop(process)

    def close(self) -> None:
        pass


class Worker:
    """One warm worker process and its pipes; used by one thread at a time.

    Anything unexpected from it (no answer in time, an end, a line that is
    not an answer) is an OSError, after which the worker is killed."""

    def __init__(self, command: list[str] = WORKER):
        self.messages = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # its stderr
        self.process = isolated.start(command, stdin=subprocess.PIPE, stderr=self.messages)
        self.fingerprint = self.answer(WORKER_START, lambda data: str(data["ready"]))

    def last_words(self) -> str:
        try:
            self.messages.seek(0)
            return last_lines(self.messages.read()[-20_000:])
        except ValueError:  # closed: it was killed meanwhile
            return "(stopped)"

    def answer(self, timeout: float, read):
        """`read` of the worker's next line, within `timeout`."""
        poller = select.poll()  # not select(): no limit on the descriptor's number
        poller.register(self.process.stdout, select.POLLIN)
        ready = poller.poll(timeout * 1000)
        line = self.process.stdout.readline() if ready else ""
        try:
            if not line.endswith("\n"):
                why = "stopped answering" if not ready else f"ended (status {self.status_after_eof()})"
                raise OSError(f"the warm worker {why}: {self.last_words()}")
            try:
                return read(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise OSError(f"the warm worker answered {line[:200]!r}: {exc}") from None
        except OSError:
            self.kill()
            raise

    def grade(self, path: Path, timeout: float) -> Graded:
        self.process.stdin.write(json.dumps({"path": str(path), "timeout": timeout}) + "\n")
        self.process.stdin.flush()
        return self.answer(timeout + WORKER_MARGIN, lambda data: Graded(**data))

    def alive(self) -> bool:
        return self.process.poll() is None

    def status_after_eof(self) -> int | None:
        """Its exit status once its output has closed (it takes a moment to exit)."""
        try:
            return self.process.wait(5)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        isolated.stop(self.process)
        self.messages.close()


class WarmWorkers:
    """Up to `count` warm workers, started when first needed and reused.

    A worker that dies or hangs costs the student it was grading; its slot
    starts a new one for the next. A worker that cannot start at all, before
    any did, is the batch's error (BatchError): the grader itself is broken.
    One whose grader is not the batch's (the checkout changed meanwhile) is
    refused, and so is every student it would grade."""

    def __init__(self, count: int, command: list[str] = WORKER):
        self.command = command
        self.idle: queue.Queue[Worker | None] = queue.Queue()
        for _ in range(count):
            self.idle.put(None)  # a slot whose worker is not started yet
        self.lock = threading.Lock()
        self.busy: set[Worker] = set()
        self.stopped = False
        self.started = False  # whether any worker has started

    def grade(self, path: Path, timeout: float) -> Graded:
        worker = self.idle.get()
        try:
            if worker is not None and not worker.alive():  # died while idle
                worker.kill()
                worker = None
            if worker is None:
                worker = self.start()
            with self.lock:
                if self.stopped:
                    raise Stopped
                self.busy.add(worker)
            if worker.fingerprint != fingerprint.current():
                return Graded(1, f"the warm worker runs grader {worker.fingerprint}, the batch "
                                 f"{fingerprint.current()}: the grader changed during the batch; run it again")
            return worker.grade(path, timeout)
        except OSError as exc:  # it died or hung (and was killed): this student only
            with self.lock:
                self.busy.discard(worker)
            worker = None  # the slot starts a new one
            if self.stopped:
                raise Stopped from exc
            return Graded(1, str(exc))
        finally:
            with self.lock:
                self.busy.discard(worker)
                if self.stopped and worker is not None:
                    worker.kill()
                    worker = None
            self.idle.put(worker)

    def start(self) -> Worker:
        try:
            worker = Worker(self.command)
        except OSError as exc:
            if not self.started:
                raise BatchError(f"the warm workers could not start: {exc}") from None
            raise
        self.started = True
        return worker

    def stop_all(self) -> None:
        with self.lock:
            self.stopped = True
            busy = list(self.busy)
        for worker in busy:  # killed first, all of them, then waited for
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
        for worker in busy:
            worker.kill()  # its gradings and zygote die with it (PR_SET_PDEATHSIG)

    def close(self) -> None:
        workers = []
        while not self.idle.empty():
            worker = self.idle.get()
            if worker is not None:
                worker.process.stdin.close()  # each exits at the end of its input
                workers.append(worker)
        for worker in workers:
            try:
                worker.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
            worker.kill()


def last_lines(text: str, count: int = 5) -> str:
    """The end of a grader's stderr: where a traceback names what broke."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "(no message)"
