"""Run the public tests on a folder of student modules, away from the folder.

The student's modules are copied next to fresh copies of the public tests and
the progress plugin, so nothing else in the folder (a stray conftest.py, an
edited test file) takes part. They are read as the grader reads them
(`submission_files.stage_modules`): a module file that is a link, a FIFO or
too large is left out, with a note on stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from autograder import catalogue
from autograder.course.generate import expected_files
from autograder.grading import submission_files

# pytest's own exit codes that mean the tests ran to the end.
RAN_TO_THE_END = (0, 1)


def prepare(submission: Path, workdir: Path) -> dict[str, str]:
    """Fill `workdir` with the public test files and the submission's modules;
    the modules whose file was refused, with why."""
    modules = {f"{module}.py" for module in catalogue.modules()}
    for name, text in expected_files().items():
        if name not in modules and name != "README.md":  # the tests and the tools they need
            (workdir / name).write_text(text)
    refused = submission_files.stage_modules(submission, catalogue.modules(), workdir)
    for why in refused.values():
        click.echo(f"note: {why}; its tests fail as if it were missing", err=True)
    return refused


def run(submission: Path, pytest_args: list[str] = (), capture: bool = False):
    """Run the public tests; returns (pytest exit code, progress summary, output)."""
    with tempfile.TemporaryDirectory(prefix="public-tests-") as tmp:
        workdir = Path(tmp)
        prepare(submission, workdir)
        progress = workdir / "progress.json"
        command = [sys.executable, "-m", "pytest", f"--progress-json={progress}", *pytest_args]
        done = subprocess.run(command, cwd=workdir, capture_output=capture, text=True)
        summary = json.loads(progress.read_text()) if progress.exists() else None
        output = (done.stdout or "") + (done.stderr or "")
        return done.returncode, summary, output
