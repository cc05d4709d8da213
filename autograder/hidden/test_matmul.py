"""Hidden tests of matmul.py: four matrix products, their errors and speeds."""

from __future__ import annotations

import re
import statistics

import pytest
from hypothesis import given

from autograder.hidden import checks
from autograder.hidden.strategies import graded, matmul_pairs, randn
from autograder.sandbox.client import Transposed

MODULE = "matmul"
VARIANTS = ("matmul_loops", "matmul_elementwise", "matmul_broadcast", "matmul_einsum")

# The chapter's sizes (a batch of 5 MNIST images times a 784x10 weight) and a
# wide case where broadcasting pays off over the elementwise loops.
CHAPTER = (randn(5, 784), randn(784, 10, seed=1))
WIDE = (randn(8, 64), randn(64, 128, seed=1))


def values_property(name):
    @pytest.mark.item(name, weight=3)
    @graded
    @given(pair=matmul_pairs())
    def test(sub, pair):
        a, b = pair
        outcome = sub.call(name, a, b)
        checks.assert_tensor(outcome, a @ b, what=f"{name} of {checks.shapes(pair)}")
        checks.assert_pure(outcome, pair, what=name)

    test.__name__ = f"test_{name}_matches_a_at_b"
    return test


def edge_cases(name):
    @pytest.mark.item(name, weight=2)
    def test(sub):
        cases = [
            (randn(1, 1), randn(1, 1, seed=1)),
            (randn(1, 6), randn(6, 1, seed=1)),
            (randn(6, 1), randn(1, 6, seed=1)),
            (Transposed(randn(4, 3)), randn(4, 2, seed=1)),  # a non-contiguous a
        ]
        for a, b in cases:
            dense_a = a.base.t() if isinstance(a, Transposed) else a
            outcome = sub.call(name, a, b)
            checks.assert_tensor(outcome, dense_a @ b, what=f"{name} of {checks.shapes((a, b))}")

    test.__name__ = f"test_{name}_edge_cases"
    return test


def runs_on_devices(name):
    @pytest.mark.item(name)
    def test(sub, ref_child, record_property):
        checks.run_on_devices(sub, ref_child, name, (randn(3, 4), randn(4, 2, seed=1)),
                              record=record_property)

    test.__name__ = f"test_{name}_keeps_the_device"
    return test


for _name in VARIANTS:
    globals()[f"test_{_name}_matches_a_at_b"] = values_property(_name)
    globals()[f"test_{_name}_edge_cases"] = edge_cases(_name)
    globals()[f"test_{_name}_keeps_the_device"] = runs_on_devices(_name)


# -- restrictions, as torch-call counts ---------------------------------------------


def calls(sub, name, ar, ac, bc) -> int:
    outcome = sub.call(name, randn(ar, ac), randn(ac, bc, seed=1))
    checks.returned(outcome, f"{name} of ({ar}, {ac}) @ ({ac}, {bc})")
    checks.assert_no_matmul(outcome, what=name)
    checks.assert_traced(outcome, what=name)
    return outcome.calls()


@pytest.mark.item("matmul_loops", weight=2)
def test_matmul_loops_loops_over_the_inner_dimension(sub):
    small, deep = calls(sub, "matmul_loops", 2, 3, 2), calls(sub, "matmul_loops", 2, 9, 2)
    assert deep > 2 * small, (
        "matmul_loops should make one scalar product per step of an inner loop over ac "
        f"(torch calls: {small} for ac=3, {deep} for ac=9)"
    )


@pytest.mark.item("matmul_elementwise", weight=2)
def test_matmul_elementwise_has_no_inner_loop(sub):
    small, deep = calls(sub, "matmul_elementwise", 2, 3, 2), calls(sub, "matmul_elementwise", 2, 30, 2)
    assert deep == small, (
        "matmul_elementwise should replace the inner loop by one elementwise product "
        f"(torch calls grew from {small} to {deep} when ac went from 3 to 30)"
    )


@pytest.mark.item("matmul_broadcast", weight=2)
def test_matmul_broadcast_loops_over_rows_only(sub):
    narrow = calls(sub, "matmul_broadcast", 3, 4, 2)
    wide = calls(sub, "matmul_broadcast", 3, 4, 20)
    deep = calls(sub, "matmul_broadcast", 3, 40, 2)
    assert wide == narrow == deep, (
        "matmul_broadcast should loop over the rows of a only "
        f"(torch calls: {narrow} for bc=2, {wide} for bc=20, {deep} for ac=40)"
    )


def assert_one_einsum(outcome, what: str = "matmul_einsum") -> None:
    assert outcome.calls("einsum") == 1, (
        f"{what} should call torch.einsum once, called it {outcome.calls('einsum')} times"
    )
    others = {n for n in outcome.trace["calls"] if n in checks.MATMUL_FAMILY and n != "einsum"}
    assert not others, f"{what} may not call {', '.join(sorted(others))}"


@pytest.mark.item("matmul_einsum", weight=2)
def test_matmul_einsum_is_one_einsum(sub):
    outcome = sub.call("matmul_einsum", randn(3, 4), randn(4, 2, seed=1))
    checks.returned(outcome, "matmul_einsum")
    assert_one_einsum(outcome)


# -- matmul_shapes: the ValueError of every variant ------------------------------------


# Inputs that are not both 2-D, on either side, with inner sizes that agree:
# only the rank is wrong. Sizes all differ, so a message that names both
# shapes names each of their sizes.
WRONG_RANKS = [((4,), (4, 6)), ((5, 4), (4,)), ((2, 5, 4), (4, 6)), ((5, 4), (4, 6, 3))]


def names_both_shapes(outcome, a: tuple, b: tuple, what: str) -> None:
    """A ValueError whose message names every size of both shapes, in any wording."""
    checks.assert_raises(outcome, "ValueError", what=what)
    message = outcome.error.get("message", "")
    numbers = re.findall(r"\d+", message)
    missing = [n for n in (*a, *b) if str(n) not in numbers]
    assert not missing, f"{what}: the ValueError message should name both shapes, {a} and {b}; it says {message!r}"


def raises_on_bad_shapes(name):
    @pytest.mark.item("matmul_shapes")
    def test(sub):
        outcome = sub.call(name, randn(2, 3), randn(4, 5))
        checks.assert_raises(outcome, "ValueError", 3, 4, what=f"{name} of (2, 3) @ (4, 5)")
        for a, b in WRONG_RANKS:  # each variant's own check, whatever it unpacks
            what = f"{name} of a {len(a)}-D {a} @ a {len(b)}-D {b}"
            names_both_shapes(sub.call(name, randn(*a), randn(*b, seed=1)), a, b, what)

    test.__name__ = f"test_{name}_raises_on_bad_shapes"
    return test


for _name in VARIANTS:
    globals()[f"test_{_name}_raises_on_bad_shapes"] = raises_on_bad_shapes(_name)


# -- speed: each variant against the reference's next-slower one ----------------------

# (variant, the slower reference variant, inputs, factor it must beat it by,
# the variant's restriction, checked on the timed inputs too)
# Both sides are traced, which makes every torch call dearer: the loops'
# side is kept small (its one call sets the length of a round), and the
# reference still wins by 40-200x.
LADDER = [
    ("matmul_elementwise", "matmul_loops", (randn(4, 32), randn(32, 6, seed=1)), 5, checks.assert_no_matmul),
    ("matmul_broadcast", "matmul_elementwise", WIDE, 5, checks.assert_no_matmul),
    # 128 rows: the broadcast version's one loop runs 128 times, einsum once
    # (the reference is 15-30x faster here untraced, 40x traced; 64 rows dipped to 8x under load).
    ("matmul_einsum", "matmul_broadcast", (randn(128, 64), randn(64, 64, seed=1)), 5, assert_one_einsum),
]


@pytest.mark.parametrize(
    "name, slower, args, factor, restriction",
    [pytest.param(*row, id=row[0], marks=pytest.mark.item(row[0], weight=2)) for row in LADDER],
)
def test_speed(sub, ref_child, name, slower, args, factor, restriction, record_property):
    checks.assert_faster(sub, ref_child, name, slower, args, factor=factor, record=record_property,
                         restriction=restriction)


# -- time_call --------------------------------------------------------------------------


@pytest.mark.item("time_call", weight=2)
@pytest.mark.parametrize("number, repeat", [(1, 1), (3, 2), (20, 7)])
def test_time_call_calls_exactly_number_times_repeat(sub, number, repeat):
    f = sub.callable(kind="sleeper", schedule=[0.0])
    outcome = sub.call("time_call", f, number=number, repeat=repeat)
    seconds = checks.returned(outcome, f"time_call(f, number={number}, repeat={repeat})")
    assert isinstance(seconds, float), f"time_call should return a float, got {type(seconds).__name__}"
    recorded_calls(sub, f, number, repeat)


def recorded_calls(sub, f, number: int, repeat: int) -> dict:
    """What the child recorded of the calls of `f`, once they were `number * repeat`."""
    made = sub.recorded(f)
    assert made["calls"] == number * repeat, (
        f"time_call(f, number={number}, repeat={repeat}) should call f {number * repeat} times, "
        f"called it {made['calls']} times"
    )
    return made


def measured_rounds(sub, f, number: int, repeat: int) -> list[float]:
    """Seconds per call of each round, from when the calls of `f` began and
    ended (recorded in the child): what time_call should have measured, even
    on a machine so busy that sleeps overrun. A student's own clock may read
    a little less (another clock, its resolution): hence the 0.9 below."""
    spans = recorded_calls(sub, f, number, repeat)["spans"]
    rounds = [spans[i:i + number] for i in range(0, len(spans), number)]
    return [(calls[-1][1] - calls[0][0]) / number for calls in rounds]


@pytest.mark.item("time_call", weight=2)
def test_time_call_is_the_time_per_call(sub):
    f = sub.callable(kind="sleeper", schedule=[0.005])
    seconds = checks.returned(sub.call("time_call", f, number=5, repeat=3), "time_call(f, number=5, repeat=3)")
    # Each call sleeps about 5 ms: a round of 5 calls about 25 ms, 5 ms a call.
    expected = statistics.median(measured_rounds(sub, f, 5, 3))
    assert 0.9 * expected <= seconds < 2 * expected, (
        "time_call should return seconds per call (a round's time divided by number): "
        f"expected about {expected:.4f} s for a function that sleeps 5 ms, got {seconds:.4f} s"
    )


# Five rounds of two calls each, every round sleeping a different time: the
# median (12 ms a call), the minimum (2 ms) and the mean (20 ms) lie far apart,
# whatever a busy machine adds to the sleeps (the bounds below come from what
# the rounds really took).
ROUND_SLEEPS = [0.002, 0.020, 0.006, 0.060, 0.012]


@pytest.mark.item("time_call", weight=2)
def test_time_call_is_the_median_of_the_rounds(sub):
    f = sub.callable(kind="sleeper", schedule=[s for s in ROUND_SLEEPS for _ in range(2)])
    outcome = sub.call("time_call", f, number=2, repeat=5, timeout=30)
    seconds = checks.returned(outcome, "time_call(f, number=2, repeat=5)")
    rounds = sorted(measured_rounds(sub, f, 2, 5))
    median, mean, least = statistics.median(rounds), statistics.mean(rounds), rounds[0]
    # Halfway to the next candidate on either side: the minimum and the round
    # below the median, the mean and the round above it.
    low, high = (rounds[1] + median) / 2, min((median + mean) / 2, (median + rounds[3]) / 2)
    assert low <= seconds < high, (
        "time_call should return the median over the rounds, each round's time divided by number: "
        f"expected about {median:.4f} s per call (the minimum would be {least:.4f} s, "
        f"the mean {mean:.4f} s), got {seconds:.4f} s"
    )


@pytest.mark.item("time_call")
def test_time_call_defaults_are_20_by_7(sub):
    f = sub.callable(kind="sleeper", schedule=[0.0])
    checks.returned(sub.call("time_call", f), "time_call(f)")
    made = sub.recorded(f)["calls"]
    assert made == 140, f"time_call(f) should call f 20 * 7 = 140 times by default, called it {made}"
