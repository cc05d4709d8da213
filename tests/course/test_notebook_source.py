"""source/ and release/: the nbgrader notebooks, their visible checks and their drift check."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import nbformat
import pytest
from click.testing import CliRunner

from autograder import catalogue
from autograder.cli import main
from autograder.course import module_parts, notebook_release, notebook_source
from autograder.paths import ROOT, SOLUTIONS

SOURCE = ROOT / "source" / "foundations"
RELEASE = ROOT / "release" / "foundations"
# The questionnaire's conceptual questions whose "why" part is answered in words.
CONCEPTUAL = ("Q7", "Q8", "Q16", "Q22", "Q24", "Q25", "Q27", "Q28", "Q32", "Q36", "Q40")


def notebooks(folder) -> dict[str, nbformat.NotebookNode]:
    return {module: nbformat.read(folder / notebook_source.notebook_name(module), as_version=4)
            for module in catalogue.modules()}


def graded(nb) -> dict[str, nbformat.NotebookNode]:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells if "nbgrader" in cell.metadata}


@pytest.fixture(scope="module")
def source():
    return notebooks(SOURCE)


def test_one_notebook_per_module_in_course_order():
    names = sorted(path.name for path in SOURCE.glob("*.ipynb"))
    assert names == [f"{n:02d}_{m}.ipynb" for n, m in enumerate(catalogue.modules(), start=1)]
    assert names[0] == "01_neurons.ipynb" and names[-1] == "11_research.ipynb"


def test_every_item_once_with_answer_and_test_cells(source):
    seen = []
    for module, nb in source.items():
        assert nb.metadata.kernelspec.name == "python3"
        cells = graded(nb)
        assert cells[f"{module}_setup"].metadata.nbgrader["locked"] is True
        assert cells[f"{module}_checks"].source == "from nbchecks import check"
        for item in catalogue.items_of(module):
            seen.append(item.id)
            answer, tests = cells[item.id].metadata.nbgrader, cells[f"{item.id}_tests"].metadata.nbgrader
            assert (answer["solution"], answer["grade"], answer["schema_version"]) == (True, False, 3)
            assert (tests["grade"], tests["solution"], tests["locked"]) == (True, False, True)
            assert tests["points"] == item.points, item.id
            assert cells[f"{item.id}_tests"].source == (
                "### BEGIN HIDDEN TESTS\nfrom autograder.hosts.notebook_kernel import grade_item\n"
                f'grade_item("{item.id}")\n### END HIDDEN TESTS\ncheck("{item.id}")'
            )
    all_ids = [gid for nb in source.values() for gid in graded(nb)]
    assert sorted(seen) == sorted(item.id for item in catalogue.load())
    assert len(all_ids) == len(set(all_ids)), "a grade_id appears twice"


def test_autograded_points_add_up_to_90(source):
    points = [cell.metadata.nbgrader["points"] for nb in source.values() for cell in nb.cells
              if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")]
    assert sum(points) == 90 == catalogue.max_score()


@pytest.mark.parametrize("module", catalogue.modules())
def test_setup_and_answer_cells_are_the_solution_parts(source, module):
    parts = module_parts.split((SOLUTIONS / f"{module}.py").read_text(), module)
    cells = graded(source[module])
    answers = {gid: cell.source for gid, cell in cells.items() if gid in parts.answers}
    assert cells[f"{module}_setup"].source == parts.setup
    assert list(answers) == list(parts.answers) and answers == parts.answers
    assert "SOLUTION" not in parts.setup, "solution markers leaked into the setup cell"
    for item_id, code in answers.items():
        assert code.count("### BEGIN SOLUTION") == code.count("### END SOLUTION") > 0, item_id


def test_explanations_name_title_prompt_and_questions(source):
    for module, nb in source.items():
        texts = {cell.id: cell.source for cell in nb.cells if cell.cell_type == "markdown"}
        for item in catalogue.items_of(module):
            text = texts[f"{item.id}-text"]
            assert item.title in text and item.prompt in text, item.id
            assert all(q in text for q in item.questions), item.id


def test_conceptual_questions_have_a_why_cell_graded_by_hand(source):
    carriers = {item.id for item in catalogue.load() if set(item.questions) & set(CONCEPTUAL)}
    assert {q for item in catalogue.load() if item.id in carriers for q in item.questions} >= set(CONCEPTUAL)
    with_why = set()
    for nb in source.values():
        for grade_id, cell in graded(nb).items():
            if grade_id.endswith("_why"):
                meta = cell.metadata.nbgrader
                assert cell.cell_type == "markdown" and meta["solution"] and meta["grade"], grade_id
                assert meta["points"] == 1
                with_why.add(grade_id.removesuffix("_why"))
    assert carriers <= with_why
    assert with_why == {item.id for item in catalogue.load() if item.why}


def test_source_folder_is_current():
    expected = notebook_source.expected_files()
    present = {path.name for path in SOURCE.iterdir() if path.is_file()}
    assert present == set(expected)
    stale = [name for name, text in expected.items() if (SOURCE / name).read_text() != text]
    assert stale == [], "run `python -m autograder notebooks`"


def test_release_has_named_stubs_and_only_visible_checks():
    release = notebooks(RELEASE)
    for module, nb in release.items():
        cells = graded(nb)
        for item in catalogue.items_of(module):
            assert f'raise NotImplementedError("{item.id}: not implemented yet")' in cells[item.id].source
            assert cells[f"{item.id}_tests"].source == f'check("{item.id}")'
        assert "BEGIN SOLUTION" not in json.dumps(nb) and "HIDDEN TESTS" not in json.dumps(nb)


# --- the drift check: one build of the course, shared --------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return notebook_release.build(tmp_path_factory.mktemp("course"))


@pytest.fixture
def cli_on_built(built, monkeypatch):
    """The `notebooks` command, with its build step replaced by the shared build."""
    monkeypatch.setattr(notebook_release, "build", lambda root, db_url=None: built)
    return lambda *args: CliRunner().invoke(main, ["notebooks", *args])


def test_committed_notebooks_match_a_fresh_build(built):
    assert notebook_release._differences(built, ROOT) == [], "run `python -m autograder notebooks`"
    assert (built / "gradebook.db").is_file(), "the build's gradebook belongs in the build's folder"


def test_check_passes_on_a_copy_and_fails_after_one_character(cli_on_built, tmp_path):
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / "foundations", tmp_path / folder / "foundations")
    done = cli_on_built("--check", "--into", str(tmp_path))
    assert done.exit_code == 0, done.output
    notebook = tmp_path / "release" / "foundations" / "01_neurons.ipynb"
    text = notebook.read_text()
    notebook.write_text(text.replace("check(", "chec(", 1))
    (tmp_path / "source" / "foundations" / "stray.py").write_text("")
    done = cli_on_built("--check", "--into", str(tmp_path))
    assert done.exit_code == 1
    assert "release/foundations/01_neurons.ipynb" in done.output
    assert "source/foundations/stray.py" in done.output
    assert "02_matmul" not in done.output


def test_regenerating_writes_the_build_and_removes_strays(cli_on_built, built, tmp_path):
    stray = tmp_path / "release" / "foundations" / "old.ipynb"
    stray.parent.mkdir(parents=True)
    stray.write_text("{}")
    done = cli_on_built("--into", str(tmp_path))
    assert done.exit_code == 0, done.output
    assert "wrote" in done.output and not stray.exists()
    assert notebook_release._differences(built, tmp_path) == []


# --- the visible checks ----------------------------------------------------------------

CHECKS_SCRIPT = textwrap.dedent("""
    import json, sys, types
    sys.modules["autograder"] = None  # the students' nbchecks must not need the autograder
    sys.path.insert(0, sys.argv[1])
    from nbchecks import check
    import importlib.util
    spec = importlib.util.spec_from_file_location("reference", sys.argv[2])
    reference = importlib.util.module_from_spec(spec); spec.loader.exec_module(reference)
    results = {"passing": check("relu", vars(reference))}
    try:
        check("relu", {})
        results["empty"] = "no error"
    except AssertionError as exc:
        results["empty"] = str(exc)
    grading = types.ModuleType("autograder.hosts.notebook_kernel")
    grading.graded_score = lambda item_id: 1.5 if item_id == "relu" else None
    sys.modules["autograder.hosts.notebook_kernel"] = grading
    results["graded"] = check("relu", {})
    print("RESULTS" + json.dumps(results))
""")


def test_check_runs_public_tests_without_the_autograder_and_returns_the_graded_score():
    done = subprocess.run([sys.executable, "-c", CHECKS_SCRIPT, str(RELEASE), str(SOLUTIONS / "neurons.py")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.split("RESULTS", 1)[1])
    assert results["passing"] is None
    assert "relu: 3 visible check(s) failing" in results["empty"]
    assert results["graded"] == 1.5
    assert "ok   test_relu_scalar" in done.stdout and "FAIL test_relu_scalar" in done.stdout


def _execute(nb, folder):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return graded(nb)


def test_release_notebook_fails_as_released_and_passes_with_the_answers(tmp_path):
    folder = tmp_path / "foundations"
    shutil.copytree(RELEASE, folder)
    name = notebook_source.notebook_name("neurons")
    stub = nbformat.read(folder / name, as_version=4)
    answered = nbformat.read(folder / name, as_version=4)
    solved = graded(nbformat.read(SOURCE / name, as_version=4))
    for cell in answered.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in solved and cell.metadata.nbgrader["solution"] \
                and cell.cell_type == "code":
            cell.source = solved[cell.metadata.nbgrader["grade_id"]].source
    items = [item.id for item in catalogue.items_of("neurons")]

    stub_cells = _execute(stub, folder)
    for item_id in items:
        outputs = stub_cells[f"{item_id}_tests"].outputs
        assert any(out.output_type == "error" and out.ename == "AssertionError" for out in outputs), item_id
        assert "not started" in "".join(out.get("text", "") for out in outputs), item_id

    answered_cells = _execute(answered, folder)
    for item_id in items:
        outputs = answered_cells[f"{item_id}_tests"].outputs
        assert [out.output_type for out in outputs] == ["stream"], (item_id, outputs)
        assert outputs[0].name == "stdout" and "FAIL" not in outputs[0].text, item_id
        assert f"{item_id}: all" in outputs[0].text


def test_nbformat_comes_without_the_uri_grammar():
    """autograder/course/notebook_format.py marks `rfc3987_syntax` absent before
    nbformat (and jsonschema) load: importing it would compile a grammar, a
    second or more on every grading of a notebook."""
    code = ("import sys; from autograder.course.notebook_format import nbformat; import jsonschema; "
            "print(sys.modules.get('rfc3987_syntax', 'absent'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
