"""pytest's settings for the project's own tests; their helpers are in tests/support/."""

from __future__ import annotations


def pytest_collection_modifyitems(items):
    """The end-to-end nbgrader run takes minutes: start it first, so that the
    other worker's tests run beside it instead of after it (with
    --maxschedchunk=1, workers take tests one at a time)."""
    items.sort(key=lambda item: "test_nbgrader_end_to_end" not in item.nodeid)
