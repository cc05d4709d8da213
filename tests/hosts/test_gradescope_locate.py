"""Where the student's work is in a Gradescope upload (no grading: just folders)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.hosts.gradescope.locate import work_in
from autograder.hosts.gradescope.run import note_for


def upload(root: Path, *files: str) -> Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    return root


@pytest.mark.parametrize(("files", "folder", "kind"), [
    (["neurons.py", "matmul.py", "notes.txt"], ".", "modules"),
    (["README.md", "exercises/neurons.py", "exercises/test_neurons.py"], "exercises", "modules"),
    (["repo-main/exercises/loss.py", "repo-main/setup.py"], "repo-main/exercises", "modules"),
    # the folder with more of the modules wins over a stray copy elsewhere
    (["neurons.py", "exercises/neurons.py", "exercises/matmul.py"], "exercises", "modules"),
    # on a tie, the shallowest
    (["b/neurons.py", "a/deeper/neurons.py"], "b", "modules"),
    # modules win over notebooks; caches and macOS leftovers are not looked into
    (["chapter17.ipynb", "work/neurons.py"], "work", "modules"),
    (["__MACOSX/neurons.py", ".git/neurons.py", "deep/er/nb.ipynb", "nb/chapter17.ipynb"], "nb", "notebooks"),
    (["readme.txt", "main.py"], ".", "nothing"),
])
def test_the_folder_to_grade(tmp_path, files, folder, kind):
    found = work_in(upload(tmp_path, *files))
    assert (found.path.relative_to(tmp_path).as_posix(), found.kind) == (folder, kind)


def test_the_student_is_told_what_was_graded(tmp_path):
    upload(tmp_path, "repo/exercises/neurons.py")
    assert note_for(work_in(tmp_path), tmp_path) == "Graded the modules in repo/exercises/ of your upload."
    empty = tmp_path / "empty"
    empty.mkdir()
    note = note_for(work_in(empty), empty)
    assert note.startswith("No module files (") and "neurons.py" in note and "exercises/" in note
