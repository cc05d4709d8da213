"""GitHub Actions workflows under test: the linters, the pins, the steps."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
LINTERS = {
    "check-jsonschema": [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"],
    "zizmor": [str(BIN / "zizmor"), "--offline"],
}
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
TOKEN_SHAPES = re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}")


def lint(linter: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*LINTERS[linter], str(path)], capture_output=True, text=True, timeout=120)


def all_steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def uses(workflow: dict, action: str = "") -> list[dict]:
    """The steps that use an action (whose name starts with `action`)."""
    return [s for s in all_steps(workflow) if s.get("uses", "").startswith(action) and "uses" in s]


def triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the bare key `on` as True.
    return workflow.get("on", workflow.get(True))
