# Your exercise file for `initialization` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
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


# Item init_mlp (Q5, Q29, Q30, 3 points): Parameters of a two-layer net
# Create the weights and biases of a net with one hidden layer of `nh` units
# (the hidden size). Kaiming initialisation keeps the activations' scale near
# 1 through the ReLU.
# Check it with: pytest exercises -m init_mlp

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
    raise NotImplementedError("init_mlp: not implemented yet")


# Item forward (Q26, 2 points): The forward pass
# The forward pass computes the output from the input, layer by layer: a
# linear layer, a ReLU, and a second linear layer.
# Check it with: pytest exercises -m forward

def lin(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """A linear layer: ``x @ w + b`` with ``w`` of shape (n_in, n_out).

    >>> lin(torch.tensor([[1., 2.]]), torch.tensor([[1.], [10.]]), torch.tensor([0.5]))
    tensor([[21.5000]])
    """
    raise NotImplementedError("forward: not implemented yet")


def model(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> Tensor:
    """The two-layer forward pass: linear, ReLU, linear; shape (batch, n_out).

    >>> x = torch.tensor([[1., -1.]])
    >>> w1 = torch.tensor([[1., 0.], [0., 1.]])
    >>> model(x, w1, torch.zeros(2), torch.tensor([[2.], [3.]]), torch.tensor([1.]))
    tensor([[3.]])
    """
    raise NotImplementedError("forward: not implemented yet")


# Item forward_activations (Q27, 2 points): Keeping the activations
# The backward pass needs the intermediate values of the forward pass. Return
# the first layer's output, its ReLU and the final output.
# Check it with: pytest exercises -m forward_activations

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
    raise NotImplementedError("forward_activations: not implemented yet")


# Item deep_stats (Q28, 2 points): Activations through a deep stack
# Push random inputs through many random layers and report the final standard
# deviation: too large a scale explodes, too small vanishes, the right one
# stays near 1.
# Check it with: pytest exercises -m deep_stats

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
    raise NotImplementedError("deep_stats: not implemented yet")


# Item init_formulas (Q29, Q30, 2 points): The initialisation scales
# As sympy expressions of the fan-in: the weight scale that keeps a plain
# linear layer's output at standard deviation 1, and the one for a linear
# layer followed by ReLU.
# Check it with: pytest exercises -m init_formulas

def xavier_formula(n_in: sympy.Symbol) -> sympy.Expr:
    """The weight scale that keeps a plain linear layer's output at std 1.

    A sum of ``n_in`` products of unit-variance numbers has variance ``n_in``.

    >>> n = sympy.Symbol("n_in", positive=True)
    >>> xavier_formula(n).subs(n, 100)
    1/10
    """
    raise NotImplementedError("init_formulas: not implemented yet")


def kaiming_formula(n_in: sympy.Symbol) -> sympy.Expr:
    """The weight scale for a linear layer followed by a ReLU.

    The ReLU zeroes half of the values and so halves the variance, which a
    factor of 2 under the square root puts back.

    >>> n = sympy.Symbol("n_in", positive=True)
    >>> kaiming_formula(n).subs(n, 50)
    1/5
    """
    raise NotImplementedError("init_formulas: not implemented yet")
