"""Build the Gradescope autograder zip.

Gradescope wants setup.sh and run_autograder at the zip's root and unpacks
the rest to /autograder/source. Grading needs the `autograder` package (the
hidden suites live in it), `solutions/` (the suites compare against it) and
what installs them: pyproject.toml, constraints.txt, and README.md, which
pyproject.toml names as the package's readme. Nothing else goes in: no
tests, no exercises, no caches, no version control.

The zip is deterministic (sorted entries, one fixed timestamp, fixed
permissions), so the same sources always give the same bytes.

What the instructor chose when building it (`--visibility`) travels in the
zip as SETTINGS, read by run.py at every grading: a file, not a variable in
run_autograder, so the script stays one fixed file and the choice is there to
read in the zip. The defaults write no SETTINGS: the zip is the same as ever.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from autograder.paths import ROOT

SCRIPTS = ("setup.sh", "run_autograder")  # kept beside this file; at the zip's root
TOP_FILES = ("pyproject.toml", "constraints.txt", "README.md")
FOLDERS = ("autograder", "solutions")
SKIPPED_NAMES = {"__pycache__", ".DS_Store"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")
TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold
SETTINGS = "gradescope.json"  # at the zip's root: /autograder/source/gradescope.json
# When students see each item's test case (Gradescope's values). Not "hidden":
# Gradescope means that for test cases worth no points, and every item has points.
VISIBILITIES = ("visible", "after_due_date", "after_published")


class BundleError(RuntimeError):
    """The sources are incomplete (not a checkout of the project, say)."""


def wanted(relative: Path) -> bool:
    """Leave out caches, hidden files and the two scripts' second copies."""
    if any(part in SKIPPED_NAMES or part.startswith(".") for part in relative.parts):
        return False
    if relative.suffix in SKIPPED_SUFFIXES:
        return False
    return relative.parent.as_posix() != "autograder/hosts/gradescope" or relative.name not in SCRIPTS


def contents(root: Path = ROOT) -> dict[str, Path]:
    """Name in the zip -> file on disk, for everything the bundle holds."""
    here = Path(__file__).resolve().parent
    files = {name: here / name for name in SCRIPTS}
    files.update({name: root / name for name in TOP_FILES})
    for folder in FOLDERS:
        if not (root / folder).is_dir():
            raise BundleError(f"{root / folder} is missing: build the bundle from a checkout of the project")
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and wanted(relative):
                files[relative.as_posix()] = path
    missing = [name for name, path in files.items() if not path.is_file()]
    if missing:
        raise BundleError(f"missing from {root}: {', '.join(missing)}")
    return files


def entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=TIMESTAMP)
    info.create_system = 3  # Unix, so that unzip applies the permissions below
    mode = 0o755 if name in SCRIPTS else 0o644
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permission bits
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def settings(visibility: str = "visible") -> dict[str, bytes]:
    """Name in the zip -> bytes, for the settings that differ from the defaults."""
    if visibility not in VISIBILITIES:
        raise BundleError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    if visibility == "visible":
        return {}
    return {SETTINGS: (json.dumps({"visibility": visibility}, indent=2) + "\n").encode()}


def write(out: Path, root: Path = ROOT, *, visibility: str = "visible") -> list[str]:
    """Write the zip to `out`; returns the names it holds, in order."""
    extra = settings(visibility)
    files = contents(root)
    names = sorted([*files, *extra])
    partial = out.with_name(out.name + ".partial")  # never leave half a zip under the real name
    with zipfile.ZipFile(partial, "w") as archive:
        for name in names:
            archive.writestr(entry(name), extra[name] if name in extra else files[name].read_bytes())
    os.replace(partial, out)
    return names
