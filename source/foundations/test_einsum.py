# Generated from autograder/public/test_einsum.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for einsum.py: seven operations as Einstein summations."""

import pytest
import torch

import einsum
import feedback


def _randn(*shape, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype)


def _check(f, *args, expected):
    got, what = feedback.run(f, *args)
    feedback.assert_close(got, expected, what, rtol=1e-4, atol=1e-4)


@pytest.mark.einsum_ops
def test_einsum_transpose():
    x = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    _check(einsum.einsum_transpose, x, expected=x.t())


@pytest.mark.einsum_ops
def test_einsum_trace_and_diagonal():
    x = torch.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    _check(einsum.einsum_trace, x, expected=torch.tensor(15.0))  # rank 0
    _check(einsum.einsum_diagonal, x, expected=torch.tensor([1.0, 5, 9]))


@pytest.mark.einsum_ops
def test_einsum_outer():
    x, y = torch.tensor([1.0, 2]), torch.tensor([1.0, 10, 100])
    _check(einsum.einsum_outer, x, y, expected=torch.outer(x, y))


@pytest.mark.einsum_ops
def test_einsum_batch_matmul():
    a, b = _randn(4, 2, 3, seed=1), _randn(4, 3, 5, seed=2)
    _check(einsum.einsum_batch_matmul, a, b, expected=torch.bmm(a, b))


@pytest.mark.einsum_ops
@pytest.mark.parametrize("shape", [(2, 3), (4, 2, 3), (2, 4, 5, 3)], ids=feedback.shape_id)
def test_einsum_batch_transpose(shape):
    x = _randn(*shape)
    _check(einsum.einsum_batch_transpose, x, expected=x.transpose(-2, -1))  # the last two dims swapped


@pytest.mark.einsum_ops
def test_einsum_bilinear():
    l, A, r = _randn(5, 3, seed=1), _randn(4, 3, 6, seed=2), _randn(5, 6, seed=3)
    _check(einsum.einsum_bilinear, l, A, r, expected=torch.nn.functional.bilinear(l, r, A))


@pytest.mark.einsum_ops
def test_einsum_keeps_float64():
    x = _randn(3, 3, dtype=torch.float64)
    for name in ["einsum_transpose", "einsum_trace", "einsum_diagonal", "einsum_batch_transpose"]:
        got, what = feedback.run(getattr(einsum, name), x)
        assert got.dtype == torch.float64, f"{what}: float64 in should give float64 out, got {got.dtype}"
