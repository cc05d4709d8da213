"""Shared helpers for the project's own tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def load_module(path: Path, alias: str):
    """Import a file under a unique name, so solutions and stubs never collide."""
    spec = importlib.util.spec_from_file_location(alias, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def pytest_collection_modifyitems(items):
    """The end-to-end nbgrader run takes minutes: start it first, so that the
    other worker's tests run beside it instead of after it (with
    --maxschedchunk=1, workers take tests one at a time)."""
    items.sort(key=lambda item: "test_nbgrader_end_to_end" not in item.nodeid)
