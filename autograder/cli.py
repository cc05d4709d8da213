"""The command line: `python -m autograder COMMAND`."""

from __future__ import annotations

import contextlib
import gc
import sys
from pathlib import Path

import click

from autograder.course import generate as generator
from autograder.course.stubs import StubError
from autograder.paths import EXERCISES, ROOT
from autograder.safe_text import clean


@click.group()
def main() -> None:
    """Exercises and grading for 'A Neural Net from the Foundations'."""


@main.command()
@click.option("--check", is_flag=True, help="Only report stale files; exit 1 if any.")
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=EXERCISES,
    show_default="exercises/",
    help="The folder to generate or check.",
)
def generate(check: bool, into: Path) -> None:
    """Regenerate exercises/ from solutions/ and the catalogue."""
    if check:
        stale = generator.stale_files(into)
        for name in stale:
            click.echo(f"stale: {into / name}")
        if stale:
            click.echo(f"{into} is out of date: run `python -m autograder generate`.")
            sys.exit(1)
        click.echo(f"{into} is up to date.")
        return
    try:
        changed = generator.write(into)
    except StubError as exc:
        raise click.ClickException(str(exc)) from exc
    for name in changed:
        click.echo(f"wrote {into / name}")


def report_options(command):
    """--format and --output, shared by every command that writes a report."""
    command = click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                           help="Write the report to FILE instead of standard output.")(command)
    return click.option(
        "--format", "fmt",
        type=click.Choice(["table", "json", "gradescope", "junit", "markdown"]),
        default="table", show_default=True, help="How to write the report.",
    )(command)


def write_report(result, fmt: str, output: Path | None) -> None:
    """A table on the terminal (JSON when written to a file), or the format asked for."""
    from autograder.report import formats

    if fmt == "table" and output is None:
        formats.to_table(result)
        return
    text = formats.to_json(result) if fmt == "table" else formats.RENDERERS[fmt](result)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text)


@main.command()
@click.argument(
    "path",
    required=False,
    type=click.Path(exists=True, path_type=Path),
    default=EXERCISES,
)
@report_options
@click.option("--fail-under", type=click.FloatRange(min=0), metavar="SCORE",
              help="Exit 1 when the points are below SCORE (the report is still written).")
@click.option("--jobs", type=click.IntRange(min=1), metavar="N",
              help="Grade N groups of modules in parallel (default: one per core, at most 4).")
@click.option("--budget", type=click.FloatRange(min=1), metavar="SECONDS", default=300.0, show_default=True,
              help="Seconds the whole grading may take; checks not reached by then fail, and the report is written.")
def grade(path: Path, fmt: str, output: Path | None, fail_under: float | None,
          jobs: int | None, budget: float) -> None:
    """Grade the modules in PATH (default: exercises/) with the hidden suites.

    Exits 0 whenever grading ran to the end, whatever the score; 1 when
    --fail-under SCORE is given and the points are below it; 2 for a usage
    error; 3 when the grader itself failed.
    """
    from autograder import catalogue
    from autograder.grading import submission_files
    from autograder.sandbox.forkserver_client import fork_server

    try:
        submission_files.submission_root(path)  # before any start-up: a link is a usage error
    except submission_files.SubmissionFileError as exc:
        raise click.BadParameter(str(exc), param_hint="'PATH'") from None
    if fail_under is not None and fail_under > catalogue.max_score():
        # a gate no submission can pass is a typo, not a policy
        raise click.BadParameter(
            f"{fail_under:g} is more than the {catalogue.max_score()} points there are.",
            param_hint="'--fail-under'")
    fork_server()  # it imports torch while this process does the same (grading needs it)
    with gc_paused():
        from autograder.grading import pipeline

        pipeline.warm_up()  # here, with no collections; grade() finds it done

    try:
        result = pipeline.grade(path, jobs=jobs, budget=budget)
    except pipeline.GraderError as exc:
        click.echo(f"grader failure: {exc}", err=True)
        sys.exit(3)
    write_report(result, fmt, output)
    for note in result.notes:  # a notebook's name is the student's: cleaned like any report text
        click.echo(f"note: {clean(note)}", err=True)
    if fmt != "table" or output is not None:
        click.echo(f"Points {result.score:g}/{result.max_score:g}", err=True)
    if fail_under is not None and result.score < fail_under:
        click.echo(f"Points {result.score:g} are below --fail-under {fail_under:g}.", err=True)
        sys.exit(1)


@contextlib.contextmanager
def gc_paused():
    """No garbage collection inside: importing torch, pytest and sympy makes
    millions of objects and next to no garbage, and collecting costs half a
    second of a grading's start."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@main.command("bench")
@click.argument(
    "path",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=EXERCISES,
)
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a log-scale plot of the times to FILE (PNG).")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the measurements to FILE as JSON.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
              help="Where the inputs live; cuda times with synchronisation.")
@click.option("--size", "sizes", multiple=True, metavar="RxKxC",
              help="A product R×K by K×C to time; repeatable. [default: 5x784x10 and 64x784x256]")
@click.option("--budget", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Seconds each variant may take, per side and size.")
@click.option("--rounds", type=click.IntRange(min=1), default=5, show_default=True,
              help="Timed batches per variant after calibration; the best counts.")
def bench(path: Path, plot_file: Path | None, json_file: Path | None, device: str,
          sizes: tuple[str, ...], budget: float, rounds: int) -> None:
    """Time the matmul ladder of PATH/matmul.py next to the reference."""
    from autograder.bench import measure as ladder
    from autograder.bench import views

    try:
        chosen = tuple(ladder.Size.parse(s) for s in sizes) or ladder.DEFAULT_SIZES
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--size") from None
    try:
        ladder.check_device(device)
    except ladder.CudaUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    result = ladder.run(path, sizes=chosen, device=device, budget=budget, rounds=rounds,
                        progress=lambda step: click.echo(f"timing {step}", err=True))
    views.to_table(result)
    if json_file is not None:
        json_file.write_text(views.to_json(result))
    if plot_file is not None:
        views.plot(result, plot_file)
        click.echo(f"wrote {plot_file}", err=True)


@main.command("student-template")
@click.argument("out_dir", type=click.Path(path_type=Path))
def student_template(out_dir: Path) -> None:
    """Build OUT_DIR: the repository a course publishes to its students.

    It holds exercises/, a README, the pinned requirements and a GitHub
    Actions workflow that runs the public tests on every push; never the
    solutions, the hidden suites or a secret. docs/student-template.md says
    how to publish it.
    """
    from autograder.course import student_template as template

    try:
        written = template.build(out_dir)
    except template.TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    for name in written:
        click.echo(f"wrote {out_dir / name}")
    click.echo(f"{out_dir} is ready ({len(written)} files changed).")


@main.command("render")
@click.argument("report_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@report_options
def render(report_file: Path, fmt: str, output: Path | None) -> None:
    """Write the JSON report REPORT_FILE (from `grade --format json`) in another format.

    One grading, several views of it: no second run that could differ.
    """
    from autograder.report import saved

    try:
        result = saved.read(report_file)
    except saved.ReportFileError as exc:
        raise click.ClickException(str(exc)) from None
    write_report(result, fmt, output)


@main.command("annotate")
@click.argument("report_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--folder", default="exercises", show_default=True,
              help="Where the graded modules are, relative to the repository root.")
@click.option("--page", type=click.IntRange(min=1),
              help="Only the failing items of this page of ten (GitHub's limit per step).")
def annotate(report_file: Path, folder: str, page: int | None) -> None:
    """Print a GitHub Actions `::error` annotation for each item that lost points."""
    from autograder.report import annotations, saved

    try:
        result = saved.read(report_file)
    except saved.ReportFileError as exc:
        raise click.ClickException(str(exc)) from None
    for line in annotations.commands(result, folder, page):
        click.echo(line)


@main.command("batch")
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for grades.csv and one JSON report per student.")
@click.option("--workers", type=click.IntRange(min=1), default=None, show_default="the CPU count",
              help="Submissions graded at the same time.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=600.0, show_default=True,
              help="Seconds one submission may take before it is stopped and recorded as a timeout.")
@click.option("--isolation", type=click.Choice(["fork", "process"]), default="fork", show_default=True,
              help="fork: warm workers fork a fresh grader per submission; "
                   "process: a new `python -m autograder grade` per submission.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Grade on this Dask cluster's workers instead of here (docs/batch.md).")
@click.option("--similarity", is_flag=True,
              help="Also write OUT/similarity.csv and similarity.html: which submissions share code (for instructors).")
def batch_command(submissions: Path, out: Path, workers: int | None, timeout: float, isolation: str,
                  scheduler: str | None, similarity: bool) -> None:
    """Grade every student in SUBMISSIONS (a folder or notebook each) into OUT.

    A rerun resumes: it keeps every report that graded the same content.
    """
    import os
    import signal

    from autograder.hosts.batch import course as batch
    from autograder.hosts.batch import engines

    if scheduler:
        from autograder.hosts.batch import dask_engine

        try:  # before anything is written: an unreachable or mismatched cluster leaves OUT as it was
            engine = dask_engine.DaskCluster(scheduler)
        except batch.BatchError as exc:
            raise click.ClickException(str(exc)) from exc
        workers = workers or engine.threads()
    else:
        workers = workers or os.cpu_count() or 1
        engine = engines.WarmWorkers(workers) if isolation == "fork" else engines.Processes()
    signal.signal(signal.SIGTERM, batch.interrupt)
    try:
        summary = batch.run(submissions, out, workers=workers, timeout=timeout, engine=engine, compare=similarity)
    except batch.BatchError as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo(f"interrupted: finished reports are in {out}; run the same command again to resume",
                   err=True)
        sys.exit(130)
    click.echo(f"graded {summary.graded}, failed {summary.failed}, kept {summary.kept}; wrote {summary.csv}"
               + (f" and {summary.similarity}" if summary.similarity else ""))


@main.command("gradescope-bundle")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
# The choices are bundle.VISIBILITIES, spelled out so that --help needs no import.
@click.option("--visibility", type=click.Choice(["visible", "after_due_date", "after_published"]),
              default="visible", show_default=True,
              help="When students see each item's results; the output always states their points.")
def gradescope_bundle(out: Path, visibility: str) -> None:
    """Build OUT (a .zip): the autograder to upload to Gradescope.

    It holds setup.sh and run_autograder at its root, the grader with its
    hidden suites, the reference solutions and the pinned requirements.
    docs/gradescope.md says how to upload and test it.
    """
    from autograder.hosts.gradescope import bundle

    if not out.parent.is_dir():
        raise click.ClickException(f"{out.parent} is not a folder.")
    try:
        names = bundle.write(out, visibility=visibility)
    except bundle.BundleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {out} ({len(names)} files)")


@main.command("gradebook")
@click.option("--course-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("."), show_default="the current folder",
              help="nbgrader's course folder (holds submitted/ and nbgrader_config.py).")
@click.option("--assignment", default="foundations", show_default=True, help="The nbgrader assignment.")
@click.option("--db", "db_url", metavar="URL",
              help="The gradebook's SQLAlchemy URL (default: nbgrader's config, else COURSE_DIR/gradebook.db).")
@click.option("--student", "students", multiple=True, metavar="ID",
              help="Only this student (repeatable; default: every student with a submission).")
def gradebook(course_dir: Path, assignment: str, db_url: str | None, students: tuple[str, ...]) -> None:
    """Grade submitted notebooks in the sandbox and write the scores into nbgrader's gradebook.

    Run it after `nbgrader autograde`: it sets the auto score of every
    `<item>_tests` cell; manual scores and manually graded cells stay as they are.
    Exits 1 when a student or the assignment has no record, 3 when the grader failed.
    """
    from nbgrader.api import MissingEntry

    from autograder.grading import pipeline
    from autograder.hosts import gradebook

    coursedir = gradebook.course_directory(course_dir, db_url)
    if not gradebook.database_exists(coursedir.db_url):
        raise click.ClickException(f"no gradebook at {coursedir.db_url}: run `nbgrader "
                                   "generate_assignment` and `nbgrader autograde` first, or pass --db.")
    status = 0
    try:
        for result in gradebook.update(coursedir, assignment, students):
            if result.ok:
                click.echo(f"{result.student}: {result.score:g}/{result.max_score:g} sandbox points "
                           f"written to {result.written} test cells"
                           + (f"; changed {', '.join(result.changes)}" if result.changes else ""))
            else:
                status = 1
            for message in result.messages:
                click.echo(f"{result.student}: {message}", err=True)
    except MissingEntry:
        raise click.ClickException(f"the gradebook has no assignment '{assignment}'.") from None
    except pipeline.GraderError as exc:
        click.echo(f"grader failure: {exc}", err=True)
        sys.exit(3)
    sys.exit(status)


@main.command("notebooks")
@click.option("--check", is_flag=True, help="Only report stale files; exit 1 if any.")
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    show_default="the repository",
    help="The course folder whose source/ and release/ to regenerate or check.",
)
def notebooks(check: bool, into: Path | None) -> None:
    """Regenerate the nbgrader notebooks: source/foundations/, then release/ by nbgrader."""
    from autograder.course import notebook_release

    target = into if into is not None else ROOT
    try:
        if check:
            stale = notebook_release.stale_files(target)
        else:
            changed = notebook_release.write(target)
    except notebook_release.ReleaseError as exc:
        raise click.ClickException(str(exc)) from exc
    if check:
        for name in stale:
            click.echo(f"stale: {target / name}")
        if stale:
            click.echo("source/ or release/ is out of date: run `python -m autograder notebooks`.")
            sys.exit(1)
        click.echo(f"{target / 'source'} and {target / 'release'} are up to date.")
        return
    for name in changed:
        click.echo(f"wrote {target / name}")


@main.command("fetch-students")
@click.argument("roster_file", metavar="ROSTER", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for one submission folder per student (the SUBMISSIONS of `batch`).")
@click.option("--server-url", envvar="GITHUB_SERVER_URL", default="https://github.com", show_default=True,
              help="Where the repositories are: the GitHub server ($GITHUB_SERVER_URL when set), "
                   "or a local folder or file:// URL holding OWNER/NAME repositories.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=300.0, show_default=True,
              help="Seconds one student's fetch may take.")
def fetch_students_command(roster_file: Path, into: Path, server_url: str, timeout: float) -> None:
    """Fetch each student's exercises/ from the repository the ROSTER names, into INTO.

    ROSTER is a CSV file with the columns student, repository (owner/name) and
    optionally ref. Only the regular module files of exercises/ are taken;
    INTO/.fetched.csv records the commit graded for each student. The token
    comes from the environment variable STUDENTS_TOKEN (read access to the
    repositories' contents); without it the repositories must be public.
    Exits 0 when every student was tried, whoever failed; 1 for a bad roster.
    """
    import os

    from autograder.hosts.github import fetch_students, roster

    try:
        entries = roster.read(roster_file)
    except roster.RosterError as exc:
        raise click.ClickException(str(exc)) from None

    def echo(result) -> None:
        if result.status == fetch_students.FETCHED:
            notes = f" ({result.detail})" if result.detail else ""
            click.echo(f"{result.student}: {result.repository}@{result.sha[:12]}{notes}")
        else:
            click.echo(f"{result.student}: not fetched: {result.detail}", err=True)

    token = os.environ.get("STUDENTS_TOKEN", "").strip() or None
    results = fetch_students.fetch_all(entries, into, server_url=server_url, token=token,
                                       timeout=timeout, echo=echo)
    failed = sum(r.status != fetch_students.FETCHED for r in results)
    click.echo(f"fetched {len(results) - failed}, failed {failed}; wrote {into / fetch_students.RECORD}")


@main.command("post-feedback")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--roster", "roster_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The course's roster: where each student's feedback goes.")
@click.option("--fetched", "record_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The record fetch-students wrote (SUBMISSIONS/.fetched.csv): the commit graded.")
@click.option("--context", default="autograder/grade", show_default=True,
              help="The commit status's name.")
def post_feedback(out: Path, roster_file: Path, record_file: Path, context: str) -> None:
    """Post each student's grade from the batch folder OUT to the commit that was graded.

    A commit comment with the Markdown report and a commit status "Points X/Y"
    linking to it, through GitHub's REST API ($GITHUB_API_URL, default
    https://api.github.com) with the token in FEEDBACK_TOKEN. Exits 0 when
    everything there was to post is posted; 1 when GitHub refused or did not
    answer for a student (the others are still posted), or the input is bad.
    """
    from autograder.hosts.github import feedback, fetch_students, roster
    from autograder.hosts.github.api import GitHub, GitHubError

    try:
        entries = roster.read(roster_file)
        record = fetch_students.read_record(record_file)
        github = GitHub.from_environment("FEEDBACK_TOKEN")
    except (roster.RosterError, fetch_students.FetchError, GitHubError) as exc:
        raise click.ClickException(str(exc)) from None
    outcome = feedback.post_all(github, entries, record, out, context=context, echo=click.echo)
    click.echo(f"posted {len(outcome.posted)}, unchanged {len(outcome.unchanged)}, "
               f"skipped {len(outcome.skipped)}, failed {len(outcome.failed)}")
    if outcome.failed or outcome.stopped:
        sys.exit(1)
