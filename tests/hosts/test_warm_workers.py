"""Warm batch workers: one submission after another in the same worker, and
nothing of one reaches the next.

A worker imports the grader once and forks a fresh grading per submission,
whose fork server comes from a zygote that never runs student code
(autograder/hosts/batch/warm_worker.py). These tests grade, in one worker,
a submission that tries to leave something behind (state in torch,
builtins and sys.modules, a patched method, files, processes) and then one
that looks for it.
"""

from __future__ import annotations

import os
import signal
import shutil
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path

import pytest

from autograder import catalogue
from autograder.grading import fingerprint
from autograder.hosts.batch import course, engines, students
from autograder.paths import SOLUTIONS

# Appended to the reference neurons.py: leave a mark wherever one could last.
TAMPER = '''
import builtins as _b, os as _os, subprocess as _sp, sys as _sys, types as _types
import torch as _torch

for _try in (
    lambda: setattr(_torch, MARK, True),
    lambda: setattr(_b, MARK, True),
    lambda: _sys.modules.__setitem__(MARK, _types.ModuleType(MARK)),
    lambda: setattr(_torch.Tensor, "relu", lambda self: self * 0),
    lambda: setattr(_torch.Tensor.relu, MARK, True),
    lambda: _os.environ.__setitem__(MARK, "1"),
):
    try:
        _try()
    except Exception:
        pass
for _folder in ("/tmp", "/dev/shm", _os.path.expanduser("~"), "..", "."):
    try:
        with open(_os.path.join(_folder, MARK), "w") as _f:
            _f.write("left behind")
    except Exception:
        pass
try:
    _sp.Popen(["sleep", "1234.5"])
except Exception:
    pass
try:
    if _os.fork() == 0:
        import time as _time
        _time.sleep(60)
        _os._exit(0)
except Exception:
    pass
'''

# Appended to the reference neurons.py: a wrong neuron if any mark is seen.
CHECK = '''
import builtins as _b2, os as _os2, sys as _sys2
import torch as _torch2

if (getattr(_torch2, MARK, False) or hasattr(_b2, MARK) or MARK in _sys2.modules
        or getattr(_torch2.Tensor.relu, MARK, False) or MARK in _os2.environ
        or any(_os2.path.exists(_os2.path.join(f, MARK)) for f in ("/tmp", "/dev/shm", "..", "."))):
    def neuron(inputs, weights, bias):
        return -12345.0
'''


def student(folder: Path, name: str, *extra: str, mark: str) -> students.Student:
    path = folder / name
    path.mkdir(parents=True)
    code = (SOLUTIONS / "neurons.py").read_text() + "".join(
        textwrap.dedent(part).replace("MARK", repr(mark)) for part in extra)
    (path / "neurons.py").write_text(code)
    return students.Student(name, path)


def neuron_points(report: dict) -> float:
    return next(item["score"] for item in report["items"] if item["id"] == "neuron")


def marked_processes(mark_args: str = "1234.5") -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if mark_args in cmdline and "pytest" not in cmdline:
                found.append(f"{entry}: {cmdline}")
    return found


def test_one_worker_grades_in_turn_and_nothing_carries_over(tmp_path):
    mark = f"autograder_mark_{uuid.uuid4().hex}"
    tampering = student(tmp_path, "a_tamper", TAMPER, mark=mark)
    checking = student(tmp_path, "b_check", CHECK, mark=mark)
    both = student(tmp_path, "c_both", TAMPER, CHECK, mark=mark)  # the check, seen to work
    engine = engines.WarmWorkers(1)
    try:
        graded = {s.name: course.grade(s, students.content_hash(s), timeout=300, engine=engine)
                  for s in (tampering, checking, both, checking)}
        workers = [w for w in list(engine.idle.queue) if w is not None]
        assert len(workers) == 1, "all four gradings went through one warm worker"
    finally:
        engine.close()
    for name, report in graded.items():
        assert report["batch"]["status"] == "graded", report["batch"]
    assert neuron_points(graded["c_both"]) == 0, "a mark in the same submission is seen"
    assert neuron_points(graded["b_check"]) > 0, "a mark of another submission is never seen"
    assert graded["b_check"]["score"] == sum(item.points for item in catalogue.items_of("neurons"))
    places = ["/tmp", "/dev/shm", tempfile.gettempdir(), str(tmp_path),
              *(str(s.path) for s in students.find_students(tmp_path))]
    left = [p for p in places if os.path.exists(os.path.join(p, mark))]
    assert not left, f"files left behind in {left}"
    assert not marked_processes(), "a process of a graded submission outlived its grading"


def test_a_worker_that_dies_costs_one_student_and_is_replaced(tmp_path):
    # A worker that answers "ready", then dies at its first request.
    dies = [sys.executable, "-c", f"import json, sys; print(json.dumps({{'ready': {fingerprint.current()!r}}}), "
                                  "flush=True); sys.stdin.readline(); sys.stderr.write('worker exploded\\n'); sys.exit(9)"]
    engine = engines.WarmWorkers(1, command=dies)
    first = course.grade(student(tmp_path, "alice", mark="m"), "abc", timeout=60, engine=engine)
    assert first["batch"]["status"] == "error"
    assert "warm worker ended (status 9)" in first["batch"]["error"]
    assert "worker exploded" in first["batch"]["error"]
    assert engine.idle.queue[0] is None  # the slot starts a new worker for the next student
    engine.close()


def test_a_worker_that_hangs_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "WORKER_MARGIN", 1.0)
    hangs = [sys.executable, "-c", f"import json, time; print(json.dumps({{'ready': {fingerprint.current()!r}}}), "
                                   "flush=True); time.sleep(600)"]
    engine = engines.WarmWorkers(1, command=hangs)
    report = course.grade(student(tmp_path, "bob", mark="m"), "abc", timeout=1, engine=engine)
    assert report["batch"]["status"] == "error" and "stopped answering" in report["batch"]["error"]
    assert report["batch"]["seconds"] < 30
    engine.close()


def test_the_two_isolations_give_the_same_report(tmp_path):
    alice = student(tmp_path, "alice", mark="m")
    shutil.copy(SOLUTIONS / "loss.py", alice.path)
    sha = students.content_hash(alice)
    warm = engines.WarmWorkers(1)
    try:
        forked = course.grade(alice, sha, timeout=300, engine=warm)
    finally:
        warm.close()
    fresh = course.grade(alice, sha, timeout=300, engine=engines.Processes())
    assert forked["batch"]["status"] == fresh["batch"]["status"] == "graded"
    assert [(i["id"], i["score"]) for i in forked["items"]] == [(i["id"], i["score"]) for i in fresh["items"]]
    assert forked["batch"]["grader"] == fresh["batch"]["grader"]


def test_a_worker_that_cannot_start_stops_the_batch_with_why(tmp_path):
    broken = [sys.executable, "-c", "import sys; sys.stderr.write('ImportError: no torch\\n'); sys.exit(1)"]
    engine = engines.WarmWorkers(1, command=broken)
    with pytest.raises(students.BatchError, match="the warm workers could not start: .*ImportError: no torch"):
        course.grade(student(tmp_path, "alice", mark="m"), "abc", timeout=60, engine=engine)


def test_a_worker_with_another_grader_grades_nobody(tmp_path):
    other = [sys.executable, "-c", "import json, time; print(json.dumps({'ready': '0.0.1-000000000000'}), "
                                   "flush=True); time.sleep(600)"]
    engine = engines.WarmWorkers(1, command=other)
    try:
        report = course.grade(student(tmp_path, "alice", mark="m"), "abc", timeout=60, engine=engine)
    finally:
        engine.stop_all()
    assert report["batch"]["status"] == "error"
    assert "runs grader 0.0.1-000000000000" in report["batch"]["error"]


# Appended to the reference neurons.py: a wrong neuron if anything of the
# folder the batch was started from can be read.
SEES_THE_BATCH_FOLDER = '''
import os as _os3, sys as _sys3

def _seen():
    for folder in _sys3.path + [_os3.getcwd(), ".."]:
        try:
            if MARK in _os3.listdir(folder or "."):
                return True
        except OSError:
            pass
    return False

if _seen():
    def neuron(inputs, weights, bias):
        return -12345.0
'''


def test_a_child_cannot_see_the_folder_the_batch_runs_in(tmp_path, monkeypatch):
    mark = f"autograder_mark_{uuid.uuid4().hex}"
    here = tmp_path / "course"  # where an instructor runs the batch: other students' files
    here.mkdir()
    (here / mark).write_text("another student's report\n")
    monkeypatch.chdir(here)
    looking = student(tmp_path, "looking", SEES_THE_BATCH_FOLDER, mark=mark)
    engine = engines.WarmWorkers(1)
    try:
        report = course.grade(looking, students.content_hash(looking), timeout=300, engine=engine)
    finally:
        engine.close()
    assert report["batch"]["status"] == "graded", report["batch"]
    assert neuron_points(report) > 0


def test_a_zygote_that_dies_is_started_again(tmp_path):
    alice = student(tmp_path, "alice", mark="m")
    engine = engines.WarmWorkers(1)
    try:
        first = course.grade(alice, "abc", timeout=300, engine=engine)
        (worker,) = [w for w in list(engine.idle.queue) if w is not None]
        zygotes = [pid for pid in children(worker.process.pid) if b"--zygote" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(zygotes) == 1
        os.kill(zygotes[0], signal.SIGKILL)
        second = course.grade(alice, "abc", timeout=300, engine=engine)
    finally:
        engine.close()
    assert first["batch"]["status"] == second["batch"]["status"] == "graded", second["batch"]
    assert first["score"] == second["score"] > 0


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found
