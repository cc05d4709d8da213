"""Hidden tests of einsum.py: seven operations, each one Einstein summation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from autograder.hidden import checks
from autograder.hidden.strategies import float_dtypes, randn
from autograder.hidden.strategies import graded
from autograder.sandbox.client import Transposed

MODULE = "einsum"




def dense(value) -> torch.Tensor:
    """The tensor the child receives for `value`, here in the grader."""
    return value.base.t() if isinstance(value, Transposed) else value


# What each function must equal, on the tensors the child receives.
EXPECTED = {
    "einsum_transpose": lambda x: x.t(),
    "einsum_trace": lambda x: torch.trace(x),
    "einsum_diagonal": lambda x: torch.diagonal(x),
    "einsum_outer": lambda x, y: torch.outer(x, y),
    "einsum_batch_matmul": lambda a, b: torch.bmm(a, b),
    "einsum_batch_transpose": lambda x: x.transpose(-2, -1),
    "einsum_bilinear": lambda l, A, r: F.bilinear(l, r, A),
}
NAMES = tuple(EXPECTED)


def inputs(name: str, dims, rank: int = 3, dtype=torch.float32, seed: int = 0) -> tuple:
    """Arguments of `name` built from sizes (at least five of them)."""
    d0, d1, d2, d3, d4 = dims[:5]

    def r(*shape, k=0):
        return randn(*shape, dtype=dtype, seed=seed + k)

    return {
        "einsum_transpose": lambda: (r(d0, d1),),
        "einsum_trace": lambda: (r(d0, d0),),
        "einsum_diagonal": lambda: (r(d0, d0),),
        "einsum_outer": lambda: (r(d0), r(d1, k=1)),
        "einsum_batch_matmul": lambda: (r(d0, d1, d2), r(d0, d2, d3, k=1)),
        "einsum_batch_transpose": lambda: (r(*dims[:rank]),),
        "einsum_bilinear": lambda: (r(d0, d1), r(d2, d1, d3, k=1), r(d0, d3, k=2)),
    }[name]()


def check(sub, name: str, args: tuple):
    what = f"{name} of {checks.shapes(args)}"
    outcome = sub.call(name, *args)
    expected = EXPECTED[name](*(dense(a) for a in args))
    checks.assert_tensor(outcome, expected, what=what)
    checks.assert_pure(outcome, args, what=name)
    return outcome


@pytest.mark.item("einsum_ops", weight=2)
@pytest.mark.parametrize("name", NAMES)
@graded
@given(dims=st.lists(st.integers(1, 5), min_size=5, max_size=5), rank=st.integers(2, 5),
       dtype=float_dtypes, seed=st.integers(0, 2**16))
def test_einsum_values(sub, name, dims, rank, dtype, seed):
    check(sub, name, inputs(name, dims, rank, dtype, seed))


EDGE_CASES = {
    "einsum_transpose": [(randn(1, 1),), (randn(1, 5),), (randn(5, 1, dtype=torch.float64),),
                         (Transposed(randn(3, 4)),), (torch.arange(6).reshape(2, 3),)],
    "einsum_trace": [(randn(1, 1),), (Transposed(randn(4, 4)),), (randn(6, 6, dtype=torch.float64),)],
    "einsum_diagonal": [(randn(1, 1),), (Transposed(randn(4, 4)),), (randn(6, 6, dtype=torch.float64),)],
    "einsum_outer": [(randn(1), randn(1, seed=1)), (randn(1), randn(5, seed=1)),
                     (randn(4, dtype=torch.float64), randn(1, dtype=torch.float64, seed=1))],
    "einsum_batch_matmul": [(randn(1, 1, 1), randn(1, 1, 1, seed=1)),
                            (randn(1, 3, 4), randn(1, 4, 2, seed=1)),
                            (randn(5, 1, 3), randn(5, 3, 1, seed=1))],
    "einsum_batch_transpose": [(randn(1, 1),), (Transposed(randn(4, 3)),), (randn(2, 1, 3, 1, 4),),
                               (randn(3, 4, dtype=torch.float64),)],
    "einsum_bilinear": [(randn(1, 1), randn(1, 1, 1, seed=1), randn(1, 1, seed=2)),
                        (randn(5, 3), randn(4, 3, 6, seed=1), randn(5, 6, seed=2)),
                        (Transposed(randn(3, 2)), randn(1, 3, 4, seed=1), Transposed(randn(4, 2, seed=2)))],
}


@pytest.mark.item("einsum_ops")
@pytest.mark.parametrize("name", NAMES)
def test_einsum_edge_cases(sub, name):
    for args in EDGE_CASES[name]:
        check(sub, name, args)


@pytest.mark.item("einsum_ops")
def test_einsum_trace_is_rank_0(sub):
    for x in (randn(3, 3), randn(1, 1, dtype=torch.float64)):
        outcome = sub.call("einsum_trace", x)
        got = checks.returned(outcome, f"einsum_trace of {checks.describe_shape(x)}")
        assert isinstance(got, torch.Tensor) and got.ndim == 0, (
            f"einsum_trace of {checks.describe_shape(x)} should return a rank-0 tensor, got "
            + (f"shape {tuple(got.shape)}" if isinstance(got, torch.Tensor) else type(got).__name__)
        )


# -- one einsum call and nothing else -----------------------------------------------------------


@pytest.mark.item("einsum_ops", weight=2)
@pytest.mark.parametrize("name", NAMES)
def test_einsum_is_one_einsum_call(sub, name):
    args = inputs(name, [3, 4, 2, 5, 3], rank=4)
    outcome = sub.call(name, *args)
    checks.returned(outcome, f"{name} of {checks.shapes(args)}")
    einsums = outcome.calls("einsum")
    assert einsums == 1, f"{name} should call torch.einsum exactly once, called it {einsums} times"
    others = sorted(set(outcome.trace["calls"]) - checks.QUERIES - {"einsum"})
    assert not others, (
        f"{name} should be one torch.einsum call and nothing else that computes, "
        f"but it also called {', '.join(others)}"
    )


# -- devices -------------------------------------------------------------------------------------


@pytest.mark.item("einsum_ops", weight=0.5)
@pytest.mark.parametrize("name", NAMES)
def test_einsum_keeps_the_device(sub, ref_child, record_property, name):
    checks.run_on_devices(sub, ref_child, name, inputs(name, [3, 4, 2, 5, 3], rank=3), record=record_property)
