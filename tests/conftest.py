"""pytest's settings for the project's own tests; their helpers are in tests/support/."""

from __future__ import annotations

import signal

import pytest


def pytest_collection_modifyitems(items):
    """The end-to-end nbgrader run takes minutes: start it first, so that the
    other worker's tests run beside it instead of after it (with
    --maxschedchunk=1, workers take tests one at a time)."""
    items.sort(key=lambda item: "test_nbgrader_end_to_end" not in item.nodeid)


@pytest.fixture
def no_hang():
    """Fail, rather than wait for ever, when reading a submission blocks (a FIFO opened for reading)."""
    def stop(*_):
        raise TimeoutError("reading the submission blocked")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)
