"""The students' loop in exercises/: only what a run needs is loaded, progress
is remembered between runs, hints come in levels, `--watch` re-runs and
survives the student's crashes, and what goes wrong reads as a sentence."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import catalogue
from autograder.hosts import public_run
from autograder.paths import EXERCISES, SOLUTIONS
from support.watching import END, Watched


@pytest.fixture
def folder(tmp_path) -> Path:
    """A students' folder: the generated tests and tools, untouched stubs."""
    into = tmp_path / "exercises"
    into.mkdir()
    public_run.prepare(EXERCISES, into)
    return into


def solve(folder: Path, *modules: str) -> None:
    for module in modules:
        shutil.copy(SOLUTIONS / f"{module}.py", folder / f"{module}.py")


def pytest_in(folder: Path, *args: str, python: list[str] | None = None) -> tuple[int, dict | None, str]:
    progress = folder / "progress.json"
    progress.unlink(missing_ok=True)
    command = (python or [sys.executable, "-m", "pytest"]) + [f"--progress-json={progress}", *args]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
    summary = json.loads(progress.read_text()) if progress.exists() else None
    return done.returncode, summary, done.stdout + done.stderr


def rows(summary: dict) -> dict[str, dict]:
    return {row["id"]: row for row in summary["items"]}


# --- only what the run needs ------------------------------------------------


IMPORTED = """
import sys
import pytest
code = pytest.main(sys.argv[1:])
print("IMPORTED:", sorted(m for m in ("loss", "sympy", "test_loss") if m in sys.modules))  # numpy: torch imports it
sys.exit(code)
"""


def test_one_item_imports_only_its_module_and_tests(folder):
    code, summary, output = pytest_in(folder, "-m", "neuron", python=[sys.executable, "-c", IMPORTED])
    assert code == 1 and rows(summary)["neuron"]["status"] == "not started", output
    assert "IMPORTED: []" in output  # neither loss.py, its tests nor sympy
    code, summary, output = pytest_in(folder, "-m", "mse or neuron", python=[sys.executable, "-c", IMPORTED])
    assert "IMPORTED: ['loss', 'test_loss']" in output, output


def test_a_mark_that_is_not_an_item_still_collects_everything(folder):
    code, summary, output = pytest_in(folder, "-m", "neuron or parametrize", python=[sys.executable, "-c", IMPORTED])
    assert "IMPORTED: ['loss', 'sympy', 'test_loss']" in output, output
    code, summary, output = pytest_in(folder, "-m", "not neuron")
    assert rows(summary)["neuron"]["last_run"] and not rows(summary)["mse"]["last_run"]
    assert rows(summary)["mse"]["status"] == "not started"


def test_a_misspelt_item_is_named(folder):
    code, summary, output = pytest_in(folder, "-m", "relus")
    assert "'relus' is no item (did you mean relu?)" in output, output


# --- remembered -------------------------------------------------------------


def test_progress_survives_a_run_of_one_item(folder):
    solve(folder, "neurons")
    pytest_in(folder)  # everything once: the neurons items are done
    code, summary, output = pytest_in(folder, "-m", "mse")
    by_id = rows(summary)
    assert by_id["mse"]["status"] == "not started" and not by_id["mse"]["last_run"]
    assert by_id["neuron"]["status"] == "done" and by_id["neuron"]["last_run"]
    assert by_id["matmul_loops"]["status"] == "not started" and by_id["matmul_loops"]["last_run"]
    neurons_points = sum(item.points for item in catalogue.items_of("neurons"))
    assert summary["points"] == neurons_points
    assert f"Points: {neurons_points}/90" in output
    assert "done (last run)" in output and "not run" not in output, output
    assert "Next: matmul_loops" in output  # the first one not done, in course order


def test_part_of_an_item_proves_nothing_about_the_rest(folder):
    """-k, a test id or -x runs some of an item's tests: their passing is not
    remembered as the item done; a failure among them is."""
    solve(folder, "neurons")
    source = (folder / "neurons.py").read_text()
    (folder / "neurons.py").write_text(source.replace("return x.clamp_min(0.0)", "return x.clamp_min_(0.0)"))
    code, summary, output = pytest_in(folder, "-m", "relu", "-k", "scalar")
    assert rows(summary)["relu"]["status"] == "not run" and summary["points"] == 0, output
    code, summary, output = pytest_in(folder, "test_neurons.py::test_relu_scalar")
    assert rows(summary)["relu"]["status"] == "not run"
    code, summary, output = pytest_in(folder, "-m", "relu")
    assert rows(summary)["relu"]["status"] == "failing"
    code, summary, output = pytest_in(folder, "-m", "relu", "-k", "scalar")
    assert rows(summary)["relu"]["status"] == "failing" and rows(summary)["relu"]["last_run"]


def test_a_module_that_imports_again_forgets_its_import_error(folder):
    (folder / "neurons.py").write_text("def neuron(:\n")
    pytest_in(folder)
    solve(folder, "neurons")
    code, summary, output = pytest_in(folder, "-m", "relu")
    assert rows(summary)["relu"]["status"] == "done"
    assert rows(summary)["neuron"]["status"] == "not run", output  # not "failing (last run)"
    assert "did not import" not in output


def test_commands_are_given_as_typed_from_where_pytest_ran(folder):
    code, summary, output = pytest_in(folder, "-m", "relu")
    assert "Stuck? pytest --hint relu" in output
    done = subprocess.run([sys.executable, "-m", "pytest", "exercises", "-m", "relu"], cwd=folder.parent,
                          capture_output=True, text=True, timeout=300)
    assert "Stuck? pytest exercises --hint relu" in done.stdout


def test_without_a_last_run_the_others_are_one_line(folder):
    code, summary, output = pytest_in(folder, "-m", "relu")
    assert f"{len(catalogue.load()) - 1} item(s) not run yet" in output
    assert len([line for line in output.splitlines() if "not run" in line]) == 1


def test_the_first_failing_item_comes_before_the_first_not_started(folder):
    solve(folder, "neurons", "loss")
    source = (folder / "loss.py").read_text()
    (folder / "loss.py").write_text(source.replace(".pow(2).mean()", ".pow(2).sum()"))
    code, summary, output = pytest_in(folder)
    assert "Next: mse" in output and "Stuck? pytest --hint mse" in output
    assert "Hint:" not in output  # hints only on request


# --- hints ------------------------------------------------------------------


def test_hints_come_one_level_at_a_time(folder):
    hints = catalogue.by_id()["relu"].hints
    outputs = [pytest_in(folder, "--hint", "relu")[2] for _ in range(len(hints) + 1)]
    for level, output in enumerate(outputs[: len(hints)], 1):
        assert f"Hint {level} of {len(hints)}" in output
        assert " ".join(hints[level - 1].split()[:6]) in " ".join(output.split())
    assert f"Hint {len(hints)} of {len(hints)}" in outputs[-1] and "last hint" in outputs[-1]
    assert "passed" not in outputs[0] and "chapter progress" not in outputs[0]  # no tests ran


def test_a_hand_edited_hint_level_starts_again(folder):
    (folder / ".pytest_cache" / "v" / "chapter" / "hint-level").mkdir(parents=True)
    (folder / ".pytest_cache" / "v" / "chapter" / "hint-level" / "relu").write_text("-10")
    code, _, output = pytest_in(folder, "--hint", "relu")
    assert code == 0 and "Hint 1 of" in output, output


def test_a_hint_for_an_unknown_item_names_the_items(folder):
    code, _, output = pytest_in(folder, "--hint", "relux")
    assert code == 4 and "no item 'relux'" in output and "neuron" in output


# --- messages ---------------------------------------------------------------


def test_a_syntax_error_names_the_file_line_and_message(folder):
    (folder / "einsum.py").write_text("import torch\n\ndef einsum_ops(x:\n    return 1\n")
    code, summary, output = pytest_in(folder, "-m", "einsum_ops")
    message = rows(summary)["einsum_ops"]["message"]
    assert "einsum.py, line 3: SyntaxError" in message, message
    assert "_pytest" not in output and "importtestmodule" not in output


def test_an_error_while_importing_names_the_line_and_exception(folder):
    (folder / "einsum.py").write_text("import torch\n\nx = torch.ones(2)\ny = x + undefined_name\n")
    code, summary, output = pytest_in(folder, "-m", "einsum_ops")
    message = rows(summary)["einsum_ops"]["message"]
    assert "einsum.py, line 4: NameError: name 'undefined_name' is not defined" in message, message


def test_the_mse_broadcast_is_named_with_expected_and_got(folder):
    solve(folder, "loss")
    source = (folder / "loss.py").read_text()
    (folder / "loss.py").write_text(source.replace("output.squeeze(-1) - targ", "output - targ"))
    code, summary, output = pytest_in(folder, "-m", "mse")
    message = rows(summary)["mse"]["message"]
    assert "(2, 1)" in message and "broadcasts to (2, 2)" in message and "squeeze_last" in message, message
    assert "Expected 2.5 but got 3.5" in output  # torch's own lines are kept


def test_an_in_place_relu_is_named(folder):
    solve(folder, "neurons")
    source = (folder / "neurons.py").read_text()
    body = source[source.index("def relu("):]
    returned = next(line for line in body.splitlines() if line.strip().startswith("return "))
    (folder / "neurons.py").write_text(source.replace(returned, "    return x.clamp_min_(0.0)", 1))
    code, summary, output = pytest_in(folder, "-m", "relu")
    assert "changed its input" in rows(summary)["relu"]["message"], output


NO_TORCH = """
import importlib.util, sys
found = importlib.util.find_spec
importlib.util.find_spec = lambda name, *args: None if name == "torch" else found(name, *args)
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_without_torch_one_line_says_what_to_run(folder):
    code, summary, output = pytest_in(folder, python=[sys.executable, "-c", NO_TORCH])
    assert code == 4 and summary is None
    assert output.count("\n") == 1, output
    assert "torch is not installed" in output and "pip install" in output and "pytest exercises" in output


# --- the speed ladder -------------------------------------------------------


def test_the_ladder_is_offered_once_the_four_matmuls_pass(folder):
    solve(folder, "matmul")
    code, summary, output = pytest_in(folder, "-m", "matmul_loops or matmul_elementwise or matmul_broadcast "
                                                  "or matmul_einsum or matmul_shapes")
    assert "--ladder" in output
    code, summary, output = pytest_in(folder, "--ladder")
    assert code == 0, output
    for name in ("matmul_loops", "matmul_elementwise", "matmul_broadcast", "matmul_einsum", "a @ b"):
        assert name in output
    assert "#" in output and "x\n" in output and "chapter progress" not in output


def test_the_ladder_of_stubs_says_what_raised(folder):
    code, summary, output = pytest_in(folder, "--ladder")
    assert code == 0 and "raised NotImplementedError" in output and "passed" not in output


# --- --watch ----------------------------------------------------------------




@pytest.mark.slow
def test_watch_reruns_the_saved_module_and_survives_crashes(folder):
    watched = Watched(folder)
    try:
        first = watched.until(END)
        assert re.search(r"\d+ not started in", first), first
        solve(folder, "neurons")
        rerun = watched.until(END)
        assert "saved neurons.py: running test_neurons.py" in rerun and "passed" in rerun, rerun
        (folder / "loss.py").write_text("import os\nos.kill(os.getpid(), 11)\n")
        crashed = watched.until(END)
        assert "The run crashed (signal 11" in crashed, crashed
        (folder / "loss.py").write_text("while True:\n    pass\n")  # never returns
        watched.until("running test_loss.py")
        time.sleep(2)
        solve(folder, "loss")  # the run that hangs is stopped and replaced
        fixed = watched.until(END)
        assert "running test_loss.py" in fixed and "passed" in fixed and "failed" not in fixed, fixed
        assert watched.stop() == 0
        assert "Stopped watching" in watched.until("Stopped watching", 5) + "Stopped watching"
    finally:
        watched.process.kill()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def forks_of(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc to find the forks")
def test_watch_leaves_nothing_behind_when_killed(folder):
    (folder / "loss.py").write_text("while True:\n    pass\n")
    watched = Watched(folder)
    try:
        deadline = time.monotonic() + 120
        while len(forks_of(watched.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # torch is imported, then the watcher and the first run start
        time.sleep(2)  # the run is in loss.py's endless loop by now
        forks = forks_of(watched.process.pid)
        assert len(forks) == 2  # the one that watches and the run
        watched.process.kill()
        watched.process.wait()
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in forks) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in forks)
    finally:
        watched.process.kill()


@pytest.mark.slow
def test_watch_under_m_runs_only_selected_modules(folder):
    watched = Watched(folder, "-m", "relu")
    try:
        watched.until(END)
        solve(folder, "loss")
        assert "saved loss.py: none of its items is selected by -m" in watched.until("---\n", 60)
        solve(folder, "neurons")
        rerun = watched.until(END)
        assert "running test_neurons.py" in rerun and "passed" in rerun, rerun
    finally:
        watched.process.kill()
