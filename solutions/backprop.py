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
    ### BEGIN SOLUTION
    u = sympy.Dummy("u")
    outer = sympy.diff(f(u), u).subs(u, g(x))
    inner = sympy.diff(g(x), x)
    return outer * inner
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    diff = inp.squeeze(-1) - targ
    inp.g = 2.0 * diff.unsqueeze(-1) / inp.shape[0]
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    inp.g = (inp > 0).to(inp.dtype) * out.g
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    inp.g = out.g @ w.t()
    w.g = inp.t() @ out.g
    b.g = out.g.sum(0)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    # Forward, keeping every activation.
    l1 = inp @ w1 + b1
    l2 = l1.clamp_min(0.0)
    out = l2 @ w2 + b2
    diff = out.squeeze(-1) - targ
    loss = diff.pow(2).mean()

    # Backward, from the loss down to the input.
    out_g = 2.0 * diff.unsqueeze(-1) / out.shape[0]  # mse
    w2.g = l2.t() @ out_g  # second linear layer
    b2.g = out_g.sum(0)
    l2_g = out_g @ w2.t()
    l1_g = (l1 > 0).to(l1.dtype) * l2_g  # relu
    w1.g = inp.t() @ l1_g  # first linear layer
    b1.g = l1_g.sum(0)
    inp.g = l1_g @ w1.t()
    return loss
    ### END SOLUTION
