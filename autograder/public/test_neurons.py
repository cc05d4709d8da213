"""Public tests for neurons.py: a neuron, ReLU, dense layers and the transpose."""

import pytest
import torch

import feedback
import neurons


# --- neuron -----------------------------------------------------------------


@pytest.mark.neuron
def test_neuron_weighted_sum_plus_bias():
    got, what = feedback.run(neurons.neuron, [1.0, 2.0, 3.0], [0.5, -1.0, 2.0], 0.25)
    expected = 1.0 * 0.5 + 2.0 * -1.0 + 3.0 * 2.0 + 0.25
    assert got == pytest.approx(expected), f"{what} returned {got!r}, expected {expected}"
    assert isinstance(got, float), f"{what} returned a {type(got).__name__}, expected a Python float"


@pytest.mark.neuron
def test_neuron_only_bias_when_weights_are_zero():
    got, what = feedback.run(neurons.neuron, [4.0, -7.0], [0.0, 0.0], -1.5)
    assert got == pytest.approx(-1.5), f"{what} returned {got!r}, expected -1.5 (the bias)"


@pytest.mark.neuron
def test_neuron_rejects_different_lengths():
    feedback.assert_raises(ValueError, "there are 3 inputs but 2 weights", neurons.neuron,
                           [1.0, 2.0, 3.0], [1.0, 2.0], 0.0, mentions=(3, 2))


# --- relu -------------------------------------------------------------------


@pytest.mark.relu
def test_relu_scalar():
    for x, expected in [(3.5, 3.5), (-2.0, 0.0), (0.0, 0.0)]:
        got, what = feedback.run(neurons.relu_scalar, x)
        assert got == expected, f"{what} returned {got!r}, expected {expected}"


@pytest.mark.relu
def test_relu_tensor_values():
    x = torch.tensor([10.0, 6, -4])
    got, what = feedback.run(neurons.relu, x)
    feedback.assert_close(got, torch.tensor([10.0, 6, 0]), what)


@pytest.mark.relu
def test_relu_keeps_shape_and_dtype_and_input():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 4, generator=g, dtype=torch.float64)
    before = x.clone()
    got, what = feedback.run(neurons.relu, x)
    feedback.assert_unchanged(x, before, what)
    # float64 in gives float64 out, in the input's shape
    feedback.assert_close(got, torch.where(x > 0, x, torch.zeros_like(x)), what)


# --- dense ------------------------------------------------------------------


@pytest.mark.dense
def test_dense_matches_matrix_product():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5, 784, generator=g)
    w = torch.randn(10, 784, generator=g)
    b = torch.randn(10, generator=g)
    got, what = feedback.run(neurons.dense, x, w, b)
    feedback.assert_close(got, x @ w.t() + b, what, rtol=1e-4, atol=1e-4)


@pytest.mark.dense
def test_dense_small_example_float64():
    x = torch.tensor([[1.0, 2.0], [0.0, -1.0]], dtype=torch.float64)
    w = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]], dtype=torch.float64)
    b = torch.tensor([0.0, 10.0, 0.5], dtype=torch.float64)
    expected = torch.tensor([[1.0, 13.0, -1.5], [0.0, 9.0, 1.5]], dtype=torch.float64)
    got, what = feedback.run(neurons.dense, x, w, b)
    feedback.assert_close(got, expected, what)


# --- dense_python -----------------------------------------------------------


@pytest.mark.dense_python
def test_dense_python_small_example():
    x = [[1.0, 2.0], [0.0, -1.0]]
    w = [[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]]
    b = [0.0, 10.0, 0.5]
    got, what = feedback.run(neurons.dense_python, x, w, b)
    expected = [[1.0, 13.0, -1.5], [0.0, 9.0, 1.5]]
    assert isinstance(got, list) and all(isinstance(row, list) for row in got), (
        f"{what} returned {got!r}, expected a list of lists"
    )
    assert got == expected, f"{what} returned {got!r}, expected {expected}"


@pytest.mark.dense_python
def test_dense_python_matches_tensor_version():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 6, generator=g, dtype=torch.float64)
    w = torch.randn(3, 6, generator=g, dtype=torch.float64)
    b = torch.randn(3, generator=g, dtype=torch.float64)
    got, what = feedback.run(neurons.dense_python, x.tolist(), w.tolist(), b.tolist())
    assert len(got) == 4 and all(len(row) == 3 for row in got), (
        f"{what}: x has 4 rows and w 3 neurons, so expected 4 rows of 3 values, got {got!r}"
    )
    feedback.assert_close(torch.tensor(got, dtype=torch.float64), x @ w.t() + b, what)


# --- transpose --------------------------------------------------------------


@pytest.mark.transpose
def test_transpose_chapter_matrix():
    n = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    got, what = feedback.run(neurons.transpose, n)
    feedback.assert_close(got, torch.tensor([[1.0, 4], [2, 5], [3, 6]]), what)


@pytest.mark.transpose
def test_transpose_of_a_slice_and_twice():
    m = torch.arange(20.0).reshape(4, 5)[1:, ::2]
    got, what = feedback.run(neurons.transpose, m)
    feedback.assert_close(got, m.t(), what)
    again, what = feedback.run(neurons.transpose, got)  # transposing back
    feedback.assert_close(again, m, what)


@pytest.mark.transpose
@pytest.mark.parametrize("shape", [(7,), (2, 3, 4, 5)], ids=feedback.shape_id)
def test_transpose_rejects_other_ranks(shape):
    feedback.assert_raises(ValueError, f"m is {len(shape)}-D, not 2-D", neurons.transpose, torch.zeros(shape),
                           mentions=(len(shape),))
