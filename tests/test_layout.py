"""What the package's layout promises (docs/architecture.md), checked on its source."""

from __future__ import annotations

import ast
from pathlib import Path

from autograder import paths

# Files shipped beyond the package (to students, into notebooks' folders,
# into exercises/): they find their neighbours on their own.
SHIPPED = (paths.PACKAGE / "course" / "student", paths.PACKAGE / "course" / "notebook_files", paths.PUBLIC)


def package_sources() -> list[Path]:
    return [p for p in sorted(paths.PACKAGE.rglob("*.py")) if not any(p.is_relative_to(s) for s in SHIPPED)]


def climbs_from_file(node: ast.AST) -> bool:
    """`Path(__file__)...parents[N]` or `.parent.parent`: a module finding the repository itself."""
    text = ast.unparse(node)
    return "__file__" in text and (".parents[" in text or ".parent.parent" in text)


def test_only_paths_names_the_repository():
    found = [f"{path.relative_to(paths.ROOT)}:{node.lineno}"
             for path in package_sources() if path != paths.PACKAGE / "paths.py"
             for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Assign) and climbs_from_file(node.value)]
    assert not found, f"repository paths computed outside autograder/paths.py: {found}"


def test_timeouts_are_known_by_type_not_text():
    """A timeout is sandbox.failures.ChildTimedOut / TimedOut; text a student can write proves nothing."""
    found = [f"{path.relative_to(paths.ROOT)}:{node.lineno}"
             for path in package_sources()
             for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr == "startswith" and node.args
             and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).lower().startswith("timeout")]
    assert not found, f"a timeout recognised by its message: {found}"


def test_the_paths_exist():
    for name in ("ROOT", "SOLUTIONS", "EXERCISES", "SOURCE", "HIDDEN", "PUBLIC"):
        assert getattr(paths, name).is_dir(), name
