# Your exercise file for `research` -- fill in every body that raises
# NotImplementedError, then run `pytest exercises` to see your progress.
# (Generated from the course sources by `python -m autograder generate`.)
"""Further research: a convolution from a matrix product, and the chapter in NumPy.

A convolution slides a kernel over an image, but every output pixel is just a
dot product between the kernel and one patch. `unfold` lays every patch out as
a column, so a single matrix product computes them all. And nothing in the
forward and backward pass of the chapter needs PyTorch: NumPy arrays do it
with the same formulas.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


# Item conv2d_unfold (R3, 3 points): Convolution as a matrix product
# A 2-D convolution is a matrix product in disguise: `unfold` cuts every
# patch into a column, and one product with the flattened kernels does the
# rest. It is timed against a Python loop over output positions and must be
# clearly faster.
# Check it with: pytest exercises -m conv2d_unfold

def conv2d_unfold(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int = 0,
) -> Tensor:
    """A 2-D convolution equal to `F.conv2d(x, weight, bias, stride, padding)`,
    built from `unfold` and one matrix product: `x` (N, C, H, W), `weight`
    (O, C, kh, kw), `bias` (O,) or None; the result is (N, O, H', W').

    >>> conv2d_unfold(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2))
    tensor([[[[4., 4.],
              [4., 4.]]]])
    """
    raise NotImplementedError("conv2d_unfold: not implemented yet")


# Item numpy_forward_backward (R4, 3 points): The chapter in NumPy
# Write the two-layer forward pass, the mse loss and all gradients again with
# NumPy arrays only.
# Check it with: pytest exercises -m numpy_forward_backward

def numpy_forward_backward(
    x: np.ndarray,
    y: np.ndarray,
    w1: np.ndarray,
    b1: np.ndarray,
    w2: np.ndarray,
    b2: np.ndarray,
) -> tuple[float, dict[str, np.ndarray]]:
    """The chapter's two-layer net in NumPy only: lin (`x @ w1 + b1`), relu,
    lin, then the mse of the squeezed output against `y`, and the backward
    pass. Return the loss and the gradients keyed "x", "w1", "b1", "w2", "b2",
    each the shape and dtype of its array.

    >>> f = np.float32
    >>> x, y = np.array([[1], [2]], f), np.array([0, 0], f)
    >>> w1, b1 = np.array([[1, -1]], f), np.zeros(2, f)
    >>> w2, b2 = np.ones((2, 1), f), np.zeros(1, f)
    >>> loss, grads = numpy_forward_backward(x, y, w1, b1, w2, b2)
    >>> float(loss)
    2.5
    >>> grads["w2"].tolist(), grads["w2"].dtype
    ([[5.0], [0.0]], dtype('float32'))
    """
    raise NotImplementedError("numpy_forward_backward: not implemented yet")
