"""The next-slower way to compute an item that has no ladder of its own.

The matmul items are timed against the reference's previous rung (the
broadcast version against the elementwise one). `relu`, `dense` and
`conv2d_unfold` are timed against these: each is right, and each loops in
Python where the item asks for whole-tensor operations. They run in the
reference's child, as callables (probes.make_callable), so both sides are
timed in identical sandboxes.
"""

from __future__ import annotations

import torch


def relu_rows(x: torch.Tensor) -> torch.Tensor:
    """One row at a time."""
    if x.dim() < 2:
        return x.clamp(min=0)
    return torch.stack([row.clamp(min=0) for row in x])


def dense_rows(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """One input row at a time, as elementwise products summed."""
    return torch.stack([(row * w).sum(dim=1) + b for row in x])


def conv2d_positions(x: torch.Tensor, weight: torch.Tensor, bias=None, stride: int = 1,
                     padding: int = 0) -> torch.Tensor:
    """One output position at a time: each patch times the flattened kernels."""
    if padding:
        x = torch.nn.functional.pad(x, (padding,) * 4)
    n, _, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    rows, cols = (h - kh) // stride + 1, (w - kw) // stride + 1
    kernels = weight.reshape(out_channels, -1).t()
    out = x.new_zeros(n, out_channels, rows, cols)
    for i in range(rows):
        for j in range(cols):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = patch.reshape(n, -1) @ kernels
    return out if bias is None else out + bias[:, None, None]


VARIANTS = {f.__name__: f for f in (relu_rows, dense_rows, conv2d_positions)}
