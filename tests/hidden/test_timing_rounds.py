"""How many rounds a speed check times (hidden/checks.assert_faster), with
children replaced by fakes whose calls take a fixed time: a clear verdict
stops after MIN_ROUNDS, a ratio near the factor gets every round."""

from __future__ import annotations

import pytest
import torch

from autograder.hidden import checks
from autograder.sandbox.client import Outcome, Timed


class FakeChild:
    """Answers `call` with a fixed value and `repeat` with `per_call` seconds a call."""

    def __init__(self, per_call: float):
        self.per_call = per_call
        self.batches: list[int] = []  # the number of calls in each timed batch

    def call(self, name, *args, **kwargs) -> Outcome:
        return Outcome(value=torch.ones(2))

    def repeat(self, target, args, number, timeout=None, trace=True) -> Timed:
        self.batches.append(number)
        return Timed(self.per_call * number, {"calls": {}, "kernels": {}})


def rounds(child: FakeChild) -> int:
    """Batches at the final size: the sizing batch and the rounds after it."""
    return child.batches.count(child.batches[-1])


def time_it(student_per_call: float, slower_per_call: float = 1e-3, factor: float = 5) -> tuple:
    student, reference = FakeChild(student_per_call), FakeChild(slower_per_call)
    ratio = checks.assert_faster(student, reference, "f", "slow_f", (), factor=factor, rounds=7)
    return ratio, rounds(student), rounds(reference)


def test_a_clear_win_stops_after_the_least_rounds():
    ratio, student_rounds, slower_rounds = time_it(student_per_call=1e-5)  # 100x
    assert ratio == pytest.approx(100)
    assert student_rounds == slower_rounds == checks.MIN_ROUNDS


def test_a_ratio_near_the_factor_gets_every_round():
    ratio, student_rounds, slower_rounds = time_it(student_per_call=1e-3 / 6)  # 6x, above 5x
    assert ratio == pytest.approx(6)
    assert student_rounds == slower_rounds == 7


def test_a_slow_submission_fails_after_every_round():
    student, reference = FakeChild(1e-3 / 2), FakeChild(1e-3)  # 2x, below 5x
    with pytest.raises(AssertionError, match="at least 5x faster than slow_f .* it was 2.0x"):
        checks.assert_faster(student, reference, "f", "slow_f", (), factor=5, rounds=7)
    assert rounds(student) == rounds(reference) == 7


def test_the_sizing_batch_counts_as_a_round():
    # The slower side sizes its batch at 1, 10, then 20 calls; every batch
    # after those three takes twice as long. Its best time is the sizing batch.
    student, reference = FakeChild(1e-5), FakeChild(1e-3)
    plain = reference.repeat

    def slower_after_sizing(*args, **kwargs) -> Timed:
        timed = plain(*args, **kwargs)
        return Timed(timed.seconds * (2 if len(reference.batches) > 3 else 1), timed.trace)

    reference.repeat = slower_after_sizing
    ratio = checks.assert_faster(student, reference, "f", "slow_f", (), factor=5, rounds=7)
    assert reference.batches[:3] == [1, 10, 20]
    assert ratio == pytest.approx(100)  # 200 if the sizing batch were thrown away
