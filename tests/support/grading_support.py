"""Grade a made-up submission through the real command line, as CI would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.paths import ROOT, SOLUTIONS


@dataclass(frozen=True)
class Edit:
    """A change to a reference module: `old` (found exactly once) becomes `new`."""

    item: str
    module: str
    old: str
    new: str
    why: str

    @property
    def id(self) -> str:
        return f"{self.item}: {self.why}"

    def fits(self, source: str) -> bool:
        return source.count(self.old) == 1

    def apply_to(self, source: str) -> str:
        assert self.fits(source), f"{self.id}: `old` must occur exactly once"
        return source.replace(self.old, self.new)

    def apply(self, folder: Path) -> None:
        source = (SOLUTIONS / f"{self.module}.py").read_text()
        (folder / f"{self.module}.py").write_text(self.apply_to(source))


def grade(folder: Path, timeout: float = 600, options: tuple[str, ...] = (),
          env: dict[str, str] | None = None) -> dict:
    """The JSON report of `python -m autograder grade folder [options]`,
    with `env` added to the environment."""
    out = Path(tempfile.mkdtemp(prefix="report-")) / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(folder), "--format", "json",
         "--output", str(out), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(out.read_text())


def scores(report: dict) -> dict[str, tuple[float, float, str]]:
    return {i["id"]: (i["score"], i["max_score"], i["status"]) for i in report["items"]}


def rounds(edits) -> list[tuple]:
    """Batches of edits with at most one edit per item.

    Items are graded independently (each module in its own child, each item by
    its own tests), so one grading can try an edit of every item at once; the
    check stays per edit: its item loses points, the items nobody edited keep
    theirs. An edit whose text an earlier edit of the batch changed waits for
    a later batch.
    """
    batches: list[list] = []
    for edit in edits:
        for batch in batches:
            if all(e.item != edit.item for e in batch) and edit.fits(edited_source(batch, edit.module)):
                batch.append(edit)
                break
        else:
            batches.append([edit])
    return [tuple(batch) for batch in batches]


def edited_source(batch, module: str) -> str:
    source = (SOLUTIONS / f"{module}.py").read_text()
    for edit in batch:
        if edit.module == module:
            source = edit.apply_to(source)
    return source


def graded_round(tmp_path: Path, batch, name: str = "submission") -> dict:
    folder = tmp_path / name
    folder.mkdir()
    for module in {edit.module for edit in batch}:
        (folder / f"{module}.py").write_text(edited_source(batch, module))
    return scores(grade(folder))


def round_id(batch) -> str:
    return f"{len(batch)} edits, first {batch[0].item}"
