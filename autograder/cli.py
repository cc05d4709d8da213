"""The command line: `python -m autograder COMMAND`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from autograder import generate as generator
from autograder import public_run
from autograder.stubs import StubError


@click.group()
def main() -> None:
    """Exercises and grading for 'A Neural Net from the Foundations'."""


@main.command()
@click.option("--check", is_flag=True, help="Only report stale files; exit 1 if any.")
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=generator.EXERCISES,
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


@main.command()
@click.argument(
    "path",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=generator.EXERCISES,
)
def grade(path: Path) -> None:
    """Grade the modules in PATH (default: exercises/) with the public tests."""
    code, summary, _ = public_run.run(path)
    if summary is None or code not in public_run.RAN_TO_THE_END:
        click.echo(f"the public tests did not run to the end (pytest exit code {code})", err=True)
        sys.exit(2)
    click.echo(f"Points {summary['points']}/{summary['max_points']}")
