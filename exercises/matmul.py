# Your exercise file for `matmul` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""Matrix multiplication four ways.

The same product written four times, each faster than the last: three Python
loops, then elementwise arithmetic for the innermost loop, then broadcasting for
a whole row at once, and finally a single Einstein summation. A small timer
makes the difference visible.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor


# Item matmul_shapes (Q8, 2 points): Why the inner sizes must match
# Each result element pairs a row of `a` with a column of `b`, so a row's
# length (ac) must equal a column's length (br). All four matmul variants
# raise ValueError, naming both shapes, when they do not or an input is not
# 2-D.
# Check it with: pytest exercises -m matmul_shapes

def _check_shapes(a: Tensor, b: Tensor) -> None:
    """Raise ValueError, naming both shapes, unless `a @ b` is a valid matrix product.

    Both must be 2-D and a row of `a` must be as long as a column of `b`.

    >>> _check_shapes(torch.ones(2, 3), torch.ones(3, 5))
    >>> _check_shapes(torch.ones(2, 3), torch.ones(4, 5))
    Traceback (most recent call last):
        ...
    ValueError: cannot multiply (2, 3) by (4, 5)
    """
    raise NotImplementedError("matmul_shapes: not implemented yet")


# Item matmul_loops (Q7, 3 points): Matrix product with three loops
# Multiply two matrices the slow way: a loop over rows, a loop over columns
# and a loop over the shared dimension, one scalar product per step. Feel how
# slow Python is when every multiply is a separate interpreted step.
# Check it with: pytest exercises -m matmul_loops

def matmul_loops(a: Tensor, b: Tensor) -> Tensor:
    """Multiply `a` (ar, ac) by `b` (ac, bc) with three nested Python loops.

    One scalar multiply-and-add per innermost step; no matrix-product function.

    >>> matmul_loops(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0], [4.0]]))
    tensor([[11.]])
    """
    raise NotImplementedError("matmul_loops: not implemented yet")


# Item time_call (Q9, 2 points): Timing like %timeit
# Jupyter's `%time` and `%timeit` measure a cell. Write the function version:
# `repeat` rounds of `number` calls, and the median time per call.
# Check it with: pytest exercises -m time_call

def time_call(f: Callable[..., Any], *args: Any, number: int = 20, repeat: int = 7) -> float:
    """Return the seconds one call `f(*args)` takes, measured like `%timeit`.

    Runs `repeat` rounds of `number` calls, divides each round's wall-clock time
    by `number` and returns the median of the rounds, so `f` is called exactly
    `number * repeat` times.

    >>> isinstance(time_call(sum, [1, 2, 3], number=5, repeat=3), float)
    True
    """
    raise NotImplementedError("time_call: not implemented yet")


# Item matmul_elementwise (Q10, Q15, 3 points): Matrix product with elementwise arithmetic
# Replace the innermost loop with one elementwise product of a row of `a` and
# a column of `b`, summed in C instead of in Python.
# Check it with: pytest exercises -m matmul_elementwise

def matmul_elementwise(a: Tensor, b: Tensor) -> Tensor:
    """Multiply `a` by `b` with two Python loops; each element is one elementwise product and sum.

    >>> matmul_elementwise(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0], [4.0]]))
    tensor([[11.]])
    """
    raise NotImplementedError("matmul_elementwise: not implemented yet")


# Item matmul_broadcast (Q17, Q18, 3 points): Matrix product with broadcasting
# Compute a whole row of the result at once: turn row i of `a` into a column,
# let broadcasting multiply it against every column of `b`, and sum.
# Check it with: pytest exercises -m matmul_broadcast

def matmul_broadcast(a: Tensor, b: Tensor) -> Tensor:
    """Multiply `a` by `b` with one Python loop over rows; broadcasting does each whole row.

    >>> matmul_broadcast(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 0.0], [4.0, 1.0]]))
    tensor([[11.,  2.]])
    """
    raise NotImplementedError("matmul_broadcast: not implemented yet")


# Item matmul_einsum (Q23, 2 points): Matrix product with einsum
# Write the matrix product as a single Einstein summation: the shared index
# is summed away, the others make the result.
# Check it with: pytest exercises -m matmul_einsum

def matmul_einsum(a: Tensor, b: Tensor) -> Tensor:
    """Multiply `a` by `b` with a single Einstein summation.

    >>> matmul_einsum(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0], [4.0]]))
    tensor([[11.]])
    """
    raise NotImplementedError("matmul_einsum: not implemented yet")
