# Generated from autograder/public/test_neurons.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for neurons.py: a neuron, ReLU, dense layers and the transpose."""

import pytest
import torch
from torch.testing import assert_close

import neurons


# --- neuron -----------------------------------------------------------------


@pytest.mark.neuron
def test_neuron_weighted_sum_plus_bias():
    got = neurons.neuron([1.0, 2.0, 3.0], [0.5, -1.0, 2.0], 0.25)
    expected = 1.0 * 0.5 + 2.0 * -1.0 + 3.0 * 2.0 + 0.25
    assert got == pytest.approx(expected), f"expected {expected}, got {got!r}"
    assert isinstance(got, float), f"expected a Python float, got {type(got).__name__}"


@pytest.mark.neuron
def test_neuron_only_bias_when_weights_are_zero():
    got = neurons.neuron([4.0, -7.0], [0.0, 0.0], -1.5)
    assert got == pytest.approx(-1.5), f"expected -1.5 (the bias), got {got!r}"


@pytest.mark.neuron
def test_neuron_rejects_different_lengths():
    with pytest.raises(ValueError) as err:
        neurons.neuron([1.0, 2.0, 3.0], [1.0, 2.0], 0.0)
    msg = str(err.value)
    assert "3" in msg and "2" in msg, f"the message should name both lengths 3 and 2: {msg!r}"


# --- relu -------------------------------------------------------------------


@pytest.mark.relu
def test_relu_scalar():
    for x, expected in [(3.5, 3.5), (-2.0, 0.0), (0.0, 0.0)]:
        got = neurons.relu_scalar(x)
        assert got == expected, f"relu_scalar({x}): expected {expected}, got {got!r}"


@pytest.mark.relu
def test_relu_tensor_values():
    x = torch.tensor([10.0, 6, -4])
    assert_close(neurons.relu(x), torch.tensor([10.0, 6, 0]))


@pytest.mark.relu
def test_relu_keeps_shape_and_dtype_and_input():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 4, generator=g, dtype=torch.float64)
    before = x.clone()
    got = neurons.relu(x)
    assert got.shape == x.shape, f"expected shape {tuple(x.shape)}, got {tuple(got.shape)}"
    assert got.dtype == torch.float64, f"float64 in should give float64 out, got {got.dtype}"
    assert_close(got, torch.where(x > 0, x, torch.zeros_like(x)))
    assert_close(x, before, msg="relu must not change its input")


# --- dense ------------------------------------------------------------------


@pytest.mark.dense
def test_dense_matches_matrix_product():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5, 784, generator=g)
    w = torch.randn(10, 784, generator=g)
    b = torch.randn(10, generator=g)
    got = neurons.dense(x, w, b)
    assert got.shape == (5, 10), f"x (5, 784), w (10, 784): expected (5, 10), got {tuple(got.shape)}"
    assert_close(got, x @ w.t() + b, rtol=1e-4, atol=1e-4)


@pytest.mark.dense
def test_dense_small_example_float64():
    x = torch.tensor([[1.0, 2.0], [0.0, -1.0]], dtype=torch.float64)
    w = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]], dtype=torch.float64)
    b = torch.tensor([0.0, 10.0, 0.5], dtype=torch.float64)
    expected = torch.tensor([[1.0, 13.0, -1.5], [0.0, 9.0, 1.5]], dtype=torch.float64)
    assert_close(neurons.dense(x, w, b), expected)


# --- dense_python -----------------------------------------------------------


@pytest.mark.dense_python
def test_dense_python_small_example():
    x = [[1.0, 2.0], [0.0, -1.0]]
    w = [[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]]
    b = [0.0, 10.0, 0.5]
    got = neurons.dense_python(x, w, b)
    expected = [[1.0, 13.0, -1.5], [0.0, 9.0, 1.5]]
    assert got == expected, f"expected {expected}, got {got!r}"
    assert isinstance(got, list) and all(isinstance(row, list) for row in got), (
        f"expected a list of lists, got {type(got).__name__}"
    )


@pytest.mark.dense_python
def test_dense_python_matches_tensor_version():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 6, generator=g, dtype=torch.float64)
    w = torch.randn(3, 6, generator=g, dtype=torch.float64)
    b = torch.randn(3, generator=g, dtype=torch.float64)
    got = neurons.dense_python(x.tolist(), w.tolist(), b.tolist())
    assert len(got) == 4 and all(len(row) == 3 for row in got), (
        f"x 4 rows, w 3 neurons: expected 4 rows of 3 values, got {got!r}"
    )
    assert_close(torch.tensor(got, dtype=torch.float64), x @ w.t() + b)


# --- transpose --------------------------------------------------------------


@pytest.mark.transpose
def test_transpose_chapter_matrix():
    n = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    got = neurons.transpose(n)
    assert got.shape == (3, 2), f"(2, 3) in: expected (3, 2), got {tuple(got.shape)}"
    assert_close(got, torch.tensor([[1.0, 4], [2, 5], [3, 6]]))


@pytest.mark.transpose
def test_transpose_of_a_slice_and_twice():
    m = torch.arange(20.0).reshape(4, 5)[1:, ::2]
    got = neurons.transpose(m)
    assert_close(got, m.t())
    assert_close(neurons.transpose(got), m)


@pytest.mark.transpose
@pytest.mark.parametrize("shape", [(7,), (2, 3, 4, 5)])
def test_transpose_rejects_other_ranks(shape):
    with pytest.raises(ValueError) as err:
        neurons.transpose(torch.zeros(shape))
    msg = str(err.value)
    assert str(len(shape)) in msg, f"the message should name the rank {len(shape)}: {msg!r}"
