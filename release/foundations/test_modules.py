# Generated from autograder/public/test_modules.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for modules.py: run `pytest test_modules.py`."""

import math

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

import feedback
import modules


class _CallNames(TorchFunctionMode):
    """Record the names of the torch functions called inside a `with` block."""

    def __init__(self):
        super().__init__()
        self.names = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.append(getattr(func, "__name__", repr(func)))
        return func(*args, **(kwargs or {}))


# --- linear_layer ------------------------------------------------------------


@pytest.mark.linear_layer
def test_linear_layer_parameters():
    torch.manual_seed(0)
    layer, what = feedback.run(modules.LinearLayer, 3, 2)
    shapes = {name: tuple(p.shape) for name, p in layer.named_parameters()}
    assert shapes == {"weight": (2, 3), "bias": (2,)}, (
        f"{what}.named_parameters() gave {shapes}, expected weight (n_out, n_in) = (2, 3) and bias (2,)"
    )
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.bias, nn.Parameter), (
        f"{what}: weight and bias should be nn.Parameters, got {type(layer.weight).__name__} and "
        f"{type(layer.bias).__name__}"
    )
    feedback.assert_close(layer.bias.detach(), torch.zeros(2), what, name="bias")
    assert set(layer.state_dict()) == {"weight", "bias"}, (
        f"{what}.state_dict() has the keys {sorted(layer.state_dict())}, expected ['bias', 'weight']"
    )


@pytest.mark.linear_layer
def test_linear_layer_kaiming_std():
    torch.manual_seed(0)
    n_in = 500
    layer, what = feedback.run(modules.LinearLayer, n_in, 400)
    std, expected = layer.weight.detach().std().item(), math.sqrt(2 / n_in)
    assert abs(std - expected) < 0.05 * expected, (
        f"{what}: the weight's std is {std:.4f}, expected about sqrt(2 / n_in) = {expected:.4f}"
    )
    mean = layer.weight.detach().mean().item()
    assert abs(mean) < 0.05 * expected, f"{what}: the weight's mean is {mean:.4f}, expected about 0"


@pytest.mark.linear_layer
def test_linear_layer_forward():
    torch.manual_seed(0)
    layer = modules.LinearLayer(4, 3)
    with torch.no_grad():
        layer.bias.copy_(torch.tensor([1.0, -2.0, 0.5]))
    x = torch.randn(5, 4)
    got, what = feedback.run(layer, x)
    expected = x @ layer.weight.detach().t() + layer.bias.detach()
    feedback.assert_close(got.detach(), expected, f"{what}, for a LinearLayer(4, 3),")  # (5, 3)


@pytest.mark.linear_layer
def test_linear_layer_uses_no_library_linear():
    torch.manual_seed(0)
    layer, what = feedback.run(modules.LinearLayer, 4, 3)
    assert not any(isinstance(m, nn.Linear) for m in layer.modules()), f"{what} wraps an nn.Linear: build it yourself"
    with _CallNames() as calls:
        layer(torch.randn(2, 4))
    assert "linear" not in calls.names, f"{what}.forward called functional.linear: {calls.names}"


@pytest.mark.linear_layer
def test_linear_layer_to_dtype_and_backward():
    torch.manual_seed(0)
    layer = modules.LinearLayer(3, 2).to(torch.float64)
    what = "LinearLayer(n_in 3, n_out 2).to(torch.float64)"
    assert layer.weight.dtype == layer.bias.dtype == torch.float64, (
        f"{what} left weight {layer.weight.dtype} and bias {layer.bias.dtype}: only nn.Parameters are converted"
    )
    out, what = feedback.run(layer, torch.randn(4, 3, dtype=torch.float64))
    assert out.dtype == torch.float64, f"{what} returned {out.dtype}, expected float64"
    out.sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.shape == (2, 3), (
        f"after {what}.sum().backward(), weight.grad is {layer.weight.grad!r:.60}, expected a (2, 3) gradient"
    )
    feedback.assert_close(layer.bias.grad, torch.full((2,), 4.0, dtype=torch.float64),
                          f"{what}.sum().backward()", name="bias.grad (1 for each of the 4 rows)")


# --- fastai_module -----------------------------------------------------------


@pytest.mark.fastai_module
def test_module_subclass_without_super_init():
    class Scaled(modules.Module):
        def __init__(self, n):
            self.scale = nn.Parameter(torch.ones(n))
            self.inner = nn.Linear(n, 1)

        def forward(self, x):
            return self.inner(x * self.scale)

    m, what = feedback.run(Scaled, 3)  # a Module subclass whose __init__ skips super().__init__()
    names = sorted(name for name, _ in m.named_parameters())
    assert names == ["inner.bias", "inner.weight", "scale"], (
        f"{what}.named_parameters() gave {names}, expected ['inner.bias', 'inner.weight', 'scale']"
    )
    out, what = feedback.run(m, torch.ones(2, 3))
    assert out.shape == (2, 1), f"{what} returned shape {tuple(out.shape)}, expected (2, 1)"


@pytest.mark.fastai_module
def test_module_subclass_with_super_init():
    class Plain(modules.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(2))

    plain, what = feedback.run(Plain)  # a Module subclass that does call super().__init__()
    names = [name for name, _ in plain.named_parameters()]
    assert names == ["w"], f"{what}.named_parameters() gave {names}, expected ['w']"


@pytest.mark.fastai_module
def test_mlp_parameters_and_state_dict():
    torch.manual_seed(0)
    model, what = feedback.run(modules.MLP, 3, 5, 1)
    assert isinstance(model, nn.Module), f"{what} is a {type(model).__name__}, expected an nn.Module"
    shapes = sorted(tuple(p.shape) for p in model.parameters())
    expected_shapes = sorted([(5, 3), (5,), (1, 5), (1,)])
    assert shapes == expected_shapes, f"{what} has parameters of shapes {shapes}, expected {expected_shapes}"
    keys = set(model.state_dict())
    expected = {"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"}
    assert keys == expected, f"{what}.state_dict() has the keys {sorted(keys)}, expected {sorted(expected)}"


@pytest.mark.fastai_module
def test_mlp_forward_returns_mse_and_backward():
    torch.manual_seed(0)
    model = modules.MLP(3, 5, 1)
    x, targ = torch.randn(6, 3), torch.randn(6)
    loss, what = feedback.run(model, x, targ)
    output = model.layers(x)
    expected = (output.squeeze(-1) - targ).pow(2).mean()
    feedback.assert_close(loss, expected, what, feedback.column_minus_vector(output, targ, loss), name="the loss")
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None for g in grads), f"{what}.backward() left some parameters without .grad"


@pytest.mark.fastai_module
def test_mlp_batch_of_one():
    torch.manual_seed(0)
    model = modules.MLP(2, 4, 1)
    x, targ = torch.randn(1, 2), torch.tensor([0.5])
    loss, what = feedback.run(model, x, targ)
    expected = (model.layers(x)[0, 0] - 0.5) ** 2
    feedback.assert_close(loss, expected, what, name="the loss")  # rank 0


@pytest.mark.fastai_module
def test_mlp_loss_rejects_different_batch_sizes():
    torch.manual_seed(0)
    model = modules.MLP(2, 4, 1)
    feedback.assert_raises(ValueError, "the batch sizes 5 and 7 differ", model, torch.randn(5, 2), torch.randn(7),
                           mentions=(5, 7))
