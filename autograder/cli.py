"""The command line: `python -m autograder COMMAND`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from autograder import generate as generator
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
    type=click.Path(exists=True, path_type=Path),
    default=generator.EXERCISES,
)
@click.option(
    "--format", "fmt",
    type=click.Choice(["table", "json", "gradescope", "junit", "markdown"]),
    default="table", show_default=True, help="How to write the report.",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output.")
def grade(path: Path, fmt: str, output: Path | None) -> None:
    """Grade the modules in PATH (default: exercises/) with the hidden suites.

    Exits 0 whenever grading ran to the end, whatever the score.
    """
    from autograder import grading, report

    try:
        result = grading.grade(path)
    except grading.GraderError as exc:
        click.echo(f"grader failure: {exc}", err=True)
        sys.exit(3)
    if fmt == "table":
        if output is None:
            report.to_table(result)
        else:
            output.write_text(report.to_json(result))
    else:
        text = report.RENDERERS[fmt](result)
        if output is None:
            click.echo(text, nl=False)
        else:
            output.write_text(text)
    if fmt != "table" or output is not None:
        click.echo(f"Points {result.score:g}/{result.max_score:g}", err=True)


@main.command("bench")
@click.argument(
    "path",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=generator.EXERCISES,
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
    from autograder import bench as ladder
    from autograder import bench_report

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
    bench_report.to_table(result)
    if json_file is not None:
        json_file.write_text(bench_report.to_json(result))
    if plot_file is not None:
        bench_report.plot(result, plot_file)
        click.echo(f"wrote {plot_file}", err=True)

