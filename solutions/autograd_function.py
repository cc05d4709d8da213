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
        ### BEGIN SOLUTION
        ctx.save_for_backward(i)
        return i.clamp_min(0.0)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> Tensor:
        """Return the gradient with respect to `i`: `grad_output` where the
        saved input was positive, zero elsewhere, in `grad_output`'s dtype.

        >>> x = torch.tensor([-2.0, 3.0], requires_grad=True)
        >>> (MyRelu.apply(x) * torch.tensor([10.0, 10.0])).sum().backward()
        >>> x.grad
        tensor([ 0., 10.])
        """
        ### BEGIN SOLUTION
        (i,) = ctx.saved_tensors
        return grad_output * (i > 0).to(grad_output.dtype)
        ### END SOLUTION


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
    ### BEGIN SOLUTION
    def kaiming(n_in: int, n_out: int) -> Tensor:
        where = x.device if generator is None else generator.device
        w = torch.randn(n_in, n_out, generator=generator, device=where, dtype=x.dtype)
        return (w.to(x.device) * math.sqrt(2 / n_in)).requires_grad_()

    n_in = x.shape[1]
    w1, w2 = kaiming(n_in, nh), kaiming(nh, 1)
    b1 = x.new_zeros(nh).requires_grad_()
    b2 = x.new_zeros(1).requires_grad_()
    params = [w1, b1, w2, b2]

    losses = []
    for _ in range(epochs):
        out = MyRelu.apply(x @ w1 + b1) @ w2 + b2
        loss = (out.squeeze(-1) - y).pow(2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
    return losses
    ### END SOLUTION
