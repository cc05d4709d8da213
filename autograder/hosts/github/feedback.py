"""Return each student's grade to the commit that was graded, through GitHub's API.

For every roster entry with a fetched commit and a batch report: a commit
comment with the Markdown report (`POST /repos/{owner}/{repo}/commits/{sha}/comments`),
then a commit status (`POST /repos/{owner}/{repo}/statuses/{sha}`) whose
description is "Points X/90" and whose link is that comment. The repository
comes from the roster (the course's own file), the commit from the record
of fetch-students; the reports are only read, as hostile text. A commit that
already carries this status (same context, state and description) gets
nothing new, so a scheduled run comments only on new commits or changed
grades.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autograder.hosts.batch import reports as batch_reports
from autograder.hosts.github.api import GitHub, GitHubError
from autograder.hosts.github.fetch_students import FETCHED, Fetched
from autograder.hosts.github.roster import Entry, SHA
from autograder.report.formats import to_markdown
from autograder.report.model import Report
from autograder.safe_text import markdown

CONTEXT = "autograder/grade"
DESCRIPTION_LIMIT = 140  # GitHub's limit for a status description
COMMENT_LIMIT = 60_000  # characters; GitHub takes 65,536 at most


@dataclass
class Feedback:
    state: str  # a commit status state: success or error
    description: str
    comment: str | None  # the Markdown report, when there is one

    def __post_init__(self):
        self.description = self.description[:DESCRIPTION_LIMIT]  # GitHub refuses a longer one


@dataclass
class Outcome:
    posted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # nothing to post: not fetched, not graded
    failed: list[str] = field(default_factory=list)  # GitHub refused or did not answer
    stopped: bool = False  # rate-limited: the rest was not tried


def feedback_for(report: dict, fetched: Fetched) -> Feedback:
    """The status and comment for one student's batch report."""
    if report["batch"]["status"] != batch_reports.GRADED:
        # The grader's error text can quote the hidden suites: it stays in the course's artifact.
        return Feedback("error", f"Not graded ({report['batch']['status']}): the course has the details", None)
    graded = Report.from_dict(report)
    return Feedback("success", f"Points {graded.score:g}/{graded.max_score:g}", comment(graded, fetched))


def comment(report: Report, fetched: Fetched) -> str:
    lines = [
        f"### The course's grade for commit {fetched.sha[:12]}",
        "",
        "Graded by the course's grader with its hidden tests: this is the grade of record",
        "for this commit. (The public tests in your repository are feedback only.)",
        "",
    ]
    if fetched.detail:
        lines += [f"- {markdown(note, 300)}" for note in fetched.detail.split("; ")] + [""]
    body = "\n".join(lines) + to_markdown(report)
    return body if len(body) <= COMMENT_LIMIT else body[:COMMENT_LIMIT] + "\n\n(cut: too long)\n"


def already_posted(github: GitHub, repository: str, sha: str, feedback: Feedback, context: str) -> bool:
    """Whether the newest status of `context` on the commit already says this."""
    latest = next((s for s in github.list_statuses(repository, sha) if s.get("context") == context), None)
    return latest is not None and (latest.get("state"), latest.get("description")) == (
        feedback.state, feedback.description)


def post_one(github: GitHub, repository: str, sha: str, feedback: Feedback, context: str) -> bool:
    """Comment, then status (which links to the comment); False when it was already there."""
    if already_posted(github, repository, sha, feedback, context):
        return False
    link = None
    if feedback.comment is not None:
        link = github.create_commit_comment(repository, sha, feedback.comment).get("html_url")
    github.create_status(repository, sha, state=feedback.state, description=feedback.description,
                         context=context, target_url=link if isinstance(link, str) else None)
    return True


def what_to_post(entry: Entry, record: dict[str, Fetched], out: Path) -> tuple[Fetched, Feedback] | str:
    """The commit and feedback for one student, or why there is nothing to post."""
    fetched = record.get(entry.student)
    if fetched is None or fetched.status != FETCHED:
        return "not fetched" + (f" ({fetched.detail})" if fetched is not None and fetched.detail else "")
    if fetched.repository != entry.repository or not SHA.fullmatch(fetched.sha):
        return "the fetch record does not match the roster (fetched from another repository?)"
    report = batch_reports.load(out, entry.student)
    if report is None:
        return f"no report in {out}"
    return fetched, feedback_for(report, fetched)


def post_all(github: GitHub, entries: list[Entry], record: dict[str, Fetched], out: Path, *,
             context: str = CONTEXT, echo: Callable[[str], None] = lambda line: None) -> Outcome:
    outcome = Outcome()
    for entry in entries:
        found = what_to_post(entry, record, out)
        if isinstance(found, str):
            outcome.skipped.append(entry.student)
            echo(f"{entry.student}: nothing posted: {found}")
            continue
        fetched, feedback = found
        try:
            posted = post_one(github, entry.repository, fetched.sha, feedback, context)
        except GitHubError as exc:
            outcome.failed.append(entry.student)
            echo(f"{entry.student}: {exc}")
            if exc.rate_limited:
                outcome.stopped = True
                echo("stopped: GitHub's rate limit is reached; run again later to post the rest")
                break
            continue
        (outcome.posted if posted else outcome.unchanged).append(entry.student)
        state = "posted" if posted else "already there"
        echo(f"{entry.student}: {feedback.description} on {entry.repository}@{fetched.sha[:12]} ({state})")
    return outcome
