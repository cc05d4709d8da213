"""Build the nbgrader course (source/ and release/) and check the committed one for drift.

`build(root)` makes a complete nbgrader course directory anywhere: the source
assignment written by autograder.course.notebook_source, then the release made by
nbgrader's own `generate_assignment` with the project's nbgrader_config.py
(and a throw-away gradebook). `write()` builds in a temporary directory and
copies the result over the repository's source/ and release/; `stale_files()`
builds the same way and names every file that differs from what is there.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.course import notebook_source
from autograder.course.generate import IGNORED
from autograder.paths import ROOT

ASSIGNMENT = notebook_source.ASSIGNMENT
FOLDERS = ("source", "release")  # nbgrader's own names, under the course root


class ReleaseError(RuntimeError):
    """nbgrader could not generate the release; the message carries its log."""


def nbgrader_config(root: Path, db_url: str | None = None) -> Config:
    """The project's nbgrader configuration, for a course directory at `root`.

    `db_url` (any SQLAlchemy URL) replaces the gradebook; by default it is
    `root/gradebook.db`. Use it with nbgrader's API, e.g.
    `NbGraderAPI(config=nbgrader_config(tmp)).autograde("foundations", "alice")`.
    """
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = db_url or f"sqlite:///{Path(root).resolve() / 'gradebook.db'}"
    return config


@contextlib.contextmanager
def own_scripts_on_path() -> Iterator[None]:
    """nbgrader runs the `alembic` command by name; find ours even when PATH lacks .venv/bin."""
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    try:
        yield
    finally:
        os.environ["PATH"] = saved


def build(root: Path, db_url: str | None = None) -> Path:
    """Make an nbgrader course directory at `root` with source/ and release/; returns `root`.

    The gradebook gets the assignment and its notebooks (at `db_url`, by
    default `root/gradebook.db`), so the course is ready for `nbgrader
    autograde` once submissions are copied into `root/submitted/`.
    """
    from nbgrader.apps import NbGraderAPI  # heavy: only when building

    root = Path(root)
    notebook_source.write(root / "source" / ASSIGNMENT)
    api = NbGraderAPI(config=nbgrader_config(root, db_url))
    with own_scripts_on_path():
        result = api.generate_assignment(ASSIGNMENT, force=True)
    if not result["success"]:
        raise ReleaseError(f"nbgrader generate_assignment failed:\n{result.get('error', '')}\n{result.get('log', '')}")
    return root


def _files(folder: Path) -> set[str]:
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and not IGNORED & set(path.relative_to(folder).parts)
    } if folder.is_dir() else set()


def _differences(built: Path, target: Path) -> list[str]:
    """Paths (relative to the course roots) that are missing, different or extra in `target`."""
    stale = []
    for name in FOLDERS:
        ours, theirs = built / name / ASSIGNMENT, target / name / ASSIGNMENT
        expected, present = _files(ours), _files(theirs)
        stale += [
            f"{name}/{ASSIGNMENT}/{path}"
            for path in sorted(expected | present)
            if path not in expected or path not in present
            or not filecmp.cmp(ours / path, theirs / path, shallow=False)
        ]
    return stale


def stale_files(target: Path = ROOT) -> list[str]:
    """Files of source/ and release/ under `target` that regenerating would change."""
    with tempfile.TemporaryDirectory(prefix="notebooks-") as tmp:
        return _differences(build(Path(tmp) / "course"), Path(target))


def write(target: Path = ROOT) -> list[str]:
    """Regenerate source/ and release/ under `target`; returns the files that changed."""
    with tempfile.TemporaryDirectory(prefix="notebooks-") as tmp:
        built = build(Path(tmp) / "course")
        changed = _differences(built, Path(target))
        for name in FOLDERS:
            destination = Path(target) / name / ASSIGNMENT
            if destination.exists():
                shutil.rmtree(destination)
            shutil.copytree(built / name / ASSIGNMENT, destination,
                            ignore=shutil.ignore_patterns(*IGNORED))
        return changed
