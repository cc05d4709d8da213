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


# -- layers ----------------------------------------------------------------------

# Bottom to top (docs/architecture.md): a module imports from its own folder
# and from lower layers only; folders of one layer know nothing of each other.
LAYERS = (
    ("catalogue", "paths", "safe_text", "loading", "__init__"),
    ("course",),
    ("sandbox", "report"),
    ("hidden", "public"),
    ("grading",),
    ("hosts", "bench"),
    ("cli",),
)
# Top-level files that belong to a room: `python -m autograder` is the command
# line, and notebook.py is the kernel's old import path (hosts/notebook_kernel.py).
ROOM_OF_FILE = {"__main__": "cli", "notebook": "hosts"}
RANK = {room: rank for rank, rooms in enumerate(LAYERS) for room in rooms}


def module_name(path: Path) -> str:
    parts = path.relative_to(paths.ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """The grader's modules a file imports, at the top or inside a function."""
    known = {module_name(p) for p in paths.PACKAGE.rglob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from autograder.grading import pipeline` names a module
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
    return {name for name in found if name in known and name != "autograder"}


def room(module: str) -> str:
    """The folder (or top-level file) a module lives in: `grading`, `cli` ..."""
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else "__init__"
    return ROOM_OF_FILE.get(name, name)


def import_graph() -> dict[str, set[str]]:
    return {module_name(p): imported(p) - {module_name(p)} for p in sorted(paths.PACKAGE.rglob("*.py"))}


def test_every_room_has_a_layer():
    assert {room(m) for m in import_graph()} <= set(RANK)


def against_layers(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{module} imports {target}" for module, targets in graph.items() for target in targets
                  if room(module) != room(target) and RANK[room(target)] >= RANK[room(module)])


def test_no_import_reaches_up_or_sideways():
    wrong = against_layers(import_graph())
    assert not wrong, "imports against the layers (docs/architecture.md):\n" + "\n".join(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_the_checks_can_fail():
    """The two checks above see an upward import and a circle when there is one."""
    graph = {"autograder.report.model": {"autograder.grading.pipeline"},
             "autograder.grading.pipeline": {"autograder.report.model"}}
    assert cycles(graph) == [["autograder.grading.pipeline", "autograder.report.model"]]
    assert against_layers(graph) == ["autograder.report.model imports autograder.grading.pipeline"]
    assert against_layers({"autograder.sandbox.child": {"autograder.report.model"}}) == [
        "autograder.sandbox.child imports autograder.report.model"]  # sideways: one layer, two rooms


def test_the_hidden_suites_share_one_graded():
    """hypothesis's settings are made once (hidden/strategies.py); a suite that made
    its own could show hidden examples in a report or grade with other phases."""
    found = [f"{path.name}:{node.lineno}" for path in sorted(paths.HIDDEN.glob("test_*.py"))
             for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and ast.unparse(node.func) in ("settings", "hypothesis.settings")]
    assert not found, f"hypothesis settings made outside hidden/strategies.py: {found}"


def test_the_tests_mirror_the_package():
    """tests/<room>/ holds the tests of autograder/<room>/; helpers live in tests/support/,
    and tests/gpu/ holds the script a GPU machine runs (with its own tests)."""
    tests = paths.ROOT / "tests"
    rooms = {path.name for path in paths.PACKAGE.iterdir() if path.is_dir() and not path.name.startswith("__")}
    folders = {path.name for path in tests.iterdir() if path.is_dir() and not path.name.startswith((".", "__"))}
    extra = {"support", "gpu"}
    assert folders - extra <= rooms, f"test folders with no package folder: {folders - rooms - extra}"
    stray = [path.name for path in tests.glob("*.py")
             if not path.name.startswith(("test_", "benchmark_")) and path.name != "conftest.py"]
    assert not stray, f"helpers outside tests/support/: {stray}"
    imports = [f"{path.relative_to(tests)}" for path in tests.rglob("*.py")
               for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.ImportFrom) and node.module == "conftest"]
    assert not imports, f"helpers imported from conftest: {imports}"


def test_the_paths_come_from_paths():
    """`generate.EXERCISES` or `batch.ROOT` would make a module a second home of
    a path: every module reads them from autograder.paths."""
    names = {"ROOT", "SOLUTIONS", "EXERCISES", "SOURCE", "HIDDEN", "PUBLIC", "PACKAGE"}
    found = [f"{path.relative_to(paths.ROOT)}:{node.lineno}" for path in package_sources()
             for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Attribute) and node.attr in names
             and not (isinstance(node.value, ast.Name) and node.value.id == "paths")]
    assert not found, f"a repository path read from another module than autograder.paths: {found}"
