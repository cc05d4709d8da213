"""The loss: mean squared error on a column of predictions.

The model's output is a column (n, 1) while the targets are a vector (n,).
Subtracting one from the other as they are would broadcast to an (n, n)
matrix, so the output's last dimension has to go first.
"""

import torch
from torch import Tensor


def mse(output: Tensor, targ: Tensor) -> Tensor:
    """Mean squared error between ``output`` ((n, 1) or (n,)) and ``targ`` (n,).

    Returns a rank-0 tensor. Raises ValueError when the batch sizes differ.

    >>> mse(torch.tensor([[1.], [3.]]), torch.tensor([0., 1.]))
    tensor(2.5000)
    >>> mse(torch.tensor([[2.]]), torch.tensor([5.]))
    tensor(9.)
    """
    ### BEGIN SOLUTION
    if output.shape[0] != targ.shape[0]:
        raise ValueError(
            f"output has batch size {output.shape[0]} but targ has batch size {targ.shape[0]}"
        )
    return (output.squeeze(-1) - targ).pow(2).mean()
    ### END SOLUTION


def squeeze_last(t: Tensor) -> Tensor:
    """Drop the last dimension of ``t`` if its size is 1, and only that one.

    >>> squeeze_last(torch.zeros(1, 1)).shape
    torch.Size([1])
    >>> squeeze_last(torch.zeros(4, 1)).shape
    torch.Size([4])
    >>> squeeze_last(torch.zeros(4, 3)).shape
    torch.Size([4, 3])
    """
    ### BEGIN SOLUTION
    return t.squeeze(-1)
    ### END SOLUTION
