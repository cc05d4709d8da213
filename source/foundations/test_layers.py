# Generated from autograder/public/test_layers.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for layers.py: the layers as classes, checked against autograd."""

import pytest
import torch

import feedback
import layers


def _randn(*shape, seed, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _autograd(f, *tensors):
    """The value of f(*tensors) and the gradients of f's sum with respect to each tensor."""
    leaves = [t.detach().clone().requires_grad_() for t in tensors]
    value = f(*leaves)
    grads = torch.autograd.grad(value.sum(), leaves)
    return value.detach(), grads


def _g(t, what, name):
    """t.g, which `what` should have set."""
    assert hasattr(t, "g"), f"{what} did not set {name}.g"
    return t.g


@pytest.mark.layer_classes
def test_layer_function_call_and_backward():
    class Triple(layers.LayerFunction):
        def forward(self, x):
            return 3 * x

        def bwd(self, out, x):
            x.g = 3 * out.g

    layer, x = Triple(), torch.tensor([1.0, 2.0])
    got, what = feedback.run(layer, x)  # Triple() is a LayerFunction whose forward(x) is 3 * x
    feedback.assert_close(got, torch.tensor([3.0, 6.0]), what)  # forward's result
    assert layer.out is got, f"{what} did not store its result in self.out"
    assert len(getattr(layer, "args", ())) == 1 and layer.args[0] is x, (
        f"{what} should store its arguments in self.args as (x,), got {getattr(layer, 'args', 'nothing')!r}"
    )
    layer.out.g = torch.tensor([1.0, 10.0])
    _, what = feedback.run(layer.backward)
    feedback.assert_close(_g(x, what, "x"), torch.tensor([3.0, 30.0]), what,
                          name="x.g (backward should call bwd(self.out, *self.args))")


@pytest.mark.layer_classes
def test_layer_function_without_bwd_cannot_go_backward():
    class PlusOne(layers.LayerFunction):
        def forward(self, x):
            return x + 1

    layer = PlusOne()
    got, what = feedback.run(layer, torch.tensor([1.0]))  # PlusOne() is a LayerFunction whose forward(x) is x + 1
    feedback.assert_close(got, torch.tensor([2.0]), what)
    with pytest.raises(NotImplementedError, match="bwd"):
        layer.backward()  # backward calls bwd, and the base bwd raises


@pytest.mark.layer_classes
def test_relu_layer_matches_autograd():
    inp = torch.tensor([[-1.0, 0.0, 2.0], [0.5, -3.0, 0.0]], dtype=torch.float64)
    upstream = _randn(2, 3, seed=1)
    expected_out, (expected_g,) = _autograd(lambda i: torch.relu(i) * upstream, inp)
    relu = layers.Relu()
    out, what = feedback.run(relu, inp)
    feedback.assert_close(out, torch.relu(inp), what)
    out.g = upstream
    _, what = feedback.run(relu.backward)
    feedback.assert_close(_g(inp, what, "inp"), expected_g, what, name="inp.g")


@pytest.mark.layer_classes
def test_lin_layer_matches_autograd():
    inp, w, b = _randn(5, 4, seed=2), _randn(4, 3, seed=3), _randn(3, seed=4)
    upstream = _randn(5, 3, seed=5)
    _, expected = _autograd(lambda i, w_, b_: (i @ w_ + b_) * upstream, inp, w, b)
    lin, made = feedback.run(layers.Lin, w, b)
    out, what = feedback.run(lin, inp)
    feedback.assert_close(out, inp @ w + b, f"{what}, with lin = {made},")  # (5, 3): here w is (n_in, n_out)
    out.g = upstream
    _, what = feedback.run(lin.backward)
    for name, t, exp in zip(["inp", "w", "b"], [inp, w, b], expected):
        feedback.assert_close(_g(t, what, name), exp, what, name=f"{name}.g")


@pytest.mark.layer_classes
def test_mse_layer_matches_autograd():
    inp, targ = _randn(6, 1, seed=6), _randn(6, seed=7)
    expected_loss, (expected_g,) = _autograd(lambda i: (i.squeeze(-1) - targ).pow(2).mean(), inp)
    mse = layers.Mse()
    got, what = feedback.run(mse, inp, targ)
    trap = feedback.column_minus_vector(inp, targ, got, ("inp", "targ"))
    feedback.assert_close(got, expected_loss, what, trap)  # rank 0
    _, what = feedback.run(mse.backward)
    trap = feedback.column_minus_vector(inp, targ, _g(inp, what, "inp"), ("inp", "targ"))
    feedback.assert_close(inp.g, expected_g, what, trap, name="inp.g")  # inp's shape (6, 1)


@pytest.mark.layer_classes
def test_model_structure():
    model, what = feedback.run(layers.Model, torch.ones(3, 2), torch.zeros(2), torch.ones(2, 1), torch.zeros(1))
    kinds = [type(layer) for layer in model.layers]
    names = [k.__name__ for k in kinds]
    assert kinds == [layers.Lin, layers.Relu, layers.Lin], f"{what}.layers is {names}, expected [Lin, Relu, Lin]"
    assert isinstance(model.loss, layers.Mse), f"{what}.loss is a {type(model.loss).__name__}, expected an Mse"


@pytest.mark.layer_classes
def test_model_matches_autograd():
    x, targ = _randn(8, 5, seed=8), _randn(8, seed=9)
    w1, b1, w2, b2 = _randn(5, 4, seed=10), _randn(4, seed=11), _randn(4, 1, seed=12), _randn(1, seed=13)

    def reference(x_, w1_, b1_, w2_, b2_):
        out = torch.relu(x_ @ w1_ + b1_) @ w2_ + b2_
        return (out.squeeze(-1) - targ).pow(2).mean()

    expected_loss, expected = _autograd(reference, x, w1, b1, w2, b2)
    model, _ = feedback.run(layers.Model, w1, b1, w2, b2)
    got, what = feedback.run(model, x, targ)
    feedback.assert_close(got, expected_loss, what, name="the loss")
    _, what = feedback.run(model.backward)
    for name, t, exp in zip(["x", "w1", "b1", "w2", "b2"], [x, w1, b1, w2, b2], expected):
        feedback.assert_close(_g(t, what, name), exp, what, name=f"{name}.g")  # float64 in, float64 gradients
        assert not t.requires_grad and t.grad is None, (
            f"{what}: {name} has requires_grad or .grad set: compute the gradients by hand, without autograd"
        )


@pytest.mark.layer_classes
def test_model_stays_on_device():
    meta = dict(device="meta")
    x, targ = torch.empty(6, 3, **meta), torch.empty(6, **meta)
    w1, b1 = torch.empty(3, 4, **meta), torch.empty(4, **meta)
    w2, b2 = torch.empty(4, 1, **meta), torch.empty(1, **meta)
    model, _ = feedback.run(layers.Model, w1, b1, w2, b2)
    loss, what = feedback.run(model, x, targ)
    feedback.assert_on_device(loss, "meta", what, name="the loss")
    _, what = feedback.run(model.backward)
    for name, t in zip(["x", "w1", "b1", "w2", "b2"], [x, w1, b1, w2, b2]):
        feedback.assert_on_device(_g(t, what, name), "meta", what, name=f"{name}.g")
        assert tuple(t.g.shape) == tuple(t.shape), (
            f"{what}: {name}.g has shape {tuple(t.g.shape)}, expected {tuple(t.shape)}"
        )
