# Generated from autograder/public/test_backprop.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for backprop.py: gradients by hand, checked against autograd.

The expected gradients are computed here with torch autograd on float64
copies; the functions under test must not use autograd themselves.
"""

import pytest
import sympy
import torch

import backprop


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(*shape, seed, dtype=torch.float64):
    return torch.randn(*shape, generator=_gen(seed), dtype=dtype)


def _autograd(f, *tensors):
    """The value of f(*tensors) and the gradients of f's sum with respect to each tensor."""
    leaves = [t.detach().clone().requires_grad_() for t in tensors]
    value = f(*leaves)
    grads = torch.autograd.grad(value.sum(), leaves)
    return value.detach(), grads


# ---------------------------------------------------------------- chain_rule

X = sympy.Symbol("x")


@pytest.mark.chain_rule
@pytest.mark.parametrize(
    ("f", "g", "expected"),
    [
        (sympy.sin, lambda t: t**2, 2 * X * sympy.cos(X**2)),
        (sympy.exp, lambda t: 3 * t + 1, 3 * sympy.exp(3 * X + 1)),
        (lambda t: t**3, sympy.cos, -3 * sympy.cos(X) ** 2 * sympy.sin(X)),
    ],
    ids=["sin(x**2)", "exp(3x+1)", "cos(x)**3"],
)
def test_chain_rule(f, g, expected):
    got = backprop.chain_rule(f, g, X)
    assert sympy.simplify(got - expected) == 0, f"expected an expression equal to {expected}, got {got}"


# ---------------------------------------------------------------- mse_grad


@pytest.mark.mse_grad
@pytest.mark.parametrize("n", [1, 6])
def test_mse_grad_matches_autograd(n):
    inp, targ = _randn(n, 1, seed=1), _randn(n, seed=2)
    _, (expected,) = _autograd(lambda i: (i.squeeze(-1) - targ).pow(2).mean(), inp)
    backprop.mse_grad(inp, targ)
    assert tuple(inp.g.shape) == (n, 1), f"inp ({n}, 1): expected inp.g of shape ({n}, 1), got {tuple(inp.g.shape)}"
    assert inp.g.dtype == torch.float64, f"float64 in should give float64 out, got {inp.g.dtype}"
    torch.testing.assert_close(inp.g, expected)


@pytest.mark.mse_grad
def test_mse_grad_small_example():
    inp = torch.tensor([[1.0], [3.0]])
    backprop.mse_grad(inp, torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(inp.g, torch.tensor([[1.0], [2.0]]))


# ---------------------------------------------------------------- relu_grad


@pytest.mark.relu_grad
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_relu_grad_matches_autograd(dtype):
    inp = torch.tensor([[-2.0, 0.0, 1.5], [3.0, -0.5, 0.0]], dtype=dtype)
    out = inp.clamp_min(0.0)
    out.g = _randn(2, 3, seed=3, dtype=dtype)
    _, (expected,) = _autograd(lambda i: torch.relu(i) * out.g, inp)
    backprop.relu_grad(inp, out)
    assert inp.g.dtype == dtype, f"inp is {dtype}: expected inp.g in {dtype}, got {inp.g.dtype}"
    torch.testing.assert_close(inp.g, expected, msg=lambda m: f"relu gradient (0 where inp <= 0): {m}")


# ---------------------------------------------------------------- lin_grad


@pytest.mark.lin_grad
def test_lin_grad_matches_autograd():
    inp, w, b = _randn(5, 4, seed=4), _randn(4, 3, seed=5), _randn(3, seed=6)
    upstream = _randn(5, 3, seed=7)
    _, expected = _autograd(lambda i, w_, b_: (i @ w_ + b_) * upstream, inp, w, b)
    out = inp @ w + b
    out.g = upstream
    backprop.lin_grad(inp, out, w, b)
    for name, t, exp in zip(["inp", "w", "b"], [inp, w, b], expected):
        assert tuple(t.g.shape) == tuple(t.shape), (
            f"{name}.g should have {name}'s shape {tuple(t.shape)}, got {tuple(t.g.shape)}"
        )
        torch.testing.assert_close(t.g, exp, msg=lambda m, name=name: f"{name}.g: {m}")


@pytest.mark.lin_grad
def test_lin_grad_stays_on_device():
    inp, w, b = torch.empty(5, 4, device="meta"), torch.empty(4, 3, device="meta"), torch.empty(3, device="meta")
    out = torch.empty(5, 3, device="meta")
    out.g = torch.empty(5, 3, device="meta")
    backprop.lin_grad(inp, out, w, b)
    for name, t in [("inp", inp), ("w", w), ("b", b)]:
        assert t.g.device.type == "meta", f"inputs on meta, {name}.g on {t.g.device}"
        assert tuple(t.g.shape) == tuple(t.shape), f"{name}.g: expected shape {tuple(t.shape)}, got {tuple(t.g.shape)}"


# ---------------------------------------------------------------- forward_and_backward


def _reference_loss(x, targ, w1, b1, w2, b2):
    out = torch.relu(x @ w1 + b1) @ w2 + b2
    return (out.squeeze(-1) - targ).pow(2).mean()


@pytest.mark.forward_and_backward
def test_forward_and_backward_matches_autograd():
    x, targ = _randn(8, 5, seed=8), _randn(8, seed=9)
    w1, b1, w2, b2 = _randn(5, 4, seed=10), _randn(4, seed=11), _randn(4, 1, seed=12), _randn(1, seed=13)
    expected_loss, expected = _autograd(lambda *a: _reference_loss(a[0], targ, *a[1:]), x, w1, b1, w2, b2)
    got = backprop.forward_and_backward(x, targ, w1, b1, w2, b2)
    assert got.ndim == 0, f"expected a rank-0 loss, got shape {tuple(got.shape)}"
    torch.testing.assert_close(got, expected_loss, msg=lambda m: f"loss: {m}")
    for name, t, exp in zip(["inp", "w1", "b1", "w2", "b2"], [x, w1, b1, w2, b2], expected):
        assert hasattr(t, "g"), f"{name}.g was not set"
        assert tuple(t.g.shape) == tuple(t.shape), (
            f"{name}.g should have {name}'s shape {tuple(t.shape)}, got {tuple(t.g.shape)}"
        )
        torch.testing.assert_close(t.g, exp, msg=lambda m, name=name: f"{name}.g: {m}")


@pytest.mark.forward_and_backward
def test_forward_and_backward_float32_and_inputs_unchanged():
    x, targ = _randn(6, 3, seed=14, dtype=torch.float32), _randn(6, seed=15, dtype=torch.float32)
    w1, w2 = _randn(3, 4, seed=16, dtype=torch.float32), _randn(4, 1, seed=17, dtype=torch.float32)
    params = [w1, torch.zeros(4), w2, torch.zeros(1)]
    before = [t.clone() for t in [x, targ, *params]]
    loss = backprop.forward_and_backward(x, targ, *params)
    assert loss.dtype == torch.float32, f"float32 in should give a float32 loss, got {loss.dtype}"
    for name, t in zip(["inp", "w1", "b1", "w2", "b2"], [x, *params]):
        assert t.g.dtype == torch.float32, f"{name}.g: expected float32, got {t.g.dtype}"
    for t, b in zip([x, targ, *params], before):
        torch.testing.assert_close(t, b, msg=lambda m: f"forward_and_backward must not change its inputs' values\n{m}")
    for name, t in zip(["inp", "w1", "b1", "w2", "b2"], [x, *params]):
        assert not t.requires_grad and t.grad is None, f"{name}: no autograd here (requires_grad or .grad was set)"


@pytest.mark.forward_and_backward
def test_forward_and_backward_stays_on_device():
    meta = dict(device="meta")
    x, targ = torch.empty(6, 3, **meta), torch.empty(6, **meta)
    w1, b1 = torch.empty(3, 4, **meta), torch.empty(4, **meta)
    w2, b2 = torch.empty(4, 1, **meta), torch.empty(1, **meta)
    loss = backprop.forward_and_backward(x, targ, w1, b1, w2, b2)
    assert loss.device.type == "meta", f"inputs on meta, loss on {loss.device}"
    for name, t in zip(["inp", "w1", "b1", "w2", "b2"], [x, w1, b1, w2, b2]):
        assert t.g.device.type == "meta", f"inputs on meta, {name}.g on {t.g.device}"
