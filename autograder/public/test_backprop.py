"""Public tests for backprop.py: gradients by hand, checked against autograd.

The expected gradients are computed here with torch autograd on float64
copies; the functions under test must not use autograd themselves.
"""

import pytest
import sympy
import torch

import backprop
import feedback


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


def _g(t, what, name="inp"):
    """t.g, which `what` should have set."""
    assert hasattr(t, "g"), f"{what} did not set {name}.g"
    return t.g


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
    got, what = feedback.run(backprop.chain_rule, f, g, X)
    assert sympy.simplify(got - expected) == 0, (
        f"{what} for f(g(x)) = {f(g(X))} returned {got}, expected an expression equal to {expected}"
    )


# ---------------------------------------------------------------- mse_grad


@pytest.mark.mse_grad
@pytest.mark.parametrize("n", [1, 6], ids=lambda n: f"n={n}")
def test_mse_grad_matches_autograd(n):
    inp, targ = _randn(n, 1, seed=1), _randn(n, seed=2)
    _, (expected,) = _autograd(lambda i: (i.squeeze(-1) - targ).pow(2).mean(), inp)
    _, what = feedback.run(backprop.mse_grad, inp, targ)
    trap = feedback.column_minus_vector(inp, targ, _g(inp, what), ("inp", "targ"))
    feedback.assert_close(inp.g, expected, what, trap, name="inp.g")  # inp's shape (n, 1) and dtype


@pytest.mark.mse_grad
def test_mse_grad_small_example():
    inp, targ = torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0])
    _, what = feedback.run(backprop.mse_grad, inp, targ)
    trap = feedback.column_minus_vector(inp, targ, _g(inp, what), ("inp", "targ"))
    feedback.assert_close(inp.g, torch.tensor([[1.0], [2.0]]), what, trap, name="inp.g")


# ---------------------------------------------------------------- relu_grad


@pytest.mark.relu_grad
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_relu_grad_matches_autograd(dtype):
    inp = torch.tensor([[-2.0, 0.0, 1.5], [3.0, -0.5, 0.0]], dtype=dtype)
    out = inp.clamp_min(0.0)
    out.g = _randn(2, 3, seed=3, dtype=dtype)
    _, (expected,) = _autograd(lambda i: torch.relu(i) * out.g, inp)
    _, what = feedback.run(backprop.relu_grad, inp, out)
    # inp.g is out.g where inp > 0 and 0 elsewhere, in inp's dtype
    feedback.assert_close(_g(inp, what), expected, what, name="inp.g")


# ---------------------------------------------------------------- lin_grad


@pytest.mark.lin_grad
def test_lin_grad_matches_autograd():
    inp, w, b = _randn(5, 4, seed=4), _randn(4, 3, seed=5), _randn(3, seed=6)
    upstream = _randn(5, 3, seed=7)
    _, expected = _autograd(lambda i, w_, b_: (i @ w_ + b_) * upstream, inp, w, b)
    out = inp @ w + b
    out.g = upstream
    _, what = feedback.run(backprop.lin_grad, inp, out, w, b)
    for name, t, exp in zip(["inp", "w", "b"], [inp, w, b], expected):
        # each gradient has the shape of what it belongs to
        feedback.assert_close(_g(t, what, name), exp, what, name=f"{name}.g")


@pytest.mark.lin_grad
def test_lin_grad_stays_on_device():
    inp, w, b = torch.empty(5, 4, device="meta"), torch.empty(4, 3, device="meta"), torch.empty(3, device="meta")
    out = torch.empty(5, 3, device="meta")
    out.g = torch.empty(5, 3, device="meta")
    _, what = feedback.run(backprop.lin_grad, inp, out, w, b)
    for name, t in [("inp", inp), ("w", w), ("b", b)]:
        feedback.assert_on_device(_g(t, what, name), "meta", what, name=f"{name}.g")
        assert tuple(t.g.shape) == tuple(t.shape), (
            f"{what}: {name}.g has shape {tuple(t.g.shape)}, expected {tuple(t.shape)}"
        )


# ---------------------------------------------------------------- forward_and_backward


def _reference_loss(x, targ, w1, b1, w2, b2):
    out = torch.relu(x @ w1 + b1) @ w2 + b2
    return (out.squeeze(-1) - targ).pow(2).mean()


@pytest.mark.forward_and_backward
def test_forward_and_backward_matches_autograd():
    x, targ = _randn(8, 5, seed=8), _randn(8, seed=9)
    w1, b1, w2, b2 = _randn(5, 4, seed=10), _randn(4, seed=11), _randn(4, 1, seed=12), _randn(1, seed=13)
    expected_loss, expected = _autograd(lambda *a: _reference_loss(a[0], targ, *a[1:]), x, w1, b1, w2, b2)
    got, what = feedback.run(backprop.forward_and_backward, x, targ, w1, b1, w2, b2)
    feedback.assert_close(got, expected_loss, what, name="the loss")  # rank 0
    for name, t, exp in zip(["inp", "w1", "b1", "w2", "b2"], [x, w1, b1, w2, b2], expected):
        feedback.assert_close(_g(t, what, name), exp, what, name=f"{name}.g")  # the shape of {name}


@pytest.mark.forward_and_backward
def test_forward_and_backward_float32_and_inputs_unchanged():
    x, targ = _randn(6, 3, seed=14, dtype=torch.float32), _randn(6, seed=15, dtype=torch.float32)
    w1, w2 = _randn(3, 4, seed=16, dtype=torch.float32), _randn(4, 1, seed=17, dtype=torch.float32)
    params = [w1, torch.zeros(4), w2, torch.zeros(1)]
    before = [t.clone() for t in [x, targ, *params]]
    loss, what = feedback.run(backprop.forward_and_backward, x, targ, *params)
    assert loss.dtype == torch.float32, f"{what} returned a {loss.dtype} loss, expected float32 (float32 in)"
    for name, t in zip(["inp", "w1", "b1", "w2", "b2"], [x, *params]):
        assert _g(t, what, name).dtype == torch.float32, f"{what}: {name}.g is {t.g.dtype}, expected float32"
    for name, t, b in zip(["inp", "targ", "w1", "b1", "w2", "b2"], [x, targ, *params], before):
        feedback.assert_unchanged(t, b, what, name=name)
    for name, t in zip(["inp", "w1", "b1", "w2", "b2"], [x, *params]):
        assert not t.requires_grad and t.grad is None, (
            f"{what}: {name} has requires_grad or .grad set: compute the gradients by hand, without autograd"
        )


@pytest.mark.forward_and_backward
def test_forward_and_backward_stays_on_device():
    meta = dict(device="meta")
    x, targ = torch.empty(6, 3, **meta), torch.empty(6, **meta)
    w1, b1 = torch.empty(3, 4, **meta), torch.empty(4, **meta)
    w2, b2 = torch.empty(4, 1, **meta), torch.empty(1, **meta)
    loss, what = feedback.run(backprop.forward_and_backward, x, targ, w1, b1, w2, b2)
    feedback.assert_on_device(loss, "meta", what, name="the loss")
    for name, t in zip(["inp", "w1", "b1", "w2", "b2"], [x, w1, b1, w2, b2]):
        feedback.assert_on_device(_g(t, what, name), "meta", what, name=f"{name}.g")
