# Your exercise file for `loss` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""The loss: mean squared error on a column of predictions.

The model's output is a column (n, 1) while the targets are a vector (n,).
Subtracting one from the other as they are would broadcast to an (n, n)
matrix, so the output's last dimension has to go first.
"""

import torch
from torch import Tensor


# Item mse (Q31, 2 points): Mean squared error
# The loss: the mean of the squared differences between output and target.
# The output comes as a column (n, 1) and must be squeezed to (n,) first, or
# broadcasting builds an (n, n) matrix.
# Check it with: pytest exercises -m mse

def mse(output: Tensor, targ: Tensor) -> Tensor:
    """Mean squared error between ``output`` ((n, 1) or (n,)) and ``targ`` (n,).

    Returns a rank-0 tensor. Raises ValueError when the batch sizes differ.

    >>> mse(torch.tensor([[1.], [3.]]), torch.tensor([0., 1.]))
    tensor(2.5000)
    >>> mse(torch.tensor([[2.]]), torch.tensor([5.]))
    tensor(9.)
    """
    raise NotImplementedError("mse: not implemented yet")


# Item squeeze_last (Q32, 1 points): squeeze with an argument
# Remove the last dimension only when its size is 1. Without the argument,
# `squeeze` would also remove a batch dimension of size 1.
# Check it with: pytest exercises -m squeeze_last

def squeeze_last(t: Tensor) -> Tensor:
    """Drop the last dimension of ``t`` if its size is 1, and only that one.

    >>> squeeze_last(torch.zeros(1, 1)).shape
    torch.Size([1])
    >>> squeeze_last(torch.zeros(4, 1)).shape
    torch.Size([4])
    >>> squeeze_last(torch.zeros(4, 3)).shape
    torch.Size([4, 3])
    """
    raise NotImplementedError("squeeze_last: not implemented yet")
