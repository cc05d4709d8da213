"""Building a layer from scratch.

A neuron is a weighted sum of its inputs plus a bias; a ReLU keeps the positive
part of a number; a dense layer is many neurons applied to many inputs, which is
one matrix product. This module writes each of them by hand, first in plain
Python and then with tensors, and looks at what transposing a matrix really does.
"""

from __future__ import annotations

import torch
from torch import Tensor


def neuron(inputs: list[float], weights: list[float], bias: float) -> float:
    """Return the output of one neuron: each input times its weight, summed, plus the bias.

    Plain Python only. Raise ValueError when there are not as many weights as
    inputs.

    >>> neuron([1.0, 2.0, 3.0], [0.5, -1.0, 2.0], 0.25)
    4.75
    """
    ### BEGIN SOLUTION
    if len(inputs) != len(weights):
        raise ValueError(f"got {len(inputs)} inputs but {len(weights)} weights")
    return float(sum(x * w for x, w in zip(inputs, weights)) + bias)
    ### END SOLUTION


def relu_scalar(x: float) -> float:
    """Return `x` when it is zero or positive, and 0.0 when it is negative (plain Python).

    >>> relu_scalar(2.5), relu_scalar(-3.0)
    (2.5, 0.0)
    """
    ### BEGIN SOLUTION
    return x if x >= 0 else 0.0
    ### END SOLUTION


def relu(x: Tensor) -> Tensor:
    """Return a new tensor with every negative element of `x` replaced by zero.

    Works for any shape, keeps the dtype and device, leaves `x` unchanged, and
    does not use PyTorch's own relu.

    >>> relu(torch.tensor([-1.0, 0.0, 2.0]))
    tensor([0., 0., 2.])
    """
    ### BEGIN SOLUTION
    return x.clamp_min(0.0)
    ### END SOLUTION


def dense(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """Apply a dense layer to a batch: `x` (batch, n_in), `w` (n_out, n_in), `b` (n_out,).

    Every row of `w` is one neuron; the result (batch, n_out) holds every
    neuron's output for every input row. No Python loop.

    >>> x = torch.tensor([[1.0, 2.0]])
    >>> w = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
    >>> dense(x, w, torch.tensor([0.0, 10.0, 0.5]))
    tensor([[ 1.0000, 13.0000, -1.5000]])
    """
    ### BEGIN SOLUTION
    return x @ w.t() + b
    ### END SOLUTION


def dense_python(
    x: list[list[float]], w: list[list[float]], b: list[float]
) -> list[list[float]]:
    """The dense layer of `dense` on nested lists, with built-ins only (no torch).

    `x` has one list per input row, `w` one list of weights per neuron and `b`
    one bias per neuron; the result has one list per input row with one value
    per neuron.

    >>> dense_python([[1.0, 2.0]], [[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]], [0.0, 10.0, 0.5])
    [[1.0, 13.0, -1.5]]
    """
    ### BEGIN SOLUTION
    return [
        [sum(xi * wi for xi, wi in zip(row, weights)) + bias for weights, bias in zip(w, b)]
        for row in x
    ]
    ### END SOLUTION


def transpose(m: Tensor) -> Tensor:
    """Return the transpose of the 2-D tensor `m`: element (i, j) of the result is `m[j, i]`.

    No transpose, permute or einsum. Raise ValueError when `m` is not 2-D.

    >>> transpose(torch.tensor([[1, 2, 3], [4, 5, 6]]))
    tensor([[1, 4],
            [2, 5],
            [3, 6]])
    """
    ### BEGIN SOLUTION
    if m.ndim != 2:
        raise ValueError(f"expected a 2-D tensor, got {m.ndim}-D with shape {tuple(m.shape)}")
    rows, cols = m.shape
    # Same memory, read with the two strides swapped: no element is copied.
    return m.as_strided((cols, rows), (m.stride(1), m.stride(0)), m.storage_offset())
    ### END SOLUTION
