"""Hidden tests of loss.py: the mean squared error and squeeze(-1).

PYTEST_DONT_REWRITE: the messages below are what a student reads, without
pytest's rewritten assertion details (which would print values).
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.hidden import checks
from autograder.hidden.strategies import float_dtypes, graded, randn

MODULE = "loss"




def expected_mse(output: torch.Tensor, targ: torch.Tensor) -> torch.Tensor:
    return ((output.reshape(-1).double() - targ.double()) ** 2).mean().to(targ.dtype)


# -- mse ---------------------------------------------------------------------------------


@st.composite
def mse_cases(draw):
    """(output, targ): output (n, 1) or (n,), targ (n,), n in 1..6."""
    n, column = draw(st.integers(1, 6)), draw(st.booleans())
    dtype, seed = draw(float_dtypes), draw(st.integers(0, 2**16))
    output = randn(*((n, 1) if column else (n,)), dtype=dtype, seed=seed)
    return output, randn(n, dtype=dtype, seed=seed + 1)


def check_mse(sub, output, targ, trace=False):
    outcome = sub.call("mse", output, targ, trace=trace)
    checks.assert_tensor(outcome, expected_mse(output, targ), what=f"mse of {checks.shapes([output, targ])}")
    checks.assert_pure(outcome, [output, targ], what="mse")
    return outcome


@pytest.mark.item("mse", weight=3)
@graded
@given(case=mse_cases())
def test_mse_matches_torch(sub, case):
    check_mse(sub, *case)


@pytest.mark.item("mse", weight=2)
def test_mse_edge_cases(sub):
    check_mse(sub, torch.tensor([[2.0]]), torch.tensor([5.0]))  # n == 1: still rank 0
    check_mse(sub, torch.tensor([2.0], dtype=torch.float64), torch.tensor([-1.0], dtype=torch.float64))
    check_mse(sub, randn(50, 1, seed=1), randn(50, seed=2))  # the chapter's column of predictions
    check_mse(sub, randn(4, 1, seed=3), randn(4, seed=3))  # equal: loss 0


@pytest.mark.item("mse", weight=2)
def test_mse_raises_on_different_batch_sizes(sub):
    for out_shape, targ_len in [((5, 1), 7), ((1, 1), 4), ((6,), 3), ((2, 1), 1)]:
        output, targ = randn(*out_shape), randn(targ_len, seed=1)
        outcome = sub.call("mse", output, targ, trace=False)
        checks.assert_raises(outcome, "ValueError", out_shape[0], targ_len,
                             what=f"mse of output {out_shape} and targ ({targ_len},)")


@pytest.mark.item("mse", weight=1)
def test_mse_uses_no_library_loss(sub):
    outcome = check_mse(sub, randn(6, 1), randn(6, seed=1), trace=True)
    checks.assert_traced(outcome, what="mse")
    used = sorted(n for n in outcome.trace["calls"] if "mse" in n.lower())
    assert not used and outcome.kernels("mse_loss") == 0, (
        f"mse may not use nn.functional.mse_loss or nn.MSELoss, but called {', '.join(used) or 'mse_loss'}"
    )


@pytest.mark.item("mse")
def test_mse_keeps_the_device(sub, ref_child, record_property):
    checks.run_on_devices(sub, ref_child, "mse", (randn(4, 1), randn(4, seed=1)), record=record_property)
    checks.run_on_devices(sub, ref_child, "mse", (randn(1, 1, dtype=torch.float64),
                                                  randn(1, dtype=torch.float64, seed=1)))


# -- squeeze_last ------------------------------------------------------------------------


@st.composite
def squeeze_cases(draw):
    shape = tuple(draw(st.lists(st.sampled_from([1, 1, 2, 3]), min_size=1, max_size=4)))
    dtype, seed = draw(float_dtypes), draw(st.integers(0, 2**16))
    return randn(*shape, dtype=dtype, seed=seed)


def check_squeeze(sub, t):
    outcome = sub.call("squeeze_last", t, trace=False)
    checks.assert_tensor(outcome, t.squeeze(-1), what=f"squeeze_last of {checks.shapes([t])}")
    checks.assert_pure(outcome, [t], what="squeeze_last")


@pytest.mark.item("squeeze_last", weight=2)
@graded
@given(t=squeeze_cases())
def test_squeeze_last_matches_squeeze_minus_one(sub, t):
    check_squeeze(sub, t)


@pytest.mark.item("squeeze_last", weight=2)
def test_squeeze_last_edge_cases(sub):
    for shape in [(1, 1), (1,), (4, 1), (4, 3), (2, 1, 3), (3, 1, 1), (1, 1, 1), (1, 5)]:
        check_squeeze(sub, randn(*shape))


@pytest.mark.item("squeeze_last")
def test_squeeze_last_keeps_the_device(sub, ref_child, record_property):
    checks.run_on_devices(sub, ref_child, "squeeze_last", (randn(1, 1),), record=record_property)
    checks.run_on_devices(sub, ref_child, "squeeze_last", (randn(3, 2, dtype=torch.float64),))
