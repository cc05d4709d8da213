"""Run the public tests on a folder of student modules, away from the folder.

The student's modules are copied next to fresh copies of the public tests and
the progress plugin, so nothing else in the folder (a stray conftest.py, an
edited test file) takes part.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder import catalogue
from autograder.generate import expected_files

# pytest's own exit codes that mean the tests ran to the end.
RAN_TO_THE_END = (0, 1)


def prepare(submission: Path, workdir: Path) -> None:
    """Fill `workdir` with the public test files and the submission's modules."""
    for name, text in expected_files().items():
        if name.startswith("test_") or name in ("conftest.py", "pytest.ini", "items.json"):
            (workdir / name).write_text(text)
    for module in catalogue.modules():
        source = submission / f"{module}.py"
        if source.is_file():
            shutil.copyfile(source, workdir / source.name)


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
