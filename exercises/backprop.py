# Your exercise file for `backprop` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""Gradients and the backward pass, computed by hand.

The chain rule says that the gradient of a composition is the product of the
gradients of its parts. Going backwards through the net, each step turns the
gradient of its output (stored in ``out.g``) into the gradients of its inputs
and parameters (stored in their ``.g``). No autograd is used anywhere here.
"""

from collections.abc import Callable

import sympy
import torch
from torch import Tensor


# Item chain_rule (Q33, 2 points): The chain rule
# With sympy, differentiate the outer function at the inner one and multiply
# by the inner function's derivative: (f o g)' = f'(g(x)) g'(x).
# Check it with: pytest exercises -m chain_rule

def chain_rule(
    f: Callable[[sympy.Expr], sympy.Expr],
    g: Callable[[sympy.Expr], sympy.Expr],
    x: sympy.Symbol,
) -> sympy.Expr:
    """The derivative of ``f(g(x))`` with respect to ``x``, by the chain rule.

    ``f`` and ``g`` map a sympy expression to a sympy expression. Each is
    differentiated on its own: ``f`` with respect to a fresh symbol, evaluated
    at ``g(x)``, times the derivative of ``g`` with respect to ``x``.

    >>> x = sympy.Symbol("x")
    >>> chain_rule(sympy.sin, lambda t: t**2, x)
    2*x*cos(x**2)
    """
    raise NotImplementedError("chain_rule: not implemented yet")


# Item mse_grad (Q34, 2 points): Gradient of the loss
# Store in `inp.g` the gradient of the mean squared error with respect to its
# input column.
# Check it with: pytest exercises -m mse_grad

def mse_grad(inp: Tensor, targ: Tensor) -> None:
    """Set ``inp.g`` to the gradient of ``mean((inp - targ)**2)``.

    ``inp`` is a column (n, 1), ``targ`` a vector (n,); ``inp.g`` has the
    shape of ``inp``.

    >>> inp = torch.tensor([[1.], [3.]])
    >>> mse_grad(inp, torch.tensor([0., 1.]))
    >>> inp.g
    tensor([[1.],
            [2.]])
    """
    raise NotImplementedError("mse_grad: not implemented yet")


# Item relu_grad (Q35, 2 points): Gradient of ReLU
# ReLU's slope is 1 where its input is positive and 0 elsewhere; the chain
# rule multiplies that by the gradient arriving from above.
# Check it with: pytest exercises -m relu_grad

def relu_grad(inp: Tensor, out: Tensor) -> None:
    """Set ``inp.g`` for ``out = relu(inp)``, given ``out.g``.

    The slope is 1 where ``inp`` is positive and 0 elsewhere (also at exactly
    0, as in PyTorch); the result is in ``inp``'s dtype.

    >>> inp = torch.tensor([-1., 0., 2.])
    >>> out = inp.clamp_min(0.)
    >>> out.g = torch.tensor([5., 5., 5.])
    >>> relu_grad(inp, out)
    >>> inp.g
    tensor([0., 0., 5.])
    """
    raise NotImplementedError("relu_grad: not implemented yet")


# Item lin_grad (Q34, R2, 3 points): Gradients of a linear layer
# For `out = inp @ w + b`, store the gradients of the loss with respect to
# the input, the weights and the bias, from `out.g`.
# Check it with: pytest exercises -m lin_grad

def lin_grad(inp: Tensor, out: Tensor, w: Tensor, b: Tensor) -> None:
    """Set ``inp.g``, ``w.g`` and ``b.g`` for ``out = inp @ w + b``, given ``out.g``.

    Each gradient has the shape of the tensor it belongs to.

    >>> inp, w, b = torch.ones(4, 3), torch.ones(3, 2), torch.zeros(2)
    >>> out = inp @ w + b
    >>> out.g = torch.ones(4, 2)
    >>> lin_grad(inp, out, w, b)
    >>> inp.g.shape, w.g.shape, b.g.shape
    (torch.Size([4, 3]), torch.Size([3, 2]), torch.Size([2]))
    >>> b.g
    tensor([4., 4.])
    """
    raise NotImplementedError("lin_grad: not implemented yet")


# Item forward_and_backward (Q36, 3 points): The whole backward pass
# Run the forward pass, keeping every activation, then the gradients from the
# loss back to the input, in reverse order of the forward pass.
# Check it with: pytest exercises -m forward_and_backward

def forward_and_backward(
    inp: Tensor, targ: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor
) -> Tensor:
    """Forward pass (lin, relu, lin, mse), then the backward pass by hand.

    Returns the loss (rank 0) and sets ``.g`` on ``inp``, ``w1``, ``b1``,
    ``w2`` and ``b2`` to the gradients of the loss.

    >>> inp = torch.tensor([[1., 2.]])
    >>> w1, b1 = torch.eye(2), torch.zeros(2)
    >>> w2, b2 = torch.ones(2, 1), torch.zeros(1)
    >>> forward_and_backward(inp, torch.tensor([1.]), w1, b1, w2, b2)
    tensor(4.)
    >>> w2.g.shape, b2.g
    (torch.Size([2, 1]), tensor([4.]))
    """
    raise NotImplementedError("forward_and_backward: not implemented yet")
