"""Grading for the record, from the course's side: fetch-students, batch, post-feedback.

Real git repositories in a temporary folder stand in for the students'
repositories and are fetched through file:// URLs by the real command;
`batch` grades what was fetched (each student hands in little, so it stays
quick); the feedback goes to a fake GitHub on 127.0.0.1 (tests/support/fake_github.py)
that records every request. The course is run once and read by most tests.
"""

from __future__ import annotations

import base64
import csv
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from autograder import catalogue
from autograder.cli import main
from autograder.hosts.batch import reports as batch_reports
from autograder.hosts.github import feedback, fetch_students
from autograder.hosts.github.api import GitHub, GitHubError
from autograder.paths import EXERCISES, ROOT, SOLUTIONS
from autograder.safe_text import markdown
from support.fake_github import FakeGitHub
from support.workflows import LINTERS, SHA_PIN, all_steps, lint, triggers, uses

STUDENTS_TOKEN = "ghs_" + "s3cretStudents" * 3
FEEDBACK_TOKEN = "github_pat_" + "s3cretFeedback" * 3
TOKEN_VARIABLES = ("STUDENTS_TOKEN", "FEEDBACK_TOKEN", "GITHUB_API_URL", "GITHUB_SERVER_URL")
NEURONS = catalogue.items_of("neurons")
MATMUL = catalogue.items_of("matmul")
COURSE_WORKFLOW = ROOT / "autograder" / "course" / "grade-students.yml"


@dataclass(frozen=True)
class Link:
    target: str


def git(cwd: Path, *args: str) -> str:
    env = os.environ | {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "Student",
                        "GIT_AUTHOR_EMAIL": "student@example.com", "GIT_COMMITTER_NAME": "Student",
                        "GIT_COMMITTER_EMAIL": "student@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def student_repository(server: Path, repository: str, files: dict[str, str | Link]) -> str:
    """A student's repository with one commit of these files; the commit's SHA."""
    path = server / repository
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch", "main")
    for name, content in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            (path / name).symlink_to(content.target)
        else:
            (path / name).write_text(content)
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "--message", "my work")
    return git(path, "rev-parse", "HEAD")


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m autograder ARGS` as the workflow runs it, with only these tokens in its environment."""
    clean = {name: value for name, value in os.environ.items() if name not in TOKEN_VARIABLES}
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, env=clean | env,
                          capture_output=True, text=True, timeout=900)


@dataclass
class Course:
    base: Path
    roster: Path
    submissions: Path
    out: Path
    shas: dict[str, str]
    fetch: subprocess.CompletedProcess
    batch: subprocess.CompletedProcess
    post: subprocess.CompletedProcess
    again: subprocess.CompletedProcess
    first_requests: list  # what the first post-feedback sent
    second_requests: list  # what the second one sent

    @property
    def record(self) -> Path:
        return self.submissions / fetch_students.RECORD

    def logs(self) -> str:
        return "".join(done.stdout + done.stderr for done in (self.fetch, self.batch, self.post, self.again))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    """alice: the reference neurons.py, with the public tests beside it and a README.
    bob: the stub neurons.py, matmul.py as a link to a solution, a solution outside
    exercises/ and a stray file. carol: on the roster, no repository."""
    base = tmp_path_factory.mktemp("course")
    server = base / "github"
    shas = {
        "alice": student_repository(server, "course/alice", {
            "README.md": "# alice\n",
            "exercises/neurons.py": (SOLUTIONS / "neurons.py").read_text(),
            "exercises/test_neurons.py": (EXERCISES / "test_neurons.py").read_text(),
            "exercises/conftest.py": (EXERCISES / "conftest.py").read_text(),
        }),
        "bob": student_repository(server, "course/bob", {
            "exercises/neurons.py": (EXERCISES / "neurons.py").read_text(),
            "exercises/matmul.py": Link("../../solutions/matmul.py"),
            "exercises/notes.txt": "stray\n",
            "solutions/matmul.py": (SOLUTIONS / "matmul.py").read_text(),
        }),
    }
    roster = base / "roster.csv"
    roster.write_text("student,repository,ref\nalice,course/alice,\nbob,course/bob,main\ncarol,course/carol,\n")
    submissions, out = base / "submissions", base / "grades"
    fetch = run("fetch-students", str(roster), "--into", str(submissions), "--server-url", server.as_uri(),
                STUDENTS_TOKEN=STUDENTS_TOKEN)
    batch = run("batch", str(submissions), "--out", str(out), "--workers", "2")
    post_args = ("post-feedback", str(out), "--roster", str(roster), "--fetched", str(submissions / ".fetched.csv"))
    with FakeGitHub() as github:
        post = run(*post_args, FEEDBACK_TOKEN=FEEDBACK_TOKEN, GITHUB_API_URL=github.url)
        first = github.requests
        again = run(*post_args, FEEDBACK_TOKEN=FEEDBACK_TOKEN, GITHUB_API_URL=github.url)
        second = github.requests[len(first):]
    return Course(base, roster, submissions, out, shas, fetch, batch, post, again, first, second)


# -- fetch ----------------------------------------------------------------------------------


def test_fetch_takes_only_the_regular_module_files_of_exercises(course):
    found = {p.relative_to(course.submissions).as_posix() for p in course.submissions.rglob("*")}
    assert found == {".fetched.csv", "alice", "alice/neurons.py", "bob", "bob/neurons.py"}
    assert not [p for p in course.submissions.rglob("*") if p.is_symlink()]
    assert (course.submissions / "alice" / "neurons.py").read_text() == (SOLUTIONS / "neurons.py").read_text()


def test_fetch_records_each_commit_graded_and_each_failure(course):
    assert course.fetch.returncode == 0, course.fetch.stderr
    record = fetch_students.read_record(course.record)
    assert list(record) == ["alice", "bob", "carol"]
    assert (record["alice"].status, record["alice"].sha, record["alice"].detail) == ("fetched", course.shas["alice"], "")
    assert (record["bob"].status, record["bob"].sha) == ("fetched", course.shas["bob"])
    assert record["bob"].detail == "exercises/matmul.py is a symbolic link, not a file: not graded"
    assert (record["carol"].status, record["carol"].sha) == ("failed", "")
    assert record["carol"].detail.startswith("git fetch failed: ")
    assert "carol: not fetched: git fetch failed" in course.fetch.stderr
    assert course.fetch.stdout.splitlines()[-1] == f"fetched 2, failed 1; wrote {course.record}"


def test_roster_problems_are_listed_by_line_before_anything_is_fetched(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,repository,ref\n../evil,course/a,\nbob,course/b/c,\ncarol,course/c,--upload-pack=x\n"
                      "dave,course/d,\ndave,course/e,\neve,course/..,\nfrank,course/f,main:refs/heads/x\n")
    result = CliRunner().invoke(main, ["fetch-students", str(roster), "--into", str(tmp_path / "subs")])
    assert result.exit_code == 1, result.output
    for line in (2, 3, 4, 6, 7, 8):
        assert f"line {line}:" in result.output
    assert "line 5:" not in result.output and "6 bad line(s)" in result.output
    assert not (tmp_path / "subs").exists()


def test_a_fetch_that_fails_leaves_no_old_submission_behind(tmp_path):
    stale = tmp_path / "subs" / "carol"
    stale.mkdir(parents=True)
    (stale / "neurons.py").write_text("# last week's\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("student,repository\ncarol,course/carol\n")
    done = run("fetch-students", str(roster), "--into", str(tmp_path / "subs"), "--server-url", str(tmp_path))
    assert done.returncode == 0 and "carol: not fetched" in done.stderr
    assert not stale.exists()


def test_git_gets_the_token_in_a_header_never_in_arguments_or_files(tmp_path, monkeypatch):
    """Over HTTP to a local server: git's first request carries the header; the
    command lines, the fetched repository's files and the error hold no token."""
    launched = []
    popen = subprocess.Popen

    def recording(args, **kwargs):
        launched.append(args)
        return popen(args, **kwargs)

    monkeypatch.setattr(fetch_students.subprocess, "Popen", recording)
    git_dir = tmp_path / "clone.git"
    with FakeGitHub() as server, pytest.raises(fetch_students.FetchError) as failure:
        fetch_students.fetch_commit(f"{server.url}/course/alice", "", git_dir, token=STUDENTS_TOKEN, timeout=60)
    header = "Basic " + base64.b64encode(f"x-access-token:{STUDENTS_TOKEN}".encode()).decode()
    git_requests = [r for r in server.requests if r.path.startswith("/course/alice/")]
    assert git_requests and git_requests[0].path == "/course/alice/info/refs?service=git-upload-pack"
    assert all(r.headers.get("authorization") == header for r in git_requests)
    secrets = (STUDENTS_TOKEN, header.split()[1])
    assert launched and not [a for args in launched for a in args for s in secrets if s in a]
    assert not [s for s in secrets if s in str(failure.value)]
    assert (git_dir / "config").is_file()
    assert not [p for p in git_dir.rglob("*") if p.is_file() for s in secrets if s.encode() in p.read_bytes()]


def test_no_token_goes_to_git_over_plain_http_to_another_machine():
    env = fetch_students.git_environment("http://example.com/course/alice", STUDENTS_TOKEN)
    assert not [v for v in env.values() if "Authorization" in v]
    env = fetch_students.git_environment("https://github.com/course/alice", STUDENTS_TOKEN)
    assert [v for v in env.values() if v.startswith("Authorization: Basic ")]


# -- batch ----------------------------------------------------------------------------------


def test_batch_grades_what_was_fetched(course):
    assert course.batch.returncode == 0, course.batch.stdout + course.batch.stderr
    with open(course.out / "grades.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"alice", "bob"}
    assert rows["alice"]["score"] == f"{sum(i.points for i in NEURONS):g}"
    assert rows["bob"]["score"] == "0"
    report = batch_reports.load(course.out, "bob")
    statuses = {item["id"]: item["status"] for item in report["items"]}
    assert {statuses[i.id] for i in MATMUL} == {"missing"}  # the link was not followed


# -- post-feedback --------------------------------------------------------------------------


def test_feedback_goes_to_each_graded_commit(course):
    assert course.post.returncode == 0, course.post.stdout + course.post.stderr
    assert course.post.stdout.splitlines()[-1] == "posted 2, unchanged 0, skipped 1, failed 0"
    assert "carol: nothing posted: not fetched" in course.post.stdout
    expected = []
    for student in ("alice", "bob"):
        sha = course.shas[student]
        expected += [("GET", f"/repos/course/{student}/commits/{sha}/statuses?per_page=100"),
                     ("POST", f"/repos/course/{student}/commits/{sha}/comments"),
                     ("POST", f"/repos/course/{student}/statuses/{sha}")]
    assert [(r.method, r.path) for r in course.first_requests] == expected
    for request in course.first_requests:
        assert request.headers["authorization"] == f"Bearer {FEEDBACK_TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"


def test_the_status_says_the_points_and_links_to_the_report(course):
    statuses = [r.body for r in course.first_requests if "/statuses/" in r.path and r.method == "POST"]
    alice = sum(i.points for i in NEURONS)
    assert statuses == [
        {"state": "success", "description": f"Points {alice:g}/{catalogue.max_score()}", "context": "autograder/grade",
         "target_url": f"https://github.example/course/alice/commit/{course.shas['alice']}#commitcomment-1"},
        {"state": "success", "description": f"Points 0/{catalogue.max_score()}", "context": "autograder/grade",
         "target_url": f"https://github.example/course/bob/commit/{course.shas['bob']}#commitcomment-2"},
    ]


def test_the_comment_is_the_markdown_report_with_the_fetch_notes(course):
    comments = [r.body for r in course.first_requests if r.path.endswith("/comments")]
    assert [set(c) for c in comments] == [{"body"}, {"body"}]
    alice, bob = (c["body"] for c in comments)
    assert alice.startswith(f"### The course's grade for commit {course.shas['alice'][:12]}\n")
    assert f"## Points {sum(i.points for i in NEURONS):g}/{catalogue.max_score()}" in alice
    assert len([line for line in alice.splitlines() if line.startswith("| `")]) == len(catalogue.load())
    assert "- " + markdown("exercises/matmul.py is a symbolic link, not a file: not graded", 300) in bob
    assert "grade of record" in bob


def test_a_second_run_posts_nothing_new(course):
    assert course.again.returncode == 0, course.again.stdout
    assert [r.method for r in course.second_requests] == ["GET", "GET"]
    assert course.again.stdout.splitlines()[-1] == "posted 0, unchanged 2, skipped 1, failed 0"


def test_tokens_appear_in_no_log_and_no_file(course):
    header = base64.b64encode(f"x-access-token:{STUDENTS_TOKEN}".encode()).decode()
    secrets = (STUDENTS_TOKEN, FEEDBACK_TOKEN, header)
    logs = course.logs()
    assert logs and not [s for s in secrets if s in logs]
    files = [p for folder in (course.submissions, course.out) for p in folder.rglob("*") if p.is_file()]
    assert len(files) >= 6  # the record, two submissions, two reports, grades.csv
    assert not [p for p in files for s in secrets if s.encode() in p.read_bytes()]
    assert not list(course.submissions.rglob(".git"))  # the clones were temporary


def test_a_rate_limit_stops_posting_and_fails_the_run(course):
    with FakeGitHub() as github:
        github.state.refuse.add("course/alice")
        done = run("post-feedback", str(course.out), "--roster", str(course.roster), "--fetched", str(course.record),
                   FEEDBACK_TOKEN=FEEDBACK_TOKEN, GITHUB_API_URL=github.url)
        requests = github.requests
    assert done.returncode == 1
    assert "alice: GET /repos/course/alice/commits/" in done.stdout and "403 API rate limit exceeded" in done.stdout
    assert "stopped: GitHub's rate limit is reached" in done.stdout
    assert len(requests) == 1  # no retries, and bob is not tried
    assert FEEDBACK_TOKEN not in done.stdout + done.stderr


def test_post_feedback_needs_its_token(course):
    done = run("post-feedback", str(course.out), "--roster", str(course.roster), "--fetched", str(course.record))
    assert done.returncode == 1 and "FEEDBACK_TOKEN is not set" in done.stderr


def test_the_client_sends_no_token_in_clear_and_follows_no_redirect():
    with pytest.raises(GitHubError, match="must use https"):
        GitHub(FEEDBACK_TOKEN, "http://api.example.com")
    with FakeGitHub() as target, FakeGitHub() as api:
        api.state.redirect = f"{target.url}/elsewhere"
        with pytest.raises(GitHubError) as failure:
            GitHub(FEEDBACK_TOKEN, api.url).list_statuses("course/alice", "a" * 40)
        assert failure.value.status == 301 and "not followed" in str(failure.value)
        assert target.requests == [] and len(api.requests) == 1
    assert FEEDBACK_TOKEN not in repr(GitHub(FEEDBACK_TOKEN)) + str(failure.value)


def test_a_failed_grading_tells_the_student_nothing_of_the_grader():
    report = {"batch": {"student": "bob", "status": "error", "sha256": None, "seconds": 1.0,
                        "error": "the grader exited with status 3: Traceback | assert ref(x) == hidden_case"}}
    fetched = fetch_students.Fetched("bob", "course/bob", "", "b" * 40, "fetched", "")
    result = feedback.feedback_for(report, fetched)
    assert result == feedback.Feedback("error", "Not graded (error): the course has the details", None)


# -- the course's workflow ------------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(COURSE_WORKFLOW.read_text())


@pytest.mark.parametrize("linter", sorted(LINTERS))
def test_course_workflow_lints_clean(linter):
    done = lint(linter, COURSE_WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_course_workflow_keeps_its_secrets_off_the_machine_that_runs_students_code(workflow):
    jobs = workflow["jobs"]
    assert (jobs["grade"]["needs"], jobs["post"]["needs"]) == ("fetch", "grade")
    assert "secrets" not in yaml.safe_dump(jobs["grade"])
    where = {(job, step["name"], name): value for job, spec in jobs.items() for step in spec["steps"]
             for name, value in step.get("env", {}).items() if "secrets" in value}
    assert where == {
        ("fetch", "Fetch every student's exercises", "STUDENTS_TOKEN"): "${{ secrets.STUDENTS_TOKEN }}",
        ("post", "Post a commit status and a comment per student", "FEEDBACK_TOKEN"): "${{ secrets.FEEDBACK_TOKEN }}",
    }
    assert COURSE_WORKFLOW.read_text().count("secrets.") == 2  # nowhere else


def test_course_workflow_runs_by_hand_or_on_a_schedule_with_pinned_actions(workflow):
    assert set(triggers(workflow)) == {"workflow_dispatch", "schedule"}
    assert workflow["permissions"] == {"contents": "read"}
    assert all(SHA_PIN.match(s["uses"]) for s in uses(workflow))
    assert all(s["with"]["persist-credentials"] is False for s in uses(workflow, "actions/checkout@"))
    scripts = "\n".join(s.get("run", "") for s in all_steps(workflow))
    for command in ("fetch-students", "batch", "post-feedback"):
        assert f"python -m autograder {command} " in scripts
    uploaded = {s["with"]["name"] for s in uses(workflow, "actions/upload-artifact@")}
    downloaded = {s["with"]["name"] for s in uses(workflow, "actions/download-artifact@")}
    assert downloaded <= uploaded and "grades" in uploaded
