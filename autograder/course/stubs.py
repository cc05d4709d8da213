"""Turn a reference solution module into the student's exercise stub.

Every `### BEGIN SOLUTION` ... `### END SOLUTION` region becomes one line,
`raise NotImplementedError("<item id>: ...")`, so a failing test points at its
own item. Which item a region belongs to is read from the top-level function
or class it sits in (the catalogue's `names` and `helpers`).
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Collection
from dataclasses import dataclass

from autograder import catalogue

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


class StubError(ValueError):
    """A solution file that the generator cannot turn into a stub."""


@dataclass(frozen=True)
class Region:
    begin: int  # 0-based line index of the BEGIN marker
    end: int  # 0-based line index of the END marker
    indent: str
    item: catalogue.Item


def not_started_message(item: catalogue.Item) -> str:
    return f"{item.id}: not implemented yet"


def _top_level_spans(tree: ast.Module) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of each top-level def/class, 0-based."""
    spans = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            spans.append((first, node.end_lineno - 1, node.name))
    return spans


def regions(source: str, module: str) -> list[Region]:
    """The solution regions of a module, each with the item it belongs to."""
    lines = source.splitlines()
    spans = _top_level_spans(ast.parse(source))
    found, begin = [], None
    for index, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise StubError(f"{module}.py:{index + 1}: nested {BEGIN}")
            begin = index
        elif marker == END:
            if begin is None:
                raise StubError(f"{module}.py:{index + 1}: {END} without {BEGIN}")
            name = next((n for first, last, n in spans if first <= begin <= last), None)
            item = catalogue.owner_of(module, name) if name else None
            if item is None:
                raise StubError(
                    f"{module}.py:{begin + 1}: region in {name or 'module level code'}, "
                    "which is not a name or helper of any item in the catalogue"
                )
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            found.append(Region(begin, index, indent, item))
            begin = None
    if begin is not None:
        raise StubError(f"{module}.py:{begin + 1}: {BEGIN} without {END}")
    return found


def _banner(item: catalogue.Item) -> list[str]:
    """A comment above an item's first name: what to do, in the catalogue's words."""
    head = f"# Item {item.id} ({', '.join(item.questions)}, {item.points} points): {item.title}"
    body = textwrap.wrap(item.prompt, width=77, initial_indent="# ", subsequent_indent="# ")
    return [head, *body, f"# Check it with: pytest exercises -m {item.id}", ""]


def make_stub(source: str, module: str, only: Collection[str] | None = None) -> str:
    """The exercise version of a solution module.

    `only` restricts stubbing to those item ids (the rest keeps its solution);
    the project's tests use it to prove that each item's tests catch its stub.
    Solution markers of items that are kept are dropped too, as in a student's
    finished file.
    """
    lines = source.splitlines()
    replaced: dict[int, list[str]] = {}
    for region in regions(source, module):
        if only is None or region.item.id in only:
            message = not_started_message(region.item)
            replaced[region.begin] = [f'{region.indent}raise NotImplementedError("{message}")']
        else:
            replaced[region.begin] = lines[region.begin + 1 : region.end]
        for index in range(region.begin + 1, region.end + 1):
            replaced[index] = []
    if only is None:
        _add_banners(lines, replaced, module, source)
    out = []
    for index, line in enumerate(lines):
        out.extend(replaced.get(index, [line]))
    return "\n".join(out) + "\n"


def _add_banners(lines: list[str], replaced: dict[int, list[str]], module: str, source: str) -> None:
    """Put each item's banner above the first top-level name it owns."""
    seen = set()
    for first, _last, name in _top_level_spans(ast.parse(source)):
        item = catalogue.owner_of(module, name)
        if item is None or item.id in seen:
            continue
        seen.add(item.id)
        replaced[first] = _banner(item) + replaced.get(first, [lines[first]])
