"""Cut a solution module into the parts a notebook holds, and put them back.

A notebook shows one module as a locked *setup* cell (the docstring, imports,
constants and any top-level code no item owns) followed by one answer cell
per item (the functions and classes the catalogue lists as the item's names
and helpers). Grading a notebook reverses this: the trusted setup code plus
the student's answer cells give back a module file for the sandbox.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from autograder import catalogue


@dataclass(frozen=True)
class Parts:
    module: str
    setup: str  # code no item owns, in source order
    answers: dict[str, str]  # item id -> its defs, in source order; keys in source order


def owners(module: str) -> dict[str, str]:
    """Top-level name -> id of the item that owns it (as a name or a helper)."""
    return {name: item.id for item in catalogue.items_of(module) for name in item.owned_names}


def split(source: str, module: str) -> Parts:
    """The setup code and each item's code of a module's source."""
    lines = source.splitlines(keepends=True)
    owner = owners(module)
    setup: list[str] = []
    answers: dict[str, list[str]] = {}
    position = 0
    for node in ast.parse(source).body:
        # Blank lines and comments before a statement travel with it.
        end = _end_of(node, lines)
        chunk = "".join(lines[position:end])
        position = end
        name = getattr(node, "name", None)
        if name in owner:
            answers.setdefault(owner[name], []).append(chunk)
        else:
            setup.append(chunk)
    setup.append("".join(lines[position:]))
    return Parts(
        module,
        _tidy("".join(setup)),
        {item: _tidy("\n\n".join(code)) for item, code in answers.items()},
    )


def _end_of(node: ast.stmt, lines: list[str]) -> int:
    """The line after a statement, counting the indented comments that close its body.

    ast ends a def at its last statement; a `### END SOLUTION` comment below
    that is still part of the def, not of whatever follows.
    """
    end = probe = node.end_lineno
    while probe < len(lines):
        line = lines[probe]
        probe += 1
        if line.strip() and not line[0].isspace():
            break
        if line.strip():
            end = probe
    return end


def assemble(setup: str, answers: dict[str, str]) -> str:
    """A module from its setup code and the answer code of each item.

    `answers` may miss items (a deleted cell): their names are then simply
    not defined, and only their own items lose points.
    """
    parts = [setup.rstrip("\n")] + [code.rstrip("\n") for code in answers.values() if code.strip()]
    return "\n\n\n".join(parts) + "\n"


def answer_lines(setup: str, answers: dict[str, str]) -> list[tuple[int, int, str]]:
    """(first line, last line, item id) of each answer in `assemble`'s module:
    a line of that file is then a line of a notebook's answer cell."""
    # an empty setup still takes its line; then two blank lines between parts
    spans, line = [], max(len(setup.rstrip("\n").splitlines()), 1) + 3
    for item, code in answers.items():
        if code.strip():
            count = len(code.rstrip("\n").splitlines())
            spans.append((line, line + count - 1, item))
            line += count + 2
    return spans


def _tidy(code: str) -> str:
    """No blank lines at either end; runs of blank lines at most two long."""
    out: list[str] = []
    for line in code.strip("\n").splitlines():
        if not line.strip() and len(out) >= 2 and not out[-1].strip() and not out[-2].strip():
            continue
        out.append(line.rstrip())
    return "\n".join(out) + "\n"
