# Generated from autograder/public/test_layers.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for layers.py: the layers as classes, checked against autograd."""

import pytest
import torch

import layers


def _randn(*shape, seed, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _autograd(f, *tensors):
    """The value of f(*tensors) and the gradients of f's sum with respect to each tensor."""
    leaves = [t.detach().clone().requires_grad_() for t in tensors]
    value = f(*leaves)
    grads = torch.autograd.grad(value.sum(), leaves)
    return value.detach(), grads


@pytest.mark.layer_classes
def test_layer_function_call_and_backward():
    class Triple(layers.LayerFunction):
        def forward(self, x):
            return 3 * x

        def bwd(self, out, x):
            x.g = 3 * out.g

    layer, x = Triple(), torch.tensor([1.0, 2.0])
    got = layer(x)
    torch.testing.assert_close(
        got, torch.tensor([3.0, 6.0]), msg=lambda m: f"calling a layer should return forward's result\n{m}"
    )
    assert layer.out is got, "__call__ should store its result in self.out"
    assert len(layer.args) == 1 and layer.args[0] is x, (
        f"__call__ should store its arguments in self.args, got {layer.args!r}"
    )
    layer.out.g = torch.tensor([1.0, 10.0])
    layer.backward()
    torch.testing.assert_close(
        x.g, torch.tensor([3.0, 30.0]), msg=lambda m: f"backward should call bwd(self.out, *self.args)\n{m}"
    )


@pytest.mark.layer_classes
def test_layer_function_without_bwd_cannot_go_backward():
    class PlusOne(layers.LayerFunction):
        def forward(self, x):
            return x + 1

    layer = PlusOne()
    got = layer(torch.tensor([1.0]))
    torch.testing.assert_close(
        got, torch.tensor([2.0]), msg=lambda m: f"calling a layer should return forward's result\n{m}"
    )
    with pytest.raises(NotImplementedError, match="bwd"):
        layer.backward()  # backward calls bwd, and the base bwd raises


@pytest.mark.layer_classes
def test_relu_layer_matches_autograd():
    inp = torch.tensor([[-1.0, 0.0, 2.0], [0.5, -3.0, 0.0]], dtype=torch.float64)
    upstream = _randn(2, 3, seed=1)
    expected_out, (expected_g,) = _autograd(lambda i: torch.relu(i) * upstream, inp)
    relu = layers.Relu()
    out = relu(inp)
    torch.testing.assert_close(out, torch.relu(inp), msg=lambda m: f"Relu forward: {m}")
    out.g = upstream
    relu.backward()
    torch.testing.assert_close(inp.g, expected_g, msg=lambda m: f"Relu backward, inp.g: {m}")


@pytest.mark.layer_classes
def test_lin_layer_matches_autograd():
    inp, w, b = _randn(5, 4, seed=2), _randn(4, 3, seed=3), _randn(3, seed=4)
    upstream = _randn(5, 3, seed=5)
    _, expected = _autograd(lambda i, w_, b_: (i @ w_ + b_) * upstream, inp, w, b)
    lin = layers.Lin(w, b)
    out = lin(inp)
    assert tuple(out.shape) == (5, 3), f"Lin with w (4, 3) on inp (5, 4): expected (5, 3), got {tuple(out.shape)}"
    torch.testing.assert_close(out, inp @ w + b, msg=lambda m: f"Lin forward: {m}")
    out.g = upstream
    lin.backward()
    for name, t, exp in zip(["inp", "w", "b"], [inp, w, b], expected):
        torch.testing.assert_close(t.g, exp, msg=lambda m, name=name: f"Lin backward, {name}.g: {m}")


@pytest.mark.layer_classes
def test_mse_layer_matches_autograd():
    inp, targ = _randn(6, 1, seed=6), _randn(6, seed=7)
    expected_loss, (expected_g,) = _autograd(lambda i: (i.squeeze(-1) - targ).pow(2).mean(), inp)
    mse = layers.Mse()
    got = mse(inp, targ)
    assert got.ndim == 0, f"Mse on (6, 1) and (6,): expected a rank-0 loss, got shape {tuple(got.shape)}"
    torch.testing.assert_close(got, expected_loss, msg=lambda m: f"Mse forward: {m}")
    mse.backward()
    assert tuple(inp.g.shape) == (6, 1), f"inp.g should have inp's shape (6, 1), got {tuple(inp.g.shape)}"
    torch.testing.assert_close(inp.g, expected_g, msg=lambda m: f"Mse backward, inp.g: {m}")


@pytest.mark.layer_classes
def test_model_structure():
    model = layers.Model(torch.ones(3, 2), torch.zeros(2), torch.ones(2, 1), torch.zeros(1))
    kinds = [type(layer) for layer in model.layers]
    names = [k.__name__ for k in kinds]
    assert kinds == [layers.Lin, layers.Relu, layers.Lin], f"expected layers [Lin, Relu, Lin], got {names}"
    assert isinstance(model.loss, layers.Mse), f"expected loss to be an Mse, got {type(model.loss).__name__}"


@pytest.mark.layer_classes
def test_model_matches_autograd():
    x, targ = _randn(8, 5, seed=8), _randn(8, seed=9)
    w1, b1, w2, b2 = _randn(5, 4, seed=10), _randn(4, seed=11), _randn(4, 1, seed=12), _randn(1, seed=13)

    def reference(x_, w1_, b1_, w2_, b2_):
        out = torch.relu(x_ @ w1_ + b1_) @ w2_ + b2_
        return (out.squeeze(-1) - targ).pow(2).mean()

    expected_loss, expected = _autograd(reference, x, w1, b1, w2, b2)
    model = layers.Model(w1, b1, w2, b2)
    got = model(x, targ)
    torch.testing.assert_close(got, expected_loss, msg=lambda m: f"Model loss: {m}")
    model.backward()
    for name, t, exp in zip(["x", "w1", "b1", "w2", "b2"], [x, w1, b1, w2, b2], expected):
        assert hasattr(t, "g"), f"{name}.g was not set by model.backward()"
        assert t.g.dtype == torch.float64, f"{name}.g: float64 in should give float64, got {t.g.dtype}"
        torch.testing.assert_close(t.g, exp, msg=lambda m, name=name: f"{name}.g: {m}")
        assert not t.requires_grad and t.grad is None, f"{name}: no autograd here (requires_grad or .grad was set)"


@pytest.mark.layer_classes
def test_model_stays_on_device():
    meta = dict(device="meta")
    x, targ = torch.empty(6, 3, **meta), torch.empty(6, **meta)
    w1, b1 = torch.empty(3, 4, **meta), torch.empty(4, **meta)
    w2, b2 = torch.empty(4, 1, **meta), torch.empty(1, **meta)
    model = layers.Model(w1, b1, w2, b2)
    loss = model(x, targ)
    model.backward()
    assert loss.device.type == "meta", f"inputs on meta, loss on {loss.device}"
    for name, t in zip(["x", "w1", "b1", "w2", "b2"], [x, w1, b1, w2, b2]):
        assert t.g.device.type == "meta", f"inputs on meta, {name}.g on {t.g.device}"
        assert tuple(t.g.shape) == tuple(t.shape), f"{name}.g: expected shape {tuple(t.shape)}, got {tuple(t.g.shape)}"
