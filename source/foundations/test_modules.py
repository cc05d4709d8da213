# Generated from autograder/public/test_modules.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for modules.py: run `pytest test_modules.py`."""

import math

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

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
    layer = modules.LinearLayer(3, 2)
    shapes = {name: tuple(p.shape) for name, p in layer.named_parameters()}
    assert shapes == {"weight": (2, 3), "bias": (2,)}, f"named_parameters gave {shapes}"
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.bias, nn.Parameter)
    torch.testing.assert_close(layer.bias.detach(), torch.zeros(2))
    assert set(layer.state_dict()) == {"weight", "bias"}, f"state_dict keys {sorted(layer.state_dict())}"


@pytest.mark.linear_layer
def test_linear_layer_kaiming_std():
    torch.manual_seed(0)
    n_in = 500
    layer = modules.LinearLayer(n_in, 400)
    std, expected = layer.weight.detach().std().item(), math.sqrt(2 / n_in)
    assert abs(std - expected) < 0.05 * expected, f"weight std {std:.4f}, expected about {expected:.4f}"
    mean = layer.weight.detach().mean().item()
    assert abs(mean) < 0.05 * expected, f"weight mean {mean:.4f}, expected about 0"


@pytest.mark.linear_layer
def test_linear_layer_forward():
    torch.manual_seed(0)
    layer = modules.LinearLayer(4, 3)
    with torch.no_grad():
        layer.bias.copy_(torch.tensor([1.0, -2.0, 0.5]))
    x = torch.randn(5, 4)
    got = layer(x)
    expected = x @ layer.weight.detach().t() + layer.bias.detach()
    assert got.shape == (5, 3), f"input (5, 4), output {tuple(got.shape)}, expected (5, 3)"
    torch.testing.assert_close(got.detach(), expected)


@pytest.mark.linear_layer
def test_linear_layer_uses_no_library_linear():
    torch.manual_seed(0)
    layer = modules.LinearLayer(4, 3)
    assert not any(isinstance(m, nn.Linear) for m in layer.modules()), "LinearLayer must not wrap nn.Linear"
    with _CallNames() as calls:
        layer(torch.randn(2, 4))
    assert "linear" not in calls.names, f"forward called functional.linear: {calls.names}"


@pytest.mark.linear_layer
def test_linear_layer_to_dtype_and_backward():
    torch.manual_seed(0)
    layer = modules.LinearLayer(3, 2).to(torch.float64)
    assert layer.weight.dtype == layer.bias.dtype == torch.float64, ".to(torch.float64) did not move the parameters"
    out = layer(torch.randn(4, 3, dtype=torch.float64))
    assert out.dtype == torch.float64, f"output dtype {out.dtype}"
    out.sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.shape == (2, 3)
    torch.testing.assert_close(layer.bias.grad, torch.full((2,), 4.0, dtype=torch.float64))


# --- fastai_module -----------------------------------------------------------


@pytest.mark.fastai_module
def test_module_subclass_without_super_init():
    class Scaled(modules.Module):
        def __init__(self, n):
            self.scale = nn.Parameter(torch.ones(n))
            self.inner = nn.Linear(n, 1)

        def forward(self, x):
            return self.inner(x * self.scale)

    m = Scaled(3)
    names = sorted(name for name, _ in m.named_parameters())
    assert names == ["inner.bias", "inner.weight", "scale"], f"named_parameters gave {names}"
    assert m(torch.ones(2, 3)).shape == (2, 1)


@pytest.mark.fastai_module
def test_module_subclass_with_super_init():
    class Plain(modules.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(2))

    names = [name for name, _ in Plain().named_parameters()]
    assert names == ["w"], f"named_parameters gave {names}"


@pytest.mark.fastai_module
def test_mlp_parameters_and_state_dict():
    torch.manual_seed(0)
    model = modules.MLP(3, 5, 1)
    assert isinstance(model, nn.Module)
    shapes = sorted(tuple(p.shape) for p in model.parameters())
    assert shapes == sorted([(5, 3), (5,), (1, 5), (1,)]), f"parameter shapes {shapes}"
    keys = set(model.state_dict())
    expected = {"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"}
    assert keys == expected, f"state_dict keys {sorted(keys)}, expected {sorted(expected)}"


@pytest.mark.fastai_module
def test_mlp_forward_returns_mse_and_backward():
    torch.manual_seed(0)
    model = modules.MLP(3, 5, 1)
    x, targ = torch.randn(6, 3), torch.randn(6)
    loss = model(x, targ)
    expected = (model.layers(x).squeeze(-1) - targ).pow(2).mean()
    assert loss.shape == (), f"the loss should be rank 0, got shape {tuple(loss.shape)}"
    torch.testing.assert_close(loss, expected)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None for g in grads), "backward left some parameters without .grad"


@pytest.mark.fastai_module
def test_mlp_batch_of_one():
    torch.manual_seed(0)
    model = modules.MLP(2, 4, 1)
    x, targ = torch.randn(1, 2), torch.tensor([0.5])
    loss = model(x, targ)
    expected = (model.layers(x)[0, 0] - 0.5) ** 2
    assert loss.shape == (), f"the loss should be rank 0, got shape {tuple(loss.shape)}"
    torch.testing.assert_close(loss, expected)


@pytest.mark.fastai_module
def test_mlp_loss_rejects_different_batch_sizes():
    torch.manual_seed(0)
    model = modules.MLP(2, 4, 1)
    with pytest.raises(ValueError) as info:
        model(torch.randn(5, 2), torch.randn(7))
    message = str(info.value)
    assert "5" in message and "7" in message, f"the message should name both batch sizes 5 and 7: {message!r}"
