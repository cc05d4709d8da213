# Generated from autograder/public/test_einsum.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for einsum.py: seven operations as Einstein summations."""

import pytest
import torch
from torch.testing import assert_close

import einsum


def _randn(*shape, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype)


def _check(got, expected, what):
    assert got.shape == expected.shape, (
        f"{what}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
    )
    assert_close(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.einsum_ops
def test_einsum_transpose():
    x = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    _check(einsum.einsum_transpose(x), x.t(), "transpose of (2, 3)")


@pytest.mark.einsum_ops
def test_einsum_trace_and_diagonal():
    x = torch.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    got = einsum.einsum_trace(x)
    assert got.ndim == 0, f"the trace is rank 0, got shape {tuple(got.shape)}"
    _check(got, torch.tensor(15.0), "trace of (3, 3)")
    _check(einsum.einsum_diagonal(x), torch.tensor([1.0, 5, 9]), "diagonal of (3, 3)")


@pytest.mark.einsum_ops
def test_einsum_outer():
    x, y = torch.tensor([1.0, 2]), torch.tensor([1.0, 10, 100])
    _check(einsum.einsum_outer(x, y), torch.outer(x, y), "outer of (2,) and (3,)")


@pytest.mark.einsum_ops
def test_einsum_batch_matmul():
    a, b = _randn(4, 2, 3, seed=1), _randn(4, 3, 5, seed=2)
    _check(einsum.einsum_batch_matmul(a, b), torch.bmm(a, b), "(4, 2, 3) by (4, 3, 5)")


@pytest.mark.einsum_ops
@pytest.mark.parametrize("shape", [(2, 3), (4, 2, 3), (2, 4, 5, 3)])
def test_einsum_batch_transpose(shape):
    x = _randn(*shape)
    _check(einsum.einsum_batch_transpose(x), x.transpose(-2, -1), f"last two dims of {shape}")


@pytest.mark.einsum_ops
def test_einsum_bilinear():
    l, A, r = _randn(5, 3, seed=1), _randn(4, 3, 6, seed=2), _randn(5, 6, seed=3)
    expected = torch.nn.functional.bilinear(l, r, A)
    _check(einsum.einsum_bilinear(l, A, r), expected, "l (5, 3), A (4, 3, 6), r (5, 6)")


@pytest.mark.einsum_ops
def test_einsum_keeps_float64():
    x = _randn(3, 3, dtype=torch.float64)
    for name in ["einsum_transpose", "einsum_trace", "einsum_diagonal", "einsum_batch_transpose"]:
        got = getattr(einsum, name)(x)
        assert got.dtype == torch.float64, f"{name}: float64 in should give float64 out, got {got.dtype}"
