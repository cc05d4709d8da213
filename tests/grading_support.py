"""Grade a made-up submission through the real command line, as CI would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT, SOLUTIONS


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
