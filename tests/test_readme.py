"""README.md opens with the two commands, and CI runs the second one."""

from __future__ import annotations

import re

from autograder.paths import ROOT


def opening_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    return blocks[:2]


def test_first_command_sets_up_and_grades_exercises():
    first = opening_commands()[0]
    assert first.startswith("python3 -m venv .venv && ")
    assert first.endswith(".venv/bin/python -m autograder grade")


def test_ci_runs_the_second_command():
    second = opening_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert second in ci_lines
    assert second.startswith("python3 -m venv .venv && ")
    assert second.endswith(".venv/bin/python -m pytest")
