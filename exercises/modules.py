# Your exercise file for `modules` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""nn.Module: layers that PyTorch can find, move and save.

Once a layer's weights are `nn.Parameter`s assigned to an `nn.Module`,
PyTorch registers them: `.parameters()` lists them for the optimiser, `.to()`
moves them, `state_dict()` saves them. Here we rebuild `nn.Linear`, and
fastai's `Module`, which spares subclasses the `super().__init__()` call.
"""

import math

import torch
from torch import Tensor, nn


# Item linear_layer (Q39, 3 points): nn.Linear from scratch
# Write a linear layer as an `nn.Module`: weight and bias as `nn.Parameter`s
# (so PyTorch finds, moves and saves them) and a `forward` method.
# Check it with: pytest exercises -m linear_layer

class LinearLayer(nn.Module):
    """A linear layer like `nn.Linear`: `weight` (n_out, n_in), Kaiming normal
    with standard deviation `sqrt(2 / n_in)`, and `bias` (n_out,) of zeros,
    both `nn.Parameter`s.

    >>> layer = LinearLayer(3, 2)
    >>> [(name, tuple(p.shape)) for name, p in layer.named_parameters()]
    [('weight', (2, 3)), ('bias', (2,))]
    >>> layer(torch.randn(5, 3)).shape
    torch.Size([5, 2])
    """

    def __init__(self, n_in: int, n_out: int) -> None:
        """Initialise `nn.Module` first, then create and register the weight
        and the bias.

        >>> LinearLayer(4, 1).bias
        Parameter containing:
        tensor([0.], requires_grad=True)
        """
        raise NotImplementedError("linear_layer: not implemented yet")

    def forward(self, x: Tensor) -> Tensor:
        """Return `x @ weight.t() + bias` for a batch `x` (batch, n_in).

        >>> layer = LinearLayer(2, 1)
        >>> with torch.no_grad():
        ...     _ = layer.weight.copy_(torch.tensor([[1.0, 2.0]]))
        >>> layer(torch.tensor([[3.0, 4.0]]))
        tensor([[11.]], grad_fn=<AddBackward0>)
        """
        raise NotImplementedError("linear_layer: not implemented yet")


# Item fastai_module (Q40, 2 points): fastai's Module
# `nn.Module` must be initialised before a subclass assigns parameters. Write
# a base class that does that for its subclasses, so they can skip
# `super().__init__()`, and an MLP that uses it.
# Check it with: pytest exercises -m fastai_module

class Module(nn.Module):
    """A base class that initialises `nn.Module` by itself, before the
    subclass's `__init__` runs, so subclasses may leave out
    `super().__init__()`.

    >>> class Scale(Module):
    ...     def __init__(self, n: int) -> None:
    ...         self.w = nn.Parameter(torch.ones(n))
    >>> [name for name, _ in Scale(3).named_parameters()]
    ['w']
    """

    def __new__(cls, *args, **kwargs) -> "Module":
        """Create the object and run `nn.Module.__init__` on it; Python then
        calls the subclass's `__init__` with the arguments.

        >>> class Empty(Module):
        ...     pass
        >>> Empty()._modules
        {}
        """
        raise NotImplementedError("fastai_module: not implemented yet")

    def __init__(self, *args, **kwargs) -> None:
        """Do nothing: `__new__` has already initialised `nn.Module`, so a
        subclass that still calls `super().__init__()` loses nothing.

        >>> class Twice(Module):
        ...     def __init__(self) -> None:
        ...         self.lin = nn.Linear(2, 2)
        ...         super().__init__()
        >>> list(Twice()._modules)
        ['lin']
        """
        raise NotImplementedError("fastai_module: not implemented yet")


def _mse(output: Tensor, targ: Tensor) -> Tensor:
    """The mean squared error of `output` (n, 1) or (n,) against `targ` (n,),
    as a rank-0 tensor; ValueError naming both shapes when they do not match.

    >>> _mse(torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 0.0]))
    tensor(5.)
    """
    raise NotImplementedError("fastai_module: not implemented yet")


class MLP(Module):
    """A two-layer net with its loss: `layers` is Linear -> ReLU -> Linear,
    `loss` the mean squared error, and `model(x, targ)` returns the loss.

    >>> model = MLP(3, 4, 1)
    >>> sum(p.numel() for p in model.parameters())
    21
    >>> model(torch.randn(5, 3), torch.randn(5)).shape
    torch.Size([])
    """

    def __init__(self, n_in: int, nh: int, n_out: int) -> None:
        """Assign the layers and the loss, without calling `super().__init__()`.

        >>> MLP(2, 8, 1).layers[0]
        Linear(in_features=2, out_features=8, bias=True)
        """
        raise NotImplementedError("fastai_module: not implemented yet")

    def forward(self, x: Tensor, targ: Tensor) -> Tensor:
        """Run `x` through the layers and return the loss against `targ`.

        >>> MLP(2, 3, 1)(torch.randn(4, 2), torch.randn(4)).ndim
        0
        """
        raise NotImplementedError("fastai_module: not implemented yet")
