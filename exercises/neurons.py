# Your exercise file for `neurons` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""Building a layer from scratch.

A neuron is a weighted sum of its inputs plus a bias; a ReLU keeps the positive
part of a number; a dense layer is many neurons applied to many inputs, which is
one matrix product. This module writes each of them by hand, first in plain
Python and then with tensors, and looks at what transposing a matrix really does.
"""

from __future__ import annotations

import torch
from torch import Tensor


# Item neuron (Q1, 2 points): A single neuron
# A neuron multiplies each input by its own weight, adds the products up and
# adds a bias. Write it in plain Python for lists of floats.
# Check it with: pytest exercises -m neuron

def neuron(inputs: list[float], weights: list[float], bias: float) -> float:
    """Return the output of one neuron: each input times its weight, summed, plus the bias.

    Plain Python only. Raise ValueError when there are not as many weights as
    inputs.

    >>> neuron([1.0, 2.0, 3.0], [0.5, -1.0, 2.0], 0.25)
    4.75
    """
    raise NotImplementedError("neuron: not implemented yet")


# Item relu (Q2, 2 points): The rectified linear unit
# ReLU keeps positive values and replaces negative ones with zero. Write it
# once for a Python float and once for a whole tensor, without PyTorch's own
# relu. The tensor version works on the whole tensor at once: it is timed
# against a Python loop over rows and must be clearly faster.
# Check it with: pytest exercises -m relu

def relu_scalar(x: float) -> float:
    """Return `x` when it is zero or positive, and 0.0 when it is negative (plain Python).

    >>> relu_scalar(2.5), relu_scalar(-3.0)
    (2.5, 0.0)
    """
    raise NotImplementedError("relu: not implemented yet")


def relu(x: Tensor) -> Tensor:
    """Return a new tensor with every negative element of `x` replaced by zero.

    Works for any shape, keeps the dtype and device, leaves `x` unchanged, and
    does not use PyTorch's own relu.

    >>> relu(torch.tensor([-1.0, 0.0, 2.0]))
    tensor([0., 0., 2.])
    """
    raise NotImplementedError("relu: not implemented yet")


# Item dense (Q3, 2 points): A dense layer as a matrix product
# A dense (linear) layer is every neuron of the layer applied to every input
# row at once: one matrix product with the transposed weights, plus the bias.
# It is timed against a Python loop over rows and must be clearly faster.
# Check it with: pytest exercises -m dense

def dense(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """Apply a dense layer to a batch: `x` (batch, n_in), `w` (n_out, n_in), `b` (n_out,).

    Every row of `w` is one neuron; the result (batch, n_out) holds every
    neuron's output for every input row. No Python loop.

    >>> x = torch.tensor([[1.0, 2.0]])
    >>> w = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
    >>> dense(x, w, torch.tensor([0.0, 10.0, 0.5]))
    tensor([[ 1.0000, 13.0000, -1.5000]])
    """
    raise NotImplementedError("dense: not implemented yet")


# Item dense_python (Q4, 2 points): A dense layer in plain Python
# The same dense layer on nested lists: one neuron per row of `w`, applied to
# every row of `x`, with list comprehensions and built-ins only.
# Check it with: pytest exercises -m dense_python

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
    raise NotImplementedError("dense_python: not implemented yet")


# Item transpose (Q6, 2 points): What `t` does
# `m.t()` swaps rows and columns. Build the transpose of a 2-D tensor
# yourself, without any of PyTorch's transpose or permute functions.
# Check it with: pytest exercises -m transpose

def transpose(m: Tensor) -> Tensor:
    """Return the transpose of the 2-D tensor `m`: element (i, j) of the result is `m[j, i]`.

    No transpose, permute or einsum. Raise ValueError when `m` is not 2-D.

    >>> transpose(torch.tensor([[1, 2, 3], [4, 5, 6]]))
    tensor([[1, 4],
            [2, 5],
            [3, 6]])
    """
    raise NotImplementedError("transpose: not implemented yet")
