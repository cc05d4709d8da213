# Your exercise file for `autograd_function` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""Going to PyTorch: your own autograd Function.

Autograd records every operation of the forward pass and replays the chain
rule backwards. A `torch.autograd.Function` lets us plug our own operation
into that machinery: we write its forward pass and its gradient, and PyTorch
does the bookkeeping. Here ReLU gets that treatment and then trains a small
two-layer net.
"""

import math

import torch
from torch import Tensor
from torch.autograd.function import FunctionCtx


# Item my_relu (Q38, 3 points): ReLU as an autograd Function
# A `torch.autograd.Function` needs a static `forward` and a static
# `backward`. Save what the backward pass needs on `ctx` in `forward`.
# Check it with: pytest exercises -m my_relu

class MyRelu(torch.autograd.Function):
    """ReLU with a hand-written backward pass; use it as `MyRelu.apply(x)`.

    >>> x = torch.tensor([-1.0, 2.0], requires_grad=True)
    >>> y = MyRelu.apply(x)
    >>> y
    tensor([0., 2.], grad_fn=<MyReluBackward>)
    >>> y.sum().backward()
    >>> x.grad
    tensor([0., 1.])
    """

    @staticmethod
    def forward(ctx: FunctionCtx, i: Tensor) -> Tensor:
        """Return `i` with its negative values replaced by zero, and keep `i`
        on `ctx` (with `save_for_backward`) for the backward pass.

        >>> MyRelu.apply(torch.tensor([-3.0, 0.0, 1.5]))
        tensor([0.0000, 0.0000, 1.5000])
        """
        raise NotImplementedError("my_relu: not implemented yet")

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> Tensor:
        """Return the gradient with respect to `i`: `grad_output` where the
        saved input was positive, zero elsewhere, in `grad_output`'s dtype.

        >>> x = torch.tensor([-2.0, 3.0], requires_grad=True)
        >>> (MyRelu.apply(x) * torch.tensor([10.0, 10.0])).sum().backward()
        >>> x.grad
        tensor([ 0., 10.])
        """
        raise NotImplementedError("my_relu: not implemented yet")


# Item train_with_my_relu (R1, 2 points): Training with your own ReLU
# Train a small two-layer net that uses `MyRelu.apply` as its activation,
# with autograd computing the gradients and plain gradient descent.
# Check it with: pytest exercises -m train_with_my_relu

def train_with_my_relu(
    x: Tensor,
    y: Tensor,
    nh: int,
    *,
    epochs: int = 100,
    lr: float = 0.1,
    generator: torch.Generator | None = None,
) -> list[float]:
    """Train lin -> `MyRelu.apply` -> lin on `x` (n, n_in) and `y` (n,) with
    the mean squared error, autograd and plain gradient descent.

    The weights start Kaiming-initialised (drawn with `generator`), the biases
    at zero, all in `x`'s dtype and on its device. Return the loss of every
    epoch (computed before that epoch's update) as Python floats.

    >>> losses = train_with_my_relu(torch.randn(20, 3), torch.randn(20), 4, epochs=5)
    >>> len(losses), type(losses[0])
    (5, <class 'float'>)
    """
    raise NotImplementedError("train_with_my_relu: not implemented yet")
