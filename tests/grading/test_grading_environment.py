"""The environment the grader runs in cannot change a score: pytest settings
meant for other test runs (PYTEST_ADDOPTS, PYTEST_PLUGINS) are not obeyed by
the hidden suites."""

from __future__ import annotations

from support.bank.loss import MISTAKES
from support.grading_support import grade, scores

# A plugin that would drop every hidden test, were it loaded.
DROP_ALL = """
def pytest_collection_modifyitems(items):
    items.clear()
"""


def test_pytest_settings_in_the_environment_change_nothing(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    MISTAKES[2].apply(submission)  # loss.py with `sum instead of mean`: some tests fail
    (tmp_path / "drop_all_plugin.py").write_text(DROP_ALL)
    plain = grade(submission)
    hostile = grade(submission, env={
        "PYTEST_ADDOPTS": "-x",  # would stop at the first failed test
        "PYTEST_PLUGINS": "drop_all_plugin",
        "PYTHONPATH": str(tmp_path),
    })
    assert 0 < plain["score"] < 5, scores(plain)  # partial: the settings would matter
    assert hostile == plain
