"""exercises/ is current, and its stubs mirror the solutions exactly."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from autograder import catalogue
from autograder.course.generate import stale_files
from autograder.loading import load_file
from autograder.paths import EXERCISES, ROOT, SOLUTIONS


def test_generated_files_are_current():
    assert stale_files() == [], "run `python -m autograder generate`"


def _check(folder) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", "generate", "--check", "--into", str(folder)],
        cwd=ROOT, capture_output=True, text=True,
    )


def test_drift_check_passes_on_a_fresh_copy_and_fails_on_edits(tmp_path):
    folder = tmp_path / "exercises"
    subprocess.run([sys.executable, "-m", "autograder", "generate", "--into", str(folder)],
                   cwd=ROOT, check=True, capture_output=True)
    assert _check(folder).returncode == 0
    (folder / "neurons.py").write_text("# edited by hand\n")
    (folder / "stray.py").write_text("")
    (folder / "items.json").unlink()
    done = _check(folder)
    assert done.returncode == 1
    for name in ("neurons.py", "stray.py", "items.json"):
        assert name in done.stdout


def _public_api(module) -> dict[str, str]:
    """name -> signature of every public function, class and method."""
    api = {}
    for name, value in vars(module).items():
        if name.startswith("__") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            api[name] = str(inspect.signature(value))
        elif inspect.isclass(value):
            api[name] = "class"
            for attr, member in vars(value).items():
                if inspect.isfunction(member) or isinstance(member, staticmethod):
                    function = member.__func__ if isinstance(member, staticmethod) else member
                    api[f"{name}.{attr}"] = str(inspect.signature(function))
    return api


@pytest.mark.parametrize("module", catalogue.modules())
def test_stub_and_solution_have_identical_signatures(module):
    stub = load_file(EXERCISES / f"{module}.py", f"stub_{module}")
    solution = load_file(SOLUTIONS / f"{module}.py", f"solution_{module}_api")
    assert _public_api(stub) == _public_api(solution)


@pytest.mark.parametrize("module", catalogue.modules())
def test_stub_raises_with_its_item_ids_only(module):
    text = (EXERCISES / f"{module}.py").read_text()
    for item in catalogue.items_of(module):
        assert f'NotImplementedError("{item.id}: ' in text, f"{module}: no stub for {item.id}"
    assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text
