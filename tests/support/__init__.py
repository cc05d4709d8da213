"""Helpers of the project's own tests (tests/conftest.py puts tests/ on sys.path).

The JSON schemas the tests check foreign formats with, and the bank of
deliberate mistakes, are found from here."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
BANK = HERE / "bank"  # deliberate mistakes, one file per module (support/bank/__init__.py)
# Gradescope's results.json, as its autograder documentation describes it.
GRADESCOPE_SCHEMA = json.loads((HERE / "schemas" / "gradescope_results.json").read_text())
