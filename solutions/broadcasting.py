"""Elementwise arithmetic and broadcasting.

Operators on tensors of the same shape work element by element; broadcasting
stretches a smaller tensor over a larger one without copying it, by giving the
stretched dimensions a stride of 0. This module compares elements, applies the
broadcasting rules by hand and looks at the memory behind broadcast tensors.
"""

from __future__ import annotations

import torch
from torch import Tensor


def all_greater(a: Tensor, b: Tensor) -> bool:
    """Return True, as a Python bool, when every element of `a` exceeds the matching one of `b`.

    >>> a, b = torch.tensor([10.0, 6, -4]), torch.tensor([2.0, 8, 7])
    >>> all_greater(a, b), all_greater(a, b - 20)
    (False, True)
    """
    ### BEGIN SOLUTION
    return bool((a > b).all().item())
    ### END SOLUTION


def to_python(t: Tensor) -> int | float | bool:
    """Return the plain Python number held by the rank-0 tensor `t`.

    Raise ValueError, naming the rank, for a tensor of any other rank.

    >>> to_python(torch.tensor(2.5)), to_python(torch.tensor(7))
    (2.5, 7)
    """
    ### BEGIN SOLUTION
    if t.ndim != 0:
        raise ValueError(f"expected a rank-0 tensor, got rank {t.ndim} with shape {tuple(t.shape)}")
    return t.item()
    ### END SOLUTION


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """Return the shape that tensors of shapes `a` and `b` broadcast to, in plain Python.

    Shapes are aligned from the right, missing dimensions count as 1, and each
    pair of sizes must be equal or contain a 1. Raise ValueError naming the
    clashing sizes otherwise.

    >>> broadcast_shape((3, 3), (3,))
    (3, 3)
    >>> broadcast_shape((8, 1, 6), (7, 1))
    (8, 7, 6)
    """
    ### BEGIN SOLUTION
    n = max(len(a), len(b))
    padded_a = (1,) * (n - len(a)) + tuple(a)
    padded_b = (1,) * (n - len(b)) + tuple(b)
    result = []
    for dim, (x, y) in enumerate(zip(padded_a, padded_b), start=-n):
        if x == y or y == 1:
            result.append(x)
        elif x == 1:
            result.append(y)
        else:
            raise ValueError(
                f"shapes {tuple(a)} and {tuple(b)} do not broadcast: "
                f"sizes {x} and {y} clash at dimension {dim}"
            )
    return tuple(result)
    ### END SOLUTION


def expand_like(c: Tensor, m: Tensor) -> Tensor:
    """Return `c` expanded to `m.shape` as a view that shares `c`'s memory.

    The expanded dimensions get stride 0. Raise ValueError, naming both shapes,
    when `c` cannot be broadcast to `m.shape`.

    >>> c = torch.tensor([10.0, 20, 30])
    >>> t = expand_like(c, torch.zeros(2, 3))
    >>> t
    tensor([[10., 20., 30.],
            [10., 20., 30.]])
    >>> t.stride()
    (0, 1)
    """
    ### BEGIN SOLUTION
    fits = c.ndim <= m.ndim and all(
        size in (1, target) for size, target in zip(reversed(c.shape), reversed(m.shape))
    )
    if not fits:
        raise ValueError(f"cannot expand shape {tuple(c.shape)} to {tuple(m.shape)}")
    return c.expand_as(m)
    ### END SOLUTION


def as_column(c: Tensor) -> Tensor:
    """Return the vector `c` of length n as an (n, 1) view, using `unsqueeze`.

    >>> as_column(torch.tensor([10.0, 20, 30])).shape
    torch.Size([3, 1])
    """
    ### BEGIN SOLUTION
    return c.unsqueeze(1)
    ### END SOLUTION


def as_column_indexing(c: Tensor) -> Tensor:
    """Return the vector `c` of length n as an (n, 1) view, indexing with `None`.

    >>> as_column_indexing(torch.tensor([10.0, 20, 30])).shape
    torch.Size([3, 1])
    """
    ### BEGIN SOLUTION
    return c[:, None]
    ### END SOLUTION


def storage_values(t: Tensor) -> list:
    """Return every element of the storage behind `t`, in storage order, as Python numbers.

    That is what is really in memory, whatever `t`'s shape, strides and offset.

    >>> storage_values(torch.tensor([10.0, 20, 30]).expand(3, 3))
    [10.0, 20.0, 30.0]
    >>> storage_values(torch.arange(6)[2:4])
    [0, 1, 2, 3, 4, 5]
    """
    ### BEGIN SOLUTION
    whole = t.new_empty(0).set_(t.untyped_storage())
    return whole.tolist()
    ### END SOLUTION


def add_vector(m: Tensor, c: Tensor, along: str) -> Tensor:
    """Add the vector `c` to the matrix `m` along "rows" or "columns".

    `along="rows"` adds `c` to every row (`len(c) == m.shape[1]`);
    `along="columns"` adds `c` to every column (`len(c) == m.shape[0]`).
    Raise ValueError for any other `along` or a vector of the wrong length.

    >>> m = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    >>> add_vector(m, torch.tensor([10.0, 20, 30]), "rows")
    tensor([[11., 22., 33.],
            [14., 25., 36.]])
    >>> add_vector(m, torch.tensor([10.0, 20]), "columns")
    tensor([[11., 12., 13.],
            [24., 25., 26.]])
    """
    ### BEGIN SOLUTION
    if along not in ("rows", "columns"):
        raise ValueError(f"along must be 'rows' or 'columns', got {along!r}")
    n = m.shape[1] if along == "rows" else m.shape[0]
    if tuple(c.shape) != (n,):
        raise ValueError(
            f"along={along!r} needs a vector of length {n} for a matrix of shape "
            f"{tuple(m.shape)}, got shape {tuple(c.shape)}"
        )
    return m + c if along == "rows" else m + c[:, None]
    ### END SOLUTION


def memory_footprint(t: Tensor) -> int:
    """Return the number of bytes of storage that actually back `t`.

    >>> memory_footprint(torch.tensor([10.0, 20, 30]).expand(3, 3))
    12
    """
    ### BEGIN SOLUTION
    return t.untyped_storage().nbytes()
    ### END SOLUTION
