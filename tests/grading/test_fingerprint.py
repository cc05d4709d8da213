"""The grader's fingerprint covers what decides a score, and only that."""

from __future__ import annotations

import subprocess
import sys

from autograder.grading import fingerprint
from autograder.paths import PACKAGE, ROOT

# Everything a grading imports: the grade command, the pipeline, the child, the fork server, every suite.
IMPORTED_BY_A_GRADING = """
import importlib, pathlib, sys
import autograder.cli, autograder.grading.pipeline, autograder.sandbox.child, autograder.sandbox.forkserver
import autograder.report.formats
for suite in sorted(pathlib.Path(sys.argv[1]).glob('*.py')):
    importlib.import_module('autograder.hidden.' + suite.stem)
print('\\n'.join(sorted(m.__file__ for n, m in sys.modules.items()
                        if n.startswith('autograder') and getattr(m, '__file__', None))))
"""


def test_every_module_a_grading_imports_is_in_the_fingerprint():
    loaded = subprocess.run([sys.executable, "-c", IMPORTED_BY_A_GRADING, str(PACKAGE / "hidden")], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    covered = {str(path) for path in fingerprint.deciding_files()}
    assert loaded and [path for path in loaded if path not in covered] == []


def test_what_does_not_decide_a_score_is_left_out():
    names = {path.relative_to(PACKAGE).parts[0] for path in fingerprint.deciding_files() if PACKAGE in path.parents}
    assert not names & {"public", "hosts", "bench"}
    assert any(path.name == "catalogue.toml" for path in fingerprint.deciding_files())
    assert any(path.parent.name == "solutions" for path in fingerprint.deciding_files())


def test_a_changed_suite_changes_the_fingerprint(monkeypatch, tmp_path):
    copy = tmp_path / "autograder"
    for path in fingerprint.deciding_files():
        if PACKAGE in path.parents:
            target = copy / path.relative_to(PACKAGE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    monkeypatch.setattr(fingerprint, "PACKAGE", copy)
    before = fingerprint.compute()
    assert before == fingerprint.compute()
    (copy / "hidden" / "test_neurons.py").write_text((copy / "hidden" / "test_neurons.py").read_text() + "\n# x\n")
    assert fingerprint.compute() != before
