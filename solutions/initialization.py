"""Defining and initializing a two-layer net by hand.

The parameters are plain tensors: a weight matrix of shape (n_in, n_out) and a
bias vector per layer. How the weights are scaled decides whether activations
keep a sensible size through many layers; the Kaiming scale sqrt(2 / fan_in)
makes up for the half of the signal a ReLU throws away.
"""

import math

import sympy
import torch
from torch import Tensor


def init_mlp(
    n_in: int, nh: int, n_out: int, *, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Return ``(w1, b1, w2, b2)`` for an n_in -> nh -> n_out net.

    The weights are drawn from a normal distribution with standard deviation
    ``sqrt(2 / fan_in)`` (Kaiming), the biases are zeros, all in float32.
    Passing the same seeded ``generator`` gives the same parameters.

    >>> w1, b1, w2, b2 = init_mlp(784, 50, 1, generator=torch.Generator().manual_seed(0))
    >>> w1.shape, b1.shape, w2.shape, b2.shape
    (torch.Size([784, 50]), torch.Size([50]), torch.Size([50, 1]), torch.Size([1]))
    >>> w1.dtype, b2.tolist()
    (torch.float32, [0.0])
    """
    ### BEGIN SOLUTION
    device = None if generator is None else generator.device
    w1 = torch.randn(n_in, nh, generator=generator, device=device) * math.sqrt(2 / n_in)
    w2 = torch.randn(nh, n_out, generator=generator, device=device) * math.sqrt(2 / nh)
    b1 = torch.zeros(nh, device=device)
    b2 = torch.zeros(n_out, device=device)
    return w1, b1, w2, b2
    ### END SOLUTION


def lin(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """A linear layer: ``x @ w + b`` with ``w`` of shape (n_in, n_out).

    >>> lin(torch.tensor([[1., 2.]]), torch.tensor([[1.], [10.]]), torch.tensor([0.5]))
    tensor([[21.5000]])
    """
    ### BEGIN SOLUTION
    return x @ w + b
    ### END SOLUTION


def model(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> Tensor:
    """The two-layer forward pass: linear, ReLU, linear; shape (batch, n_out).

    >>> x = torch.tensor([[1., -1.]])
    >>> w1 = torch.tensor([[1., 0.], [0., 1.]])
    >>> model(x, w1, torch.zeros(2), torch.tensor([[2.], [3.]]), torch.tensor([1.]))
    tensor([[3.]])
    """
    ### BEGIN SOLUTION
    hidden = lin(x, w1, b1).clamp_min(0.0)
    return lin(hidden, w2, b2)
    ### END SOLUTION


def forward_activations(
    x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Run the forward pass and keep what the backward pass needs.

    Returns ``(l1, l2, out)``: the first layer's output before the ReLU, after
    the ReLU, and the output of the second layer.

    >>> x = torch.tensor([[1., -1.]])
    >>> w1 = torch.tensor([[1., 0.], [0., 1.]])
    >>> l1, l2, out = forward_activations(
    ...     x, w1, torch.zeros(2), torch.tensor([[2.], [3.]]), torch.tensor([1.]))
    >>> l1, l2, out
    (tensor([[ 1., -1.]]), tensor([[1., 0.]]), tensor([[3.]]))
    """
    ### BEGIN SOLUTION
    l1 = x @ w1 + b1
    l2 = l1.clamp_min(0.0)
    out = l2 @ w2 + b2
    return l1, l2, out
    ### END SOLUTION


def deep_stats(
    n_layers: int,
    n: int,
    scale: float,
    use_relu: bool,
    *,
    generator: torch.Generator | None = None,
) -> float:
    """Standard deviation of random inputs after ``n_layers`` random layers.

    Starts from a (200, n) standard normal batch and applies, ``n_layers``
    times, a product with a fresh (n, n) standard normal matrix times
    ``scale`` (followed by a ReLU when ``use_relu``). Too large a scale makes
    the result explode (possibly to ``inf`` or ``nan``), too small a scale
    makes it vanish.

    >>> s = deep_stats(10, 100, math.sqrt(2 / 100), True, generator=torch.Generator().manual_seed(0))
    >>> type(s)
    <class 'float'>
    """
    ### BEGIN SOLUTION
    device = None if generator is None else generator.device
    x = torch.randn(200, n, generator=generator, device=device)
    for _ in range(n_layers):
        x = x @ (torch.randn(n, n, generator=generator, device=device) * scale)
        if use_relu:
            x = x.clamp_min(0.0)
    return x.std().item()
    ### END SOLUTION


def xavier_formula(n_in: sympy.Symbol) -> sympy.Expr:
    """The weight scale that keeps a plain linear layer's output at std 1.

    A sum of ``n_in`` products of unit-variance numbers has variance ``n_in``.

    >>> n = sympy.Symbol("n_in", positive=True)
    >>> xavier_formula(n).subs(n, 100)
    1/10
    """
    ### BEGIN SOLUTION
    return 1 / sympy.sqrt(n_in)
    ### END SOLUTION


def kaiming_formula(n_in: sympy.Symbol) -> sympy.Expr:
    """The weight scale for a linear layer followed by a ReLU.

    The ReLU zeroes half of the values and so halves the variance, which a
    factor of 2 under the square root puts back.

    >>> n = sympy.Symbol("n_in", positive=True)
    >>> kaiming_formula(n).subs(n, 50)
    1/5
    """
    ### BEGIN SOLUTION
    return sympy.sqrt(sympy.Integer(2) / n_in)
    ### END SOLUTION
