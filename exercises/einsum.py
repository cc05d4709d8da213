# Your exercise file for `einsum` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""Einstein summation.

`torch.einsum` describes a product by the letters of its indices: a letter
shared by inputs is multiplied along, a letter left out of the output is summed
away, and the output's letters give its dimension order. Each function here is
one einsum call.
"""

from __future__ import annotations

import torch
from torch import Tensor


# Item einsum_ops (Q24, Q25, 4 points): Einstein summation
# Express seven operations as one einsum each. A letter repeated across
# inputs is multiplied; a letter missing from the output is summed; the
# output's letter order is its dimension order.
# Check it with: pytest exercises -m einsum_ops

def einsum_transpose(x: Tensor) -> Tensor:
    """Return the transpose of the 2-D tensor `x`.

    >>> einsum_transpose(torch.tensor([[1, 2, 3], [4, 5, 6]]))
    tensor([[1, 4],
            [2, 5],
            [3, 6]])
    """
    raise NotImplementedError("einsum_ops: not implemented yet")


def einsum_trace(x: Tensor) -> Tensor:
    """Return the sum of the diagonal of the square matrix `x`, as a rank-0 tensor.

    >>> einsum_trace(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor(5.)
    """
    raise NotImplementedError("einsum_ops: not implemented yet")


def einsum_diagonal(x: Tensor) -> Tensor:
    """Return the diagonal of the square matrix `x` as a vector.

    >>> einsum_diagonal(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([1., 4.])
    """
    raise NotImplementedError("einsum_ops: not implemented yet")


def einsum_outer(x: Tensor, y: Tensor) -> Tensor:
    """Return the outer product of the vectors `x` (n,) and `y` (m,): an (n, m) matrix.

    >>> einsum_outer(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 10.0, 100.0]))
    tensor([[  1.,  10., 100.],
            [  2.,  20., 200.]])
    """
    raise NotImplementedError("einsum_ops: not implemented yet")


def einsum_batch_matmul(a: Tensor, b: Tensor) -> Tensor:
    """Multiply matching matrices of two batches: `a` (b, i, j) by `b` (b, j, k) gives (b, i, k).

    >>> einsum_batch_matmul(torch.ones(4, 2, 3), torch.ones(4, 3, 5)).shape
    torch.Size([4, 2, 5])
    """
    raise NotImplementedError("einsum_ops: not implemented yet")


def einsum_batch_transpose(x: Tensor) -> Tensor:
    """Swap the last two dimensions of `x`, which has any rank of at least 2.

    >>> einsum_batch_transpose(torch.ones(4, 5, 2, 3)).shape
    torch.Size([4, 5, 3, 2])
    """
    raise NotImplementedError("einsum_ops: not implemented yet")


def einsum_bilinear(l: Tensor, A: Tensor, r: Tensor) -> Tensor:
    """Return the bilinear form `l[b] @ A[a] @ r[b]` for every batch row b and output a.

    `l` is (b, n), `A` (a, n, m) and `r` (b, m); the result is (b, a), equal to
    `nn.functional.bilinear(l, r, A)` without a bias.

    >>> einsum_bilinear(torch.ones(2, 3), torch.ones(4, 3, 5), torch.ones(2, 5))
    tensor([[15., 15., 15., 15.],
            [15., 15., 15., 15.]])
    """
    raise NotImplementedError("einsum_ops: not implemented yet")
