# Your exercise file for `broadcasting` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""Elementwise arithmetic and broadcasting.

Operators on tensors of the same shape work element by element; broadcasting
stretches a smaller tensor over a larger one without copying it, by giving the
stretched dimensions a stride of 0. This module compares elements, applies the
broadcasting rules by hand and looks at the memory behind broadcast tensors.
"""

from __future__ import annotations

import torch
from torch import Tensor


# Item all_greater (Q11, 1 points): Comparing every element
# Decide whether every element of `a` is greater than the matching element of
# `b`, and return a plain Python bool.
# Check it with: pytest exercises -m all_greater

def all_greater(a: Tensor, b: Tensor) -> bool:
    """Return True, as a Python bool, when every element of `a` exceeds the matching one of `b`.

    >>> a, b = torch.tensor([10.0, 6, -4]), torch.tensor([2.0, 8, 7])
    >>> all_greater(a, b), all_greater(a, b - 20)
    (False, True)
    """
    raise NotImplementedError("all_greater: not implemented yet")


# Item to_python (Q12, 1 points): Rank-0 tensors
# A rank-0 tensor holds one number and has no dimensions. Return its value as
# a plain Python number, and refuse tensors of any other rank.
# Check it with: pytest exercises -m to_python

def to_python(t: Tensor) -> int | float | bool:
    """Return the plain Python number held by the rank-0 tensor `t`.

    Raise ValueError, naming the rank, for a tensor of any other rank.

    >>> to_python(torch.tensor(2.5)), to_python(torch.tensor(7))
    (2.5, 7)
    """
    raise NotImplementedError("to_python: not implemented yet")


# Item broadcast_shape (Q13, Q14, Q16, 3 points): The broadcasting rules
# Compute the shape two shapes broadcast to, by the rules alone: align from
# the right, missing dimensions count as 1, sizes must be equal or one of
# them 1.
# Check it with: pytest exercises -m broadcast_shape

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
    raise NotImplementedError("broadcast_shape: not implemented yet")


# Item expand_like (Q17, 2 points): expand_as without copying
# Show what broadcasting does behind the scenes: return `c` stretched to
# `m`'s shape as a view that shares `c`'s memory.
# Check it with: pytest exercises -m expand_like

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
    raise NotImplementedError("expand_like: not implemented yet")


# Item as_column (Q18, Q19, 2 points): unsqueeze and None indexing
# Turn a vector of length n into an (n, 1) column view, once with `unsqueeze`
# and once with indexing by `None`.
# Check it with: pytest exercises -m as_column

def as_column(c: Tensor) -> Tensor:
    """Return the vector `c` of length n as an (n, 1) view, using `unsqueeze`.

    >>> as_column(torch.tensor([10.0, 20, 30])).shape
    torch.Size([3, 1])
    """
    raise NotImplementedError("as_column: not implemented yet")


def as_column_indexing(c: Tensor) -> Tensor:
    """Return the vector `c` of length n as an (n, 1) view, indexing with `None`.

    >>> as_column_indexing(torch.tensor([10.0, 20, 30])).shape
    torch.Size([3, 1])
    """
    raise NotImplementedError("as_column: not implemented yet")


# Item storage_values (Q20, 2 points): What is really in memory
# List the numbers stored in the memory behind a tensor, which can be far
# fewer (an expanded tensor) or more (a slice) than the tensor shows.
# Check it with: pytest exercises -m storage_values

def storage_values(t: Tensor) -> list:
    """Return every element of the storage behind `t`, in storage order, as Python numbers.

    That is what is really in memory, whatever `t`'s shape, strides and offset.

    >>> storage_values(torch.tensor([10.0, 20, 30]).expand(3, 3))
    [10.0, 20.0, 30.0]
    >>> storage_values(torch.arange(6)[2:4])
    [0, 1, 2, 3, 4, 5]
    """
    raise NotImplementedError("storage_values: not implemented yet")


# Item add_vector (Q21, 2 points): Rows or columns?
# Adding a vector to a matrix broadcasts it along the rows by default. Add it
# to every row or to every column, as asked.
# Check it with: pytest exercises -m add_vector

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
    raise NotImplementedError("add_vector: not implemented yet")


# Item memory_footprint (Q22, 2 points): Does broadcasting cost memory?
# Report how many bytes of storage actually back a tensor. An expanded tensor
# shows many elements but keeps only the original ones in memory.
# Check it with: pytest exercises -m memory_footprint

def memory_footprint(t: Tensor) -> int:
    """Return the number of bytes of storage that actually back `t`.

    >>> memory_footprint(torch.tensor([10.0, 20, 30]).expand(3, 3))
    12
    """
    raise NotImplementedError("memory_footprint: not implemented yet")
