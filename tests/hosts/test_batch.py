"""Batch grading: a gradebook for a whole course, resumable and fault-tolerant.

Grading stays cheap: each student hands in just `neurons.py` (the reference or
the stub), about 10 s of grading. One run with two workers is shared by every
test that only reads its results (across xdist workers too, through a lock).
"""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
from filelock import FileLock

from autograder import catalogue
from autograder.grading import fingerprint
from autograder.hosts.batch import course, engines, students
from autograder.hosts.batch import reports as batch_reports
from autograder.hosts.github import feedback
from autograder.hosts.github.fetch_students import Fetched
from autograder.paths import ROOT, SOLUTIONS
from support.batch_course import (
    batch_environment,
    graded_students,
    leftover_graders,
    make_course,
    read_csv,
    run_batch,
)

NEURONS = catalogue.items_of("neurons")


@pytest.fixture(scope="session")
def first_run(tmp_path_factory, worker_id):
    """The course graded once with --workers 2: (submissions, out, stdout)."""
    base = tmp_path_factory.getbasetemp()
    shared = (base if worker_id == "master" else base.parent) / "batch-first-run"
    with FileLock(f"{shared}.lock"):
        if not (shared / "stdout.txt").exists():
            shutil.rmtree(shared, ignore_errors=True)
            submissions = make_course(shared / "submissions")
            done = run_batch(submissions, shared / "out", "--workers", "2")
            assert done.returncode == 0, done.stderr[-3000:]
            (shared / "stdout.txt").write_text(done.stdout)
    return shared / "submissions", shared / "out", (shared / "stdout.txt").read_text()


def test_gradebook_has_one_row_per_student_and_one_column_per_item(first_run):
    _, out, stdout = first_run
    with open(out / batch_reports.CSV_NAME, newline="") as f:
        header = next(csv.reader(f))
    assert header == ["student", "status", "score", "max_score", *(i.id for i in catalogue.load()), "error",
                      "grader", "integrity"]
    assert [r["student"] for r in read_csv(out)] == ["alice", "bob", "ghost"]
    assert graded_students(stdout) == ["alice", "bob", "ghost"]
    assert sorted(p.name for p in out.iterdir()) == ["alice.json", "bob.json", "ghost.json", "grades.csv"]


def test_reference_module_earns_its_points_and_the_stub_none(first_run):
    _, out, _ = first_run
    rows = {r["student"]: r for r in read_csv(out)}
    alice, bob = rows["alice"], rows["bob"]
    for item in catalogue.load():
        expected = item.points if item.module == "neurons" else 0
        assert float(alice[item.id]) == expected, item.id
        assert float(bob[item.id]) == 0, item.id
    assert float(alice["score"]) == sum(i.points for i in NEURONS) > 0
    assert (alice["status"], bob["status"], bob["score"]) == ("graded", "graded", "0")
    assert float(alice["max_score"]) == float(bob["max_score"]) == catalogue.max_score()
    report = json.loads((out / "alice.json").read_text())
    assert report["score"] == float(alice["score"]) and report["batch"]["sha256"] == students.fingerprint(
        first_run[0] / "alice")


def test_an_unreadable_submission_is_recorded_and_the_others_graded(first_run):
    _, out, _ = first_run
    ghost = {r["student"]: r for r in read_csv(out)}["ghost"]
    assert ghost["status"] == "error" and ghost["score"] == "" and ghost["neuron"] == ""
    assert "cannot read the submission" in ghost["error"] and "ghost.ipynb" in ghost["error"]
    assert json.loads((out / "ghost.json").read_text())["batch"]["status"] == "error"


def test_a_deleted_report_is_regraded_and_no_other(first_run, tmp_path):
    submissions, first_out, _ = first_run
    out = tmp_path / "out"
    shutil.copytree(first_out, out)
    (out / "alice.json").unlink()
    bob_written = (out / "bob.json").stat().st_mtime_ns

    done = run_batch(submissions, out, "--workers", "2")

    assert done.returncode == 0, done.stderr[-3000:]
    # ghost's failure is retried on every run; bob's finished report is kept.
    assert graded_students(done.stdout) == ["alice", "ghost"]
    assert "1 of 3 already graded" in done.stdout
    assert (out / "bob.json").stat().st_mtime_ns == bob_written
    assert read_csv(out) == read_csv(first_out)


def test_an_interrupted_run_resumes_to_the_same_gradebook_with_one_worker(first_run, tmp_path):
    submissions, first_out, _ = first_run
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "batch", str(submissions), "--out", str(out), "--workers", "1"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=batch_environment(submissions))
    deadline = time.monotonic() + 600
    while not (out / "alice.json").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)  # mid-run: alice is done, bob is being graded
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 130, stderr[-3000:]
    assert "run the same command again to resume" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["alice.json"]
    assert leftover_graders(str(submissions)) == []

    # What a crash in the middle of a write would leave: a temporary file and
    # (from a writer less careful than ours) a torn report.
    (out / ".bob.json.x1y2.partial").write_text('{"batch": ')
    (out / "bob.json").write_text('{"batch": {"student": "bob", "sha2')
    alice_written = (out / "alice.json").stat().st_mtime_ns

    done = run_batch(submissions, out, "--workers", "1")

    assert done.returncode == 0, done.stderr[-3000:]
    assert graded_students(done.stdout) == ["bob", "ghost"]
    assert (out / "alice.json").stat().st_mtime_ns == alice_written
    assert not list(out.glob(".*"))
    assert read_csv(out) == read_csv(first_out)  # --workers 1 and --workers 2 agree


@pytest.mark.parametrize("isolation", ["fork", "process"])
def test_a_submission_over_its_time_is_stopped_and_recorded(tmp_path, isolation):
    submissions = tmp_path / "submissions"
    (submissions / "slow").mkdir(parents=True)
    slow = (SOLUTIONS / "neurons.py").read_text() + "\nimport time\ntime.sleep(15)  # each import\n"
    (submissions / "slow" / "neurons.py").write_text(slow)
    start = time.monotonic()

    done = run_batch(submissions, tmp_path / "out", "--timeout", "1", "--isolation", isolation)

    assert done.returncode == 0, done.stderr[-3000:]
    assert time.monotonic() - start < 60
    (row,) = read_csv(tmp_path / "out")
    assert (row["student"], row["status"], row["score"]) == ("slow", "timeout", "")
    assert "longer than 1 s" in row["error"]
    assert leftover_graders(str(submissions)) == []


@pytest.mark.parametrize("code, expected", [
    ("import sys; sys.stderr.write('Traceback\\nGraderError: no suites\\n'); sys.exit(3)",
     "exited with status 3: Traceback | GraderError: no suites"),
    ("pass", "the grader wrote no readable report"),
])
def test_a_failing_grader_is_recorded_with_what_it_said(tmp_path, code, expected):
    student = students.Student("carol", tmp_path)
    report = course.grade(student, "abc", timeout=60,
                          engine=engines.Processes([sys.executable, "-c", code]))
    assert report["batch"]["status"] == "error"
    assert expected in report["batch"]["error"]
    assert "score" not in report and batch_reports.row("carol", report).get("score", "") == ""


def test_the_content_hash_follows_what_the_grader_reads(tmp_path):
    (tmp_path / "neurons.py").write_text("x = 1\n")
    before = students.fingerprint(tmp_path)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "neurons.py").write_text("x = 2\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "neurons.pyc").write_bytes(b"\0")
    assert students.fingerprint(tmp_path) == before  # hidden files and caches do not count

    (tmp_path / "neurons.py").write_text("x = 2\n")
    edited = students.fingerprint(tmp_path)
    assert edited != before
    (tmp_path / "neurons.py").rename(tmp_path / "matmul.py")
    assert students.fingerprint(tmp_path) not in (before, edited)  # same bytes, another module


def test_only_a_complete_report_of_the_same_content_is_kept(tmp_path):
    report = {"batch": {"student": "dan", "sha256": "abc", "status": "graded", "error": "",
                        "grader": fingerprint.current()},
              "score": 2.0, "max_score": 90.0,
              "items": [{"id": i.id, "score": 0.0, "max_score": float(i.points), "status": "failed", "tests": []}
                        for i in catalogue.load()]}
    batch_reports.save(tmp_path, report)
    assert batch_reports.is_final(batch_reports.load(tmp_path, "dan"), "abc")
    assert not batch_reports.is_final(batch_reports.load(tmp_path, "dan"), "abd")  # the submission changed
    assert not batch_reports.is_final(batch_reports.load(tmp_path, "dan"), "abc", "0.1.0-000000000000")
    assert batch_reports.load(tmp_path, "eve") is None

    for broken in ({**report, "items": report["items"][1:]},                       # another catalogue
                   {**report, "batch": {**report["batch"], "status": "timeout"}},  # a failure: retried
                   {"batch": {**report["batch"]}},                                # graded, no scores
                   {**report, "batch": {**report["batch"], "student": "eve"}},    # someone else's
                   {**report, "batch": {k: v for k, v in report["batch"].items() if k != "grader"}}):  # an old grader's
        batch_reports.save(tmp_path, broken)
        assert not batch_reports.is_final(batch_reports.load(tmp_path, "dan"), "abc"), broken


@pytest.mark.parametrize("setup, message, status", [
    (lambda d: None, "no submissions in", 1),
    (lambda d: ((d / "x").mkdir(), (d / "x.ipynb").write_text("{}")), "two submissions for student 'x'", 1),
    (lambda d: d.rmdir(), "does not exist", 2),
])
def test_bad_input_gets_a_clear_message(tmp_path, setup, message, status):
    folder = tmp_path / "submissions"
    folder.mkdir()
    setup(folder)
    done = run_batch(folder, tmp_path / "out")
    assert done.returncode == status
    assert message in done.stderr and "Traceback" not in done.stderr


ADDED_CHECK = '''

@pytest.mark.item("neuron")
def test_a_check_added_after_the_first_grading():
    assert False, "added after the first grading"
'''


def test_a_changed_hidden_suite_regrades_the_course(tmp_path):
    """The batch is run from a copy of the grader; the copy's hidden suite
    then gains a check, and the rerun regrades every report it made."""
    grader = tmp_path / "grader"
    for folder in ("autograder", "solutions"):
        shutil.copytree(ROOT / folder, grader / folder, ignore=shutil.ignore_patterns("__pycache__"))
    submissions = make_course(tmp_path / "submissions")
    out = tmp_path / "out"

    def batch() -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "autograder", "batch", str(submissions), "--out", str(out)],
                              cwd=grader, capture_output=True, text=True, timeout=900,
                              env=dict(batch_environment(submissions), PYTHONPATH=str(grader)))
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    batch()
    before = {row["student"]: row for row in read_csv(out)}
    assert graded_students(batch().stdout) == ["ghost"]  # the same grader: only the failure is retried
    with open(grader / "autograder" / "hidden" / "test_neurons.py", "a") as suite:
        suite.write(ADDED_CHECK)
    again = batch()

    after = {row["student"]: row for row in read_csv(out)}
    assert graded_students(again.stdout) == ["alice", "bob", "ghost"]  # a failure is retried anyway
    assert before["alice"]["grader"] != after["alice"]["grader"] != ""
    assert float(after["alice"]["neuron"]) < float(before["alice"]["neuron"])  # graded by the new suite
    assert json.loads((out / "alice.json").read_text())["batch"]["grader"] == after["alice"]["grader"]


def test_integrity_flags_and_similarity_are_for_the_instructor_only(tmp_path):
    submissions = tmp_path / "submissions"
    reference = (SOLUTIONS / "neurons.py").read_text()
    for name, code in (("honest", reference), ("curious", reference + "\nimport gc\nSEEN = gc.get_objects\n")):
        (submissions / name).mkdir(parents=True)
        (submissions / name / "neurons.py").write_text(code)
    out = tmp_path / "out"

    done = run_batch(submissions, out, "--similarity")

    assert done.returncode == 0, done.stderr[-3000:]
    rows = {row["student"]: row for row in read_csv(out)}
    assert rows["curious"]["score"] == rows["honest"]["score"]  # a flag never changes a score
    line = reference.count("\n") + 3  # the appended `SEEN = gc.get_objects`
    assert f"neurons.py:{line}: uses gc.get_objects" in rows["curious"]["integrity"], rows["curious"]["integrity"]
    assert rows["honest"]["integrity"] == ""
    report = json.loads((out / "curious.json").read_text())
    assert any("gc.get_objects" in flag for flag in report["batch"]["integrity"])
    shown = feedback.feedback_for(report, Fetched("curious", "course/curious", "main", "a" * 40))
    assert "gc" not in shown.comment and "integrity" not in shown.comment.lower()  # what the student sees
    with open(out / "similarity.csv", newline="") as f:
        pairs = [row for row in csv.DictReader(f) if row["module"] == "neurons" and not row["item"]]
    assert [(p["student_a"], p["student_b"]) for p in pairs] == [("curious", "honest")]
    assert float(pairs[0]["similarity_b_to_a"]) > 0.9  # honest's code is all in curious's
    assert "curious" in (out / "similarity.html").read_text() and "similarity.html" in done.stdout
