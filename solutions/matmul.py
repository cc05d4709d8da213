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


def _check_shapes(a: Tensor, b: Tensor) -> None:
    """Raise ValueError, naming both shapes, unless `a @ b` is a valid matrix product.

    Both must be 2-D and a row of `a` must be as long as a column of `b`.

    >>> _check_shapes(torch.ones(2, 3), torch.ones(3, 5))
    >>> _check_shapes(torch.ones(2, 3), torch.ones(4, 5))
    Traceback (most recent call last):
        ...
    ValueError: cannot multiply (2, 3) by (4, 5)
    """
    ### BEGIN SOLUTION
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"cannot multiply {tuple(a.shape)} by {tuple(b.shape)}")
    ### END SOLUTION


def matmul_loops(a: Tensor, b: Tensor) -> Tensor:
    """Multiply `a` (ar, ac) by `b` (ac, bc) with three nested Python loops.

    One scalar multiply-and-add per innermost step; no matrix-product function.

    >>> matmul_loops(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0], [4.0]]))
    tensor([[11.]])
    """
    ### BEGIN SOLUTION
    _check_shapes(a, b)
    ar, ac = a.shape
    bc = b.shape[1]
    c = a.new_zeros(ar, bc)
    for i in range(ar):
        for j in range(bc):
            for k in range(ac):
                c[i, j] += a[i, k] * b[k, j]
    return c
    ### END SOLUTION


def time_call(f: Callable[..., Any], *args: Any, number: int = 20, repeat: int = 7) -> float:
    """Return the seconds one call `f(*args)` takes, measured like `%timeit`.

    Runs `repeat` rounds of `number` calls, divides each round's wall-clock time
    by `number` and returns the median of the rounds, so `f` is called exactly
    `number * repeat` times.

    >>> isinstance(time_call(sum, [1, 2, 3], number=5, repeat=3), float)
    True
    """
    ### BEGIN SOLUTION
    if number < 1 or repeat < 1:
        raise ValueError(f"number and repeat must be at least 1, got {number} and {repeat}")
    per_call = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            f(*args)
        per_call.append((time.perf_counter() - start) / number)
    return statistics.median(per_call)
    ### END SOLUTION


def matmul_elementwise(a: Tensor, b: Tensor) -> Tensor:
    """Multiply `a` by `b` with two Python loops; each element is one elementwise product and sum.

    >>> matmul_elementwise(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0], [4.0]]))
    tensor([[11.]])
    """
    ### BEGIN SOLUTION
    _check_shapes(a, b)
    ar, bc = a.shape[0], b.shape[1]
    c = a.new_zeros(ar, bc)
    for i in range(ar):
        for j in range(bc):
            c[i, j] = (a[i] * b[:, j]).sum()
    return c
    ### END SOLUTION


def matmul_broadcast(a: Tensor, b: Tensor) -> Tensor:
    """Multiply `a` by `b` with one Python loop over rows; broadcasting does each whole row.

    >>> matmul_broadcast(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 0.0], [4.0, 1.0]]))
    tensor([[11.,  2.]])
    """
    ### BEGIN SOLUTION
    _check_shapes(a, b)
    ar, bc = a.shape[0], b.shape[1]
    c = a.new_zeros(ar, bc)
    for i in range(ar):
        # (ac, 1) * (ac, bc) broadcasts to (ac, bc); summing over ac gives row i.
        c[i] = (a[i][:, None] * b).sum(dim=0)
    return c
    ### END SOLUTION


def matmul_einsum(a: Tensor, b: Tensor) -> Tensor:
    """Multiply `a` by `b` with a single Einstein summation.

    >>> matmul_einsum(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0], [4.0]]))
    tensor([[11.]])
    """
    ### BEGIN SOLUTION
    _check_shapes(a, b)
    return torch.einsum("ik,kj->ij", a, b)
    ### END SOLUTION
