# Your exercise file for `layers` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""Refactoring the model: layers as callable classes.

Each layer is an object that remembers its inputs and output when it is
called, so that its ``backward`` can compute the gradients later without
being told anything. The model is then a list of layers and a loss; its
backward pass walks the list in reverse. No autograd is used.
"""

import torch
from torch import Tensor


# Item layer_classes (Q37, 4 points): Layers as callable classes
# Refactor the forward and backward pass into classes. `__call__` makes an
# instance callable like a function; it remembers its inputs and output so
# that `backward` can compute the gradients later.
# Check it with: pytest exercises -m layer_classes

class LayerFunction:
    """Base class of a layer with a forward and a hand-written backward pass.

    A subclass defines ``forward(*args)`` and ``bwd(out, *args)``; calling the
    layer remembers the arguments and the output for ``backward``.

    >>> class Double(LayerFunction):
    ...     def forward(self, x): return 2 * x
    ...     def bwd(self, out, x): x.g = 2 * out.g
    >>> layer, x = Double(), torch.tensor([1., 3.])
    >>> layer(x)
    tensor([2., 6.])
    >>> layer.out.g = torch.ones(2)
    >>> layer.backward()
    >>> x.g
    tensor([2., 2.])
    """

    def __call__(self, *args: Tensor) -> Tensor:
        """Store ``args`` in ``self.args`` and return ``self.out = self.forward(*args)``.

        >>> relu = Relu()
        >>> relu(torch.tensor([-1., 1.]))
        tensor([0., 1.])
        >>> len(relu.args), relu.out
        (1, tensor([0., 1.]))
        """
        raise NotImplementedError("layer_classes: not implemented yet")

    def forward(self, *args: Tensor) -> Tensor:
        """Compute the layer's output; subclasses must override it.

        >>> LayerFunction().forward(torch.zeros(1))
        Traceback (most recent call last):
        ...
        NotImplementedError: LayerFunction does not define forward
        """
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def bwd(self, out: Tensor, *args: Tensor) -> None:
        """Set ``.g`` on the inputs from ``out.g``; subclasses must override it.

        >>> LayerFunction().bwd(torch.zeros(1), torch.zeros(1))
        Traceback (most recent call last):
        ...
        NotImplementedError: LayerFunction does not define bwd
        """
        raise NotImplementedError(f"{type(self).__name__} does not define bwd")

    def backward(self) -> None:
        """Run ``bwd`` on the output and the arguments of the last call.

        >>> relu, x = Relu(), torch.tensor([-1., 2.])
        >>> relu.out = torch.tensor([0., 2.])
        >>> relu.args = (x,)
        >>> relu.out.g = torch.tensor([3., 3.])
        >>> relu.backward()
        >>> x.g
        tensor([0., 3.])
        """
        raise NotImplementedError("layer_classes: not implemented yet")


class Relu(LayerFunction):
    """The ReLU layer.

    >>> Relu()(torch.tensor([-2., 0., 3.]))
    tensor([0., 0., 3.])
    """

    def forward(self, inp: Tensor) -> Tensor:
        """Zero the negative values of ``inp`` (without changing ``inp``).

        >>> Relu().forward(torch.tensor([-2., 3.]))
        tensor([0., 3.])
        """
        raise NotImplementedError("layer_classes: not implemented yet")

    def bwd(self, out: Tensor, inp: Tensor) -> None:
        """Set ``inp.g``: ``out.g`` where ``inp`` is positive, 0 elsewhere.

        >>> inp, out = torch.tensor([-2., 0., 3.]), torch.tensor([0., 0., 3.])
        >>> out.g = torch.tensor([1., 1., 1.])
        >>> Relu().bwd(out, inp)
        >>> inp.g
        tensor([0., 0., 1.])
        """
        raise NotImplementedError("layer_classes: not implemented yet")


class Lin(LayerFunction):
    """A linear layer ``inp @ w + b`` with ``w`` of shape (n_in, n_out).

    >>> Lin(torch.ones(3, 2), torch.zeros(2))(torch.ones(4, 3)).shape
    torch.Size([4, 2])
    """

    def __init__(self, w: Tensor, b: Tensor) -> None:
        """Keep the weights ``w`` (n_in, n_out) and the bias ``b`` (n_out,).

        >>> Lin(torch.ones(3, 2), torch.zeros(2)).w.shape
        torch.Size([3, 2])
        """
        raise NotImplementedError("layer_classes: not implemented yet")

    def forward(self, inp: Tensor) -> Tensor:
        """Return ``inp @ w + b``.

        >>> Lin(torch.tensor([[1.], [10.]]), torch.tensor([0.5])).forward(torch.tensor([[1., 2.]]))
        tensor([[21.5000]])
        """
        raise NotImplementedError("layer_classes: not implemented yet")

    def bwd(self, out: Tensor, inp: Tensor) -> None:
        """Set ``inp.g``, ``w.g`` and ``b.g`` from ``out.g``.

        >>> layer, inp = Lin(torch.ones(3, 2), torch.zeros(2)), torch.ones(4, 3)
        >>> out = layer(inp)
        >>> out.g = torch.ones(4, 2)
        >>> layer.bwd(out, inp)
        >>> inp.g.shape, layer.w.g.shape, layer.b.g
        (torch.Size([4, 3]), torch.Size([3, 2]), tensor([4., 4.]))
        """
        raise NotImplementedError("layer_classes: not implemented yet")


class Mse(LayerFunction):
    """The mean squared error between a column (n, 1) and targets (n,).

    >>> Mse()(torch.tensor([[1.], [3.]]), torch.tensor([0., 1.]))
    tensor(2.5000)
    """

    def forward(self, inp: Tensor, targ: Tensor) -> Tensor:
        """Return the rank-0 mean of ``(inp - targ)**2``, ``inp`` squeezed to (n,).

        >>> Mse().forward(torch.tensor([[2.]]), torch.tensor([5.]))
        tensor(9.)
        """
        raise NotImplementedError("layer_classes: not implemented yet")

    def bwd(self, out: Tensor, inp: Tensor, targ: Tensor) -> None:
        """Set ``inp.g`` (shape (n, 1)) to the gradient of the loss.

        >>> inp = torch.tensor([[1.], [3.]])
        >>> Mse().bwd(torch.tensor(2.5), inp, torch.tensor([0., 1.]))
        >>> inp.g
        tensor([[1.],
                [2.]])
        """
        raise NotImplementedError("layer_classes: not implemented yet")


class Model:
    """The two-layer net as layers: ``Lin``, ``Relu``, ``Lin`` and an ``Mse`` loss.

    >>> m = Model(torch.eye(2), torch.zeros(2), torch.ones(2, 1), torch.zeros(1))
    >>> x = torch.tensor([[1., 2.]])
    >>> m(x, torch.tensor([1.]))
    tensor(4.)
    >>> m.backward()
    >>> x.g
    tensor([[4., 4.]])
    """

    def __init__(self, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> None:
        """Build ``self.layers`` (``[Lin, Relu, Lin]``) and ``self.loss`` (``Mse()``).

        >>> m = Model(torch.ones(3, 2), torch.zeros(2), torch.ones(2, 1), torch.zeros(1))
        >>> [type(layer).__name__ for layer in m.layers], type(m.loss).__name__
        (['Lin', 'Relu', 'Lin'], 'Mse')
        """
        raise NotImplementedError("layer_classes: not implemented yet")

    def __call__(self, x: Tensor, targ: Tensor) -> Tensor:
        """Run ``x`` through the layers and return the loss against ``targ``.

        >>> m = Model(torch.ones(3, 2), torch.zeros(2), torch.ones(2, 1), torch.zeros(1))
        >>> m(torch.ones(4, 3), torch.full((4,), 5.))
        tensor(1.)
        """
        raise NotImplementedError("layer_classes: not implemented yet")

    def backward(self) -> None:
        """Set ``.g`` on the input, weights and biases of the last call.

        >>> w1 = torch.ones(3, 2)
        >>> m = Model(w1, torch.zeros(2), torch.ones(2, 1), torch.zeros(1))
        >>> loss = m(torch.ones(4, 3), torch.full((4,), 5.))
        >>> m.backward()
        >>> w1.g.shape
        torch.Size([3, 2])
        """
        raise NotImplementedError("layer_classes: not implemented yet")
