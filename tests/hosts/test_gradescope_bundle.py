"""The Gradescope autograder zip, and run_autograder against a fake /autograder tree.

The zip is built by the real command, unpacked as Gradescope unpacks it, and
its run_autograder graded uploads the way Gradescope would, with the paths
moved into a temporary folder and this environment's Python standing in for
the one setup.sh would install. Three gradings of everything (about 15 s
each), one of matmul.py alone (about 4 s).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from autograder import catalogue
from autograder.hosts.gradescope import bundle as gradescope_bundle
from autograder.paths import EXERCISES, ROOT, SOLUTIONS
from support import GRADESCOPE_SCHEMA

SCRIPTS = ("setup.sh", "run_autograder")


def build(out: Path, *options: str) -> Path:
    done = subprocess.run([sys.executable, "-m", "autograder", "gradescope-bundle", str(out), *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return out


def unpack(archive: Path, into: Path) -> Path:
    """Unpack with the permissions the zip records, as unzip does (zipfile drops them)."""
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            path = Path(z.extract(info, into))
            path.chmod(stat.S_IMODE(info.external_attr >> 16))
    return into


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("bundle") / "autograder.zip")


@pytest.fixture(scope="module")
def names(bundle) -> list[str]:
    with zipfile.ZipFile(bundle) as z:
        return z.namelist()


@pytest.fixture(scope="module")
def source(bundle, tmp_path_factory) -> Path:
    """What Gradescope makes of the zip: /autograder/source."""
    return unpack(bundle, tmp_path_factory.mktemp("autograder") / "source")


def run_autograder(source: Path, root: Path, **env: str) -> dict:
    """Run the unpacked run_autograder on `root`/submission; the results.json it wrote."""
    done = subprocess.run(
        [str(source / "run_autograder")], cwd=root, capture_output=True, text=True, timeout=600,
        env={**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_SOURCE": str(source),
             "AUTOGRADER_PYTHON": sys.executable, **env},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text(), parse_constant=not_json)
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    return results


def not_json(constant: str):
    raise ValueError(f"results.json holds {constant}, which is not JSON")


def checks_by_item(results: dict) -> dict[str, dict]:
    return {test["name"].split(":")[0]: test for test in results["tests"]}


# -- the zip ---------------------------------------------------------------------------


def tracked(*folders: str) -> set[str]:
    done = subprocess.run(["git", "ls-files", "--", *folders], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return set(done.stdout.split())


def test_the_zip_holds_what_grading_needs_and_nothing_else(names):
    assert names == sorted(set(names))
    assert {name.split("/")[0] for name in names} == {
        *SCRIPTS, "pyproject.toml", "constraints.txt", "README.md", "autograder", "solutions"}
    assert {n for n in names if n.startswith("solutions/")} == {
        f"solutions/{path.name}" for path in SOLUTIONS.glob("*.py")}
    scripts_copies = {f"autograder/hosts/gradescope/{script}" for script in SCRIPTS}
    assert tracked("autograder") - scripts_copies <= set(names)  # every file of the package
    for module in catalogue.modules():
        assert f"autograder/hidden/test_{module}.py" in names
    private = [n for n in names if "__pycache__" in n or n.endswith(".pyc") or scripts_copies & {n}
               or any(part.startswith(".") for part in n.split("/"))]
    assert private == []


def test_the_zip_is_the_same_every_time_with_executable_scripts(bundle, tmp_path):
    assert build(tmp_path / "again.zip").read_bytes() == bundle.read_bytes()
    with zipfile.ZipFile(bundle) as z:
        modes = {info.filename: stat.S_IMODE(info.external_attr >> 16) for info in z.infolist()}
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert {name: modes[name] for name in SCRIPTS} == {name: 0o755 for name in SCRIPTS}
    assert {mode for name, mode in modes.items() if name not in SCRIPTS} == {0o644}


def test_setup_sh_parses_and_installs_the_pins(source):
    script = source / "setup.sh"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    assert '-c "$SOURCE/constraints.txt"' in text
    assert "whl/cpu" in text and "^torch==" in text  # the CPU wheel, at the pinned version
    assert any(line.startswith("torch==") for line in (source / "constraints.txt").read_text().splitlines())


def test_the_visibility_option_adds_one_settings_file(bundle, names, tmp_path):
    later = build(tmp_path / "later.zip", "--visibility", "after_due_date")
    with zipfile.ZipFile(later) as z, zipfile.ZipFile(bundle) as default:
        assert z.namelist() == sorted([*names, gradescope_bundle.SETTINGS])
        assert json.loads(z.read(gradescope_bundle.SETTINGS)) == {"visibility": "after_due_date"}
        assert all(z.read(name) == default.read(name) for name in names)
    assert gradescope_bundle.SETTINGS not in names  # the default zip is as it always was


def test_the_visibility_choices_are_the_bundles():
    from autograder.cli import gradescope_bundle as command

    option = next(param for param in command.params if param.name == "visibility")
    assert tuple(option.type.choices) == gradescope_bundle.VISIBILITIES
    with pytest.raises(gradescope_bundle.BundleError):
        gradescope_bundle.settings("hidden")


def test_a_bad_output_path_is_a_clear_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "gradescope-bundle",
                           str(tmp_path / "no" / "such" / "folder.zip")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "is not a folder" in done.stderr and "Traceback" not in done.stderr


# -- run_autograder ----------------------------------------------------------------------


def test_the_reference_uploaded_as_files_gets_full_marks(source, tmp_path):
    submission = tmp_path / "submission"
    shutil.copytree(SOLUTIONS, submission)
    results = run_autograder(source, tmp_path)
    assert results["score"] == catalogue.max_score() == 90
    assert results["output"].startswith("Graded the modules at the top of your upload.")
    assert all(test["status"] == "passed" for test in results["tests"])
    assert len(results["tests"]) == len(catalogue.load())
    assert results["visibility"] == "visible" and {t["visibility"] for t in results["tests"]} == {"visible"}
    # each rung of the speed ladder, as timed: a passed check is at least 5x
    assert [entry["name"].split()[0] for entry in results["leaderboard"]] == [
        "matmul_elementwise", "matmul_broadcast", "matmul_einsum"]
    assert all(5 <= entry["value"] < 10_000 for entry in results["leaderboard"])


def test_a_repository_upload_is_graded_in_its_exercises_folder(source, tmp_path):
    """A zipped repository: one module solved, one still a stub, the rest not there."""
    exercises = tmp_path / "submission" / "my-repo" / "exercises"
    exercises.mkdir(parents=True)
    shutil.copy(SOLUTIONS / "neurons.py", exercises)
    shutil.copy(EXERCISES / "loss.py", exercises)
    (tmp_path / "submission" / "my-repo" / "README.md").write_text("my work\n")
    results = run_autograder(source, tmp_path)
    neurons = sum(item.points for item in catalogue.items_of("neurons"))
    assert results["score"] == neurons
    assert results["output"].startswith("Graded the modules in my-repo/exercises/ of your upload.")
    tests = checks_by_item(results)
    assert tests["neuron"]["status"] == "passed"
    assert tests["mse"]["status"] == "failed" and tests["mse"]["score"] == 0
    assert tests["matmul_loops"]["status"] == "failed" and tests["matmul_loops"]["score"] == 0  # not uploaded
    assert "leaderboard" not in results  # no rung of the ladder was measured


def test_a_grader_failure_still_writes_results(source, tmp_path):
    """A hidden suite that does not collect: the grader exits 3, the student sees why."""
    broken = tmp_path / "source"
    shutil.copytree(source, broken, symlinks=True)
    (broken / "autograder" / "hidden" / "test_loss.py").write_text("def oops(:\n")
    shutil.copytree(SOLUTIONS, tmp_path / "submission")
    results = run_autograder(broken, tmp_path)
    assert results["score"] == 0 and results["tests"] == []
    assert "not of your code" in results["output"] and "status 3" in results["output"]


def test_a_grading_past_its_time_is_stopped_and_reported(source, tmp_path):
    shutil.copytree(SOLUTIONS, tmp_path / "submission")
    results = run_autograder(source, tmp_path, AUTOGRADER_TIMEOUT="1")
    assert results["score"] == 0 and "more than 1 s" in results["output"]


def test_a_broken_environment_still_writes_results(source, tmp_path):
    (tmp_path / "submission").mkdir()
    results = run_autograder(source, tmp_path, AUTOGRADER_PYTHON=str(tmp_path / "no-python"))
    assert results["score"] == 0 and results["tests"] == []
    assert "could not start" in results["output"]


def test_items_shown_after_the_due_date_leave_the_points_visible(tmp_path):
    """One module, graded by a bundle built with --visibility after_due_date."""
    source = unpack(build(tmp_path / "later.zip", "--visibility", "after_due_date"), tmp_path / "source")
    (tmp_path / "submission").mkdir()
    shutil.copy(SOLUTIONS / "matmul.py", tmp_path / "submission")
    results = run_autograder(source, tmp_path)
    points = sum(item.points for item in catalogue.items_of("matmul"))
    assert results["score"] == points and results["visibility"] == "visible"
    assert {test["visibility"] for test in results["tests"]} == {"after_due_date"}
    assert results["output"].splitlines() == ["Graded the modules at the top of your upload.",
                                              f"Points {points}/90",
                                              "Each item's results are shown after the due date."]
    assert len(results["leaderboard"]) == 3


def test_a_damaged_settings_file_is_a_grader_failure(source, tmp_path):
    damaged = tmp_path / "source"
    shutil.copytree(source, damaged, symlinks=True)
    (damaged / gradescope_bundle.SETTINGS).write_text('{"visibility": "hidden"}\n')
    shutil.copytree(SOLUTIONS, tmp_path / "submission")
    results = run_autograder(damaged, tmp_path)
    assert results["score"] == 0 and results["tests"] == []
    assert "not of your code" in results["output"] and gradescope_bundle.SETTINGS in results["output"]
