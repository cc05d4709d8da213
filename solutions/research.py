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
    ### BEGIN SOLUTION
    n, _, h, w = x.shape
    o, _, kh, kw = weight.shape
    cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)  # (N, C*kh*kw, L)
    out = weight.reshape(o, -1) @ cols  # (N, O, L)
    if bias is not None:
        out = out + bias[:, None]
    h_out = (h + 2 * padding - kh) // stride + 1
    w_out = (w + 2 * padding - kw) // stride + 1
    return out.reshape(n, o, h_out, w_out)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    # forward, keeping the activations
    l1 = x @ w1 + b1
    l2 = np.maximum(l1, 0)
    out = l2 @ w2 + b2
    diff = out.squeeze(-1) - y
    loss = (diff**2).mean()

    # backward, from the loss back to the input
    out_g = (2 * diff / diff.shape[0])[:, None]
    w2_g = l2.T @ out_g
    b2_g = out_g.sum(0)
    l2_g = out_g @ w2.T
    l1_g = l2_g * (l1 > 0)
    w1_g = x.T @ l1_g
    b1_g = l1_g.sum(0)
    x_g = l1_g @ w1.T
    return float(loss), {"x": x_g, "w1": w1_g, "b1": b1_g, "w2": w2_g, "b2": b2_g}
    ### END SOLUTION
