"""Find the student's work inside a Gradescope upload.

Students upload the module files themselves, a repository (or a zip of one)
with an exercises/ folder, or notebooks. Gradescope puts whatever they sent
in /autograder/submission, so the grader looks for the folder that holds the
most module files, and otherwise for notebooks. Only regular files count,
and no link is followed (a zip can hold symbolic links): a link to
`solutions/` is neither picked nor looked into.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from autograder import catalogue

MAX_DEPTH = 4  # a repository zipped inside a folder: upload/repo/exercises/neurons.py
SKIPPED = {"__pycache__", "__MACOSX", ".git", ".venv", "venv", "node_modules", ".ipynb_checkpoints"}


@dataclass(frozen=True)
class Found:
    path: Path  # what `grade` is given: a folder of modules or of notebooks
    kind: str  # "modules", "notebooks" or "nothing"


def module_files() -> set[str]:
    return {f"{module}.py" for module in catalogue.modules()}


def folders(root: Path):
    """(folder, depth, names of its regular files) for every folder of the
    upload worth a look; os.walk lists links to folders but never enters them."""
    for here, subfolders, files in os.walk(root):
        depth = len(Path(here).relative_to(root).parts)
        subfolders[:] = sorted(d for d in subfolders
                               if d not in SKIPPED and not d.startswith(".") and depth < MAX_DEPTH)
        yield Path(here), depth, {name for name in files if is_regular(Path(here) / name)}


def is_regular(path: Path) -> bool:
    """A regular file itself: not a link to one, not a FIFO or a device."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def work_in(submission: Path) -> Found:
    """The folder to grade: the one with the most module files (the shallowest
    on a tie), else the shallowest with notebooks, else the upload itself."""
    wanted = module_files()
    best_modules, best_notebooks = None, None
    for folder, depth, files in folders(submission):
        count = len(files & wanted)
        if count and (best_modules is None or (count, -depth) > best_modules[0]):
            best_modules = ((count, -depth), folder)
        has_notebooks = any(name.endswith(".ipynb") for name in files)
        if has_notebooks and (best_notebooks is None or depth < best_notebooks[0]):
            best_notebooks = (depth, folder)
    if best_modules is not None:
        return Found(best_modules[1], "modules")
    if best_notebooks is not None:
        return Found(best_notebooks[1], "notebooks")
    return Found(submission, "nothing")
