# Generated from autograder/public/test_research.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for research.py: run `pytest test_research.py`."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

import feedback
import research


class _CallNames(TorchFunctionMode):
    """Record the names of the torch functions called inside a `with` block."""

    def __init__(self):
        super().__init__()
        self.names = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.append(getattr(func, "__name__", repr(func)))
        return func(*args, **(kwargs or {}))


# --- conv2d_unfold -----------------------------------------------------------


def _conv_inputs(n, c, h, w, o, kh, kw, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, h, w, generator=g, dtype=dtype)
    weight = torch.randn(o, c, kh, kw, generator=g, dtype=dtype)
    bias = torch.randn(o, generator=g, dtype=dtype)
    return x, weight, bias


@pytest.mark.conv2d_unfold
def test_conv_single_channel():
    x, weight, _ = _conv_inputs(1, 1, 5, 5, 1, 3, 3)
    got, what = feedback.run(research.conv2d_unfold, x, weight)
    feedback.assert_close(got, F.conv2d(x, weight), what)


@pytest.mark.conv2d_unfold
def test_conv_batch_channels_bias():
    x, weight, bias = _conv_inputs(2, 3, 6, 7, 4, 3, 3)
    got, what = feedback.run(research.conv2d_unfold, x, weight, bias)
    feedback.assert_close(got, F.conv2d(x, weight, bias), what)


@pytest.mark.conv2d_unfold
def test_conv_stride_padding_non_square_kernel():
    x, weight, bias = _conv_inputs(2, 3, 7, 6, 4, 3, 2, dtype=torch.float64)
    got, what = feedback.run(research.conv2d_unfold, x, weight, bias, stride=2, padding=1)
    feedback.assert_close(got, F.conv2d(x, weight, bias, stride=2, padding=1), what)  # float64 in and out


@pytest.mark.conv2d_unfold
def test_conv_makes_no_convolution_call():
    x, weight, bias = _conv_inputs(1, 2, 5, 5, 3, 2, 2)
    with _CallNames() as calls:
        _, what = feedback.run(research.conv2d_unfold, x, weight, bias, stride=1, padding=1)
    conv = [name for name in calls.names if "conv" in name.lower()]
    assert not conv, f"{what} called a convolution: {conv}"
    assert any("unfold" in name for name in calls.names), f"{what} made no unfold call; its torch calls: {calls.names}"


# --- numpy_forward_backward --------------------------------------------------


def _net_arrays(n=6, n_in=4, nh=5, seed=0):
    rng = np.random.default_rng(seed)
    f = np.float32
    return (
        rng.standard_normal((n, n_in)).astype(f),
        rng.standard_normal(n).astype(f),
        rng.standard_normal((n_in, nh)).astype(f),
        rng.standard_normal(nh).astype(f),
        rng.standard_normal((nh, 1)).astype(f),
        rng.standard_normal(1).astype(f),
    )


def _torch_reference(x, y, w1, b1, w2, b2):
    """Loss and gradients from autograd, in float64."""
    ts = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
          for k, v in zip(["x", "y", "w1", "b1", "w2", "b2"], (x, y, w1, b1, w2, b2))}
    out = torch.relu(ts["x"] @ ts["w1"] + ts["b1"]) @ ts["w2"] + ts["b2"]
    loss = (out.squeeze(-1) - ts["y"]).pow(2).mean()
    loss.backward()
    return loss.item(), {k: ts[k].grad.numpy() for k in ["x", "w1", "b1", "w2", "b2"]}


@pytest.mark.numpy_forward_backward
def test_numpy_loss_matches_torch():
    arrays = _net_arrays()
    (loss, _), what = feedback.run(research.numpy_forward_backward, *arrays)
    expected, _ = _torch_reference(*arrays)
    assert isinstance(loss, (float, np.floating)), f"{what} returned a {type(loss).__name__} loss, expected a float"
    with feedback.first_line(f"{what} returned the loss {loss}, expected {expected} (from autograd)"):
        np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


@pytest.mark.numpy_forward_backward
def test_numpy_gradients_match_autograd():
    arrays = _net_arrays()
    (_, grads), what = feedback.run(research.numpy_forward_backward, *arrays)
    _, expected = _torch_reference(*arrays)
    assert set(grads) == set(expected), f"{what} returned grads with keys {sorted(grads)}, expected {sorted(expected)}"
    for name, ref in expected.items():
        got = grads[name]
        assert got.shape == ref.shape, f"{what}: grads[{name!r}] has shape {got.shape}, expected {ref.shape}"
        assert got.dtype == np.float32, f"{what}: grads[{name!r}] is {got.dtype}, expected float32"
        with feedback.first_line(f"{what}: grads[{name!r}] differs from autograd's gradient"):
            np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.numpy_forward_backward
def test_numpy_leaves_inputs_alone_and_calls_no_torch():
    arrays = _net_arrays(seed=1)
    copies = [a.copy() for a in arrays]
    with _CallNames() as calls:
        _, what = feedback.run(research.numpy_forward_backward, *arrays)
    assert calls.names == [], f"{what} called torch: {calls.names}; use NumPy only"
    for name, a, c in zip(["x", "y", "w1", "b1", "w2", "b2"], arrays, copies):
        with feedback.first_line(f"{what} changed its input {name}: NumPy's in-place operations (+=, out=) "
                                 "change the array itself"):
            np.testing.assert_array_equal(a, c)
