"""Run the hidden suites in parallel: groups of modules, one fork per group.

Grading is a ping-pong between the grader (pytest, comparisons) and one
student child at a time, so one grading process keeps about one core busy.
Forking the grader after its imports gives each group of modules its own
pytest run at the cost of milliseconds; the groups share the fork server.
Each fork sends back its results as JSON; the first group runs here.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable

from autograder.sandbox import lifetime

# Seconds each module's suite takes on the reference (one core, warm), only
# to balance the groups; measure again when a suite grows.
COST = {
    "matmul": 1.7, "neurons": 0.9, "initialization": 0.75, "backprop": 0.6,
    "research": 0.55, "autograd_function": 0.5, "einsum": 0.45, "broadcasting": 0.45,
    "modules": 0.3, "layers": 0.27, "loss": 0.2,
}
MOST_JOBS = 4  # beyond this, forks mostly add pytest start-up


def default_jobs() -> int:
    """One group per usable core, at most MOST_JOBS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MOST_JOBS))


def split(modules: list[str], jobs: int) -> list[list[str]]:
    """At most `jobs` non-empty groups of similar cost; each keeps course order."""
    groups: list[list[str]] = [[] for _ in range(max(1, min(jobs, len(modules))))]
    totals = [0.0] * len(groups)
    for module in sorted(modules, key=lambda m: -COST.get(m, 1.0)):  # largest first
        lightest = totals.index(min(totals))
        groups[lightest].append(module)
        totals[lightest] += COST.get(module, 1.0)
    return [sorted(group, key=modules.index) for group in groups if group]


def run_groups(groups: list[list[str]], run: Callable[[list[str]], dict]) -> list[dict]:
    """`run(group)` for every group, all but the first in forks; results in group order.

    `run` returns plain data (it crosses a pipe as JSON). A fork that dies
    before answering gives {"problems": [why]}.
    """
    forks = [_fork(group, run) for group in groups[1:]]
    try:
        first = run(groups[0])
    finally:  # even when this group fails: no fork is left behind
        rest = [_collect(pid, fd) for pid, fd in forks]
    return [first, *rest]


def _fork(group: list[str], run) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the fork: run, answer, and leave without atexit handlers
        os.close(read_end)
        try:
            lifetime.die_with(parent)
            _single_threaded()
            answer = run(group)
        except BaseException:  # noqa: BLE001 - the parent must hear of anything
            answer = {"problems": [f"grading {', '.join(group)} failed:\n{traceback.format_exc()}"]}
        try:
            with os.fdopen(write_end, "w") as pipe:
                json.dump(answer, pipe)
        finally:
            os._exit(0)
    os.close(write_end)
    return pid, read_end


def _single_threaded() -> None:
    """A fork has only the thread that forked; torch's OpenMP pool is not
    fork-safe, so the fork computes on one thread."""
    import torch

    torch.set_num_threads(1)


def _collect(pid: int, fd: int) -> dict:
    with os.fdopen(fd) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    try:
        return json.loads(text)
    except ValueError:
        return {"problems": [f"a grading fork ended without results (wait status {status})"]}
