"""Hidden tests of modules.py: a linear layer as an nn.Module, and fastai's Module."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.hidden import checks
from autograder.hidden.strategies import float_dtypes, graded, randn
from autograder.sandbox import cuda
from autograder.sandbox.client import Remote, Transposed

MODULE = "modules"
DEVICES = ["meta"] + (["cuda"] if cuda.available() else [])


# -- helpers ---------------------------------------------------------------------------


error_text = checks.error_text
probe = checks.probe


def build(sub, cls: str, *args, seed: int = 0) -> Remote:
    """`cls(*args)` in the child, drawn from a seeded global generator."""
    what = f"{cls}({', '.join(map(str, args))})"
    probe(sub, "manual_seed", seed, what="seeding the generator")
    obj = checks.returned(sub.call(cls, *args), what)
    assert isinstance(obj, Remote), f"{what} should build a module, got {type(obj).__name__}"
    return obj


def set_parameters(sub, module: Remote, values: dict, what: str) -> None:
    data = probe(sub, "set_parameters", module, values, what=f"setting the parameters of {what}")
    assert not data["missing"], f"{what} has no parameter named {', '.join(data['missing'])}"
    for name, have, want in data["mismatched"]:
        raise AssertionError(f"{what}: {name} has shape {tuple(have)}, expected {tuple(want)}")


def to_dtype(sub, module: Remote, dtype: torch.dtype, what: str) -> None:
    name = str(dtype).removeprefix("torch.")
    got = probe(sub, "module_to", module, name, what=f"{what}.to({dtype})")
    assert got and all(d == name for d in got), (
        f"{what}.to({dtype}) should move every parameter to {name}; the parameters are {', '.join(got) or 'none'}"
    )


def parameters(sub, module: Remote, what: str) -> dict:
    return dict(probe(sub, "parameters", module, what=f"{what}.named_parameters()"))


def assert_on_device(sub, cls: str, init: list, inputs: list, out_shape: list, device: str):
    what = f"{cls}({', '.join(map(str, init))}).to({device!r}) on {', '.join(str(tuple(s)) for s, _ in inputs)}"
    data = probe(sub, "module_on_device", cls, init, device, inputs, what=what)
    wrong = {name: d for name, d in data["params"].items() if not d.startswith(device)}
    assert not wrong, f"{what}: parameters left behind: {', '.join(f'{n} on {d}' for n, d in wrong.items())}"
    out_device, shape, dtype = data["out"]
    assert out_device.startswith(device) and shape == out_shape and dtype == inputs[0][1], (
        f"{what}: expected a {inputs[0][1]} {tuple(out_shape)} result on {device}, "
        f"got {dtype} {tuple(shape)} on {out_device}"
    )


# -- linear_layer ------------------------------------------------------------------------


@pytest.mark.item("linear_layer", weight=2)
def test_linear_layer_parameters(sub):
    for n_in, n_out in [(3, 2), (1, 1), (4, 7)]:
        what = f"LinearLayer({n_in}, {n_out})"
        layer = build(sub, "LinearLayer", n_in, n_out)
        kinds = probe(sub, "parameter_kinds", layer, what=f"{what}.named_parameters()")
        shapes = {name: tuple(shape) for name, shape, *_ in kinds}
        expected = {"weight": (n_out, n_in), "bias": (n_out,)}
        assert shapes == expected, f"{what}: the parameters should be {expected}, got {shapes}"
        for name, _, dtype, is_parameter, requires_grad in kinds:
            assert is_parameter and requires_grad, f"{what}.{name} should be an nn.Parameter that requires grad"
            assert dtype == "float32", f"{what}.{name} should be float32, got {dtype}"
        bias = parameters(sub, layer, what)["bias"]
        assert torch.count_nonzero(bias) == 0, f"{what}: the bias should start at zeros"
        keys = probe(sub, "state_dict_keys", layer, what=f"{what}.state_dict()")
        assert sorted(keys) == ["bias", "weight"], f"{what}.state_dict() keys should be weight and bias, got {keys}"


# Weights of 20,000 draws; over 1000 seeds the reference stays within 1.6% of
# sqrt(2 / n_in) in standard deviation, 0.025 std of zero in mean, and keeps
# a kurtosis in [2.88, 3.11] (a normal's is 3, a uniform's 1.8).
KAIMING = [(50, 400, 0), (400, 50, 1)]


def weight_sample(sub, n_in, n_out, seed) -> torch.Tensor:
    layer = build(sub, "LinearLayer", n_in, n_out, seed=seed)
    weight = parameters(sub, layer, f"LinearLayer({n_in}, {n_out})").get("weight")
    assert isinstance(weight, torch.Tensor) and weight.numel() == n_in * n_out, (
        f"LinearLayer({n_in}, {n_out}) should have a weight of {n_in * n_out} elements"
    )
    return weight.double()


@pytest.mark.item("linear_layer", weight=2)
def test_linear_layer_kaiming_std(sub):
    for n_in, n_out, seed in KAIMING:
        weight = weight_sample(sub, n_in, n_out, seed)
        std, mean, expected = weight.std().item(), weight.mean().item(), math.sqrt(2 / n_in)
        assert abs(std / expected - 1) < 0.04, (
            f"LinearLayer({n_in}, {n_out}): the weight's standard deviation should be about "
            f"sqrt(2 / n_in) = {expected:.4f}, got {std:.4f}"
        )
        assert abs(mean) < 0.06 * expected, (
            f"LinearLayer({n_in}, {n_out}): the weight's mean should be about 0, got {mean:.4f}"
        )


@pytest.mark.item("linear_layer", weight=1)
def test_linear_layer_weights_are_normal(sub):
    for n_in, n_out, seed in KAIMING:
        weight = weight_sample(sub, n_in, n_out, seed)
        z = (weight - weight.mean()) / weight.std()
        kurtosis = (z**4).mean().item()
        assert 2.7 < kurtosis < 3.3, (
            f"LinearLayer({n_in}, {n_out}): the weights should be drawn from a normal distribution "
            f"(kurtosis 3), got a kurtosis of {kurtosis:.2f}"
        )


@st.composite
def linear_cases(draw):
    batch, n_in, n_out = (draw(st.integers(1, 5)) for _ in range(3))
    return batch, n_in, n_out, draw(float_dtypes), draw(st.integers(0, 2**16))


def forward_case(sub, batch, n_in, n_out, dtype, seed, transposed=False):
    """Forward through a LinearLayer with known weight and bias; returns (outcome, x, expected)."""
    what = f"LinearLayer({n_in}, {n_out})"
    layer = build(sub, "LinearLayer", n_in, n_out)
    if dtype != torch.float32:
        to_dtype(sub, layer, dtype, what)
    weight, bias = randn(n_out, n_in, dtype=dtype, seed=seed), randn(n_out, dtype=dtype, seed=seed + 1)
    set_parameters(sub, layer, {"weight": weight, "bias": bias}, what)
    x = Transposed(randn(n_in, batch, dtype=dtype, seed=seed + 2)) if transposed else randn(
        batch, n_in, dtype=dtype, seed=seed + 2)
    dense = x.base.t() if transposed else x
    return layer.call(x), x, dense @ weight.t() + bias


@pytest.mark.item("linear_layer", weight=3)
@graded
@given(case=linear_cases())
def test_linear_layer_forward_matches(sub, case):
    batch, n_in, n_out, dtype, seed = case
    outcome, x, expected = forward_case(sub, *case)
    checks.assert_tensor(outcome, expected, what=f"LinearLayer({n_in}, {n_out}) on {checks.shapes([x])}")
    checks.assert_pure(outcome, [x], what=f"LinearLayer({n_in}, {n_out})")


@pytest.mark.item("linear_layer", weight=1)
def test_linear_layer_forward_edge_cases(sub):
    cases = [(1, 1, 1, False), (1, 6, 3, False), (4, 3, 3, False), (5, 3, 2, True)]
    for batch, n_in, n_out, transposed in cases:
        outcome, x, expected = forward_case(sub, batch, n_in, n_out, torch.float32, 7, transposed)
        checks.assert_tensor(outcome, expected, what=f"LinearLayer({n_in}, {n_out}) on {checks.shapes([x])}")


@pytest.mark.item("linear_layer", weight=2)
def test_linear_layer_uses_no_library_linear(sub):
    outcome, x, _ = forward_case(sub, 4, 3, 2, torch.float32, 1)
    checks.returned(outcome, f"LinearLayer(3, 2) on {checks.shapes([x])}")
    checks.assert_traced(outcome, what="LinearLayer.forward")
    used = sorted(n for n in outcome.trace["calls"] if "linear" in n.lower())
    assert not used and outcome.kernels("linear") == 0, (
        f"LinearLayer.forward may not use nn.Linear or functional.linear, but called {', '.join(used) or 'linear'}"
    )
    layer = build(sub, "LinearLayer", 3, 2)
    inner = [name for name, kind, *_ in probe(sub, "named_modules", layer, what="LinearLayer(3, 2).modules()")
             if kind == "Linear"]
    assert not inner, f"LinearLayer may not wrap nn.Linear (found one at {', '.join(inner)})"


@pytest.mark.item("linear_layer", weight=2)
def test_linear_layer_backward(sub):
    for batch, n_in, n_out, seed in [(4, 3, 2, 0), (1, 5, 1, 1)]:
        what = f"LinearLayer({n_in}, {n_out})"
        layer = build(sub, "LinearLayer", n_in, n_out)
        to_dtype(sub, layer, torch.float64, what)
        weight = randn(n_out, n_in, dtype=torch.float64, seed=seed)
        bias = randn(n_out, dtype=torch.float64, seed=seed + 1)
        set_parameters(sub, layer, {"weight": weight, "bias": bias}, what)
        x = randn(batch, n_in, dtype=torch.float64, seed=seed + 2)
        data = probe(sub, "forward_backward", layer, x, what=f"{what} forward and backward on {checks.shapes([x])}")
        ones = torch.ones(batch, n_out, dtype=torch.float64)
        expected = {"weight": ones.t() @ x, "bias": ones.sum(0)}
        grads = data["grads"]
        assert set(grads) == set(expected), f"{what}: gradients for {sorted(grads)}, expected weight and bias"
        for name, want in expected.items():
            assert grads[name] is not None, f"{what}: backward left {name}.grad empty"
            checks.close(grads[name], want, what=f"{what}: {name}.grad after out.sum().backward() on {checks.shapes([x])}")
        checks.close(data["x_grad"], ones @ weight, what=f"{what}: the input's gradient on {checks.shapes([x])}")


@pytest.mark.item("linear_layer", weight=1)
def test_linear_layer_moves_with_to_device(sub, record_property):
    for device in DEVICES:
        assert_on_device(sub, "LinearLayer", [3, 2], [[[4, 3], "float32"]], [4, 2], device)
    record_property("devices", ",".join(DEVICES))


# -- fastai_module -----------------------------------------------------------------------

SUBCLASS_PARAMS = ["lin.bias", "lin.weight", "scale"]


def subclass(sub, variant: str, what: str) -> dict:
    data = probe(sub, "subclass_of_module", variant, what=what)
    assert data["is_module"], f"{what}: the object should be an nn.Module"
    return data


@pytest.mark.item("fastai_module", weight=2)
def test_module_subclass_without_super_init(sub):
    what = "a subclass of Module whose __init__ assigns a Parameter and an nn.Linear, without super().__init__()"
    data = subclass(sub, "no_super", what)
    assert data["params"] == SUBCLASS_PARAMS, f"{what}: named_parameters gave {data['params']}, expected {SUBCLASS_PARAMS}"
    assert data["children"] == ["lin"], f"{what}: named_children gave {data['children']}, expected ['lin']"
    assert data["out"] == [2, 2], f"{what}: its forward gave shape {data['out']}, expected [2, 2]"


@pytest.mark.item("fastai_module", weight=2)
def test_module_subclass_calling_super_init(sub):
    for variant, when in [("super_first", "before"), ("super_after", "after")]:
        what = f"a subclass of Module that calls super().__init__() {when} assigning its layers"
        data = subclass(sub, variant, what)
        assert data["params"] == SUBCLASS_PARAMS, (
            f"{what}: named_parameters gave {data['params']}, expected {SUBCLASS_PARAMS}"
            + (" (calling super().__init__() must not reset nn.Module)" if when == "after" else "")
        )


@pytest.mark.item("fastai_module", weight=1)
def test_module_subclasses_with_arguments_and_inheritance(sub):
    cases = [
        ("keywords", "a subclass of Module built with a keyword argument, registering a buffer",
         {"params": ["lin.bias", "lin.weight"], "buffers": ["count"], "out": [2, 4]}),
        ("no_init", "a subclass of Module without __init__, given a layer afterwards",
         {"params": ["lin.bias", "lin.weight"], "out": [2, 2]}),
        ("derived", "a subclass of a subclass of Module",
         {"params": ["head.bias", "head.weight"] + SUBCLASS_PARAMS, "out": [2, 1]}),
        ("two", "two instances of a subclass of Module", {"params": SUBCLASS_PARAMS}),
        ("base", "Module() itself", {}),
    ]
    for variant, what, expected in cases:
        data = subclass(sub, variant, what)
        for key, want in expected.items():
            assert data[key] == want, f"{what}: {key} gave {data[key]}, expected {want}"
    state = subclass(sub, "keywords", "a subclass of Module with a buffer")["state_dict"]
    assert state == ["count", "lin.bias", "lin.weight"], f"state_dict keys {state}, expected count, lin.bias, lin.weight"


MLP_MODULES = [("layers", "Sequential"), ("layers.0", "Linear"), ("layers.1", "ReLU"), ("layers.2", "Linear")]


@pytest.mark.item("fastai_module", weight=2)
def test_mlp_structure(sub):
    n_in, nh, n_out = 3, 5, 1
    what = f"MLP({n_in}, {nh}, {n_out})"
    model = build(sub, "MLP", n_in, nh, n_out)
    assert probe(sub, "is_subclass_of", "MLP", "Module", what="issubclass(MLP, Module)"), "MLP should subclass Module"
    assert probe(sub, "is_instance", model, "Module", what=what), f"{what} should be an nn.Module"
    found = probe(sub, "named_modules", model, what=f"{what}.named_modules()")
    layers = [(name, kind) for name, kind, *_ in found if name.startswith("layers")]
    assert layers == MLP_MODULES, (
        f"{what}.layers should be nn.Sequential(nn.Linear, nn.ReLU, nn.Linear); the submodules are {layers}"
    )
    sizes = {name: (i, o) for name, _, i, o in found if name in ("layers.0", "layers.2")}
    assert sizes == {"layers.0": (n_in, nh), "layers.2": (nh, n_out)}, (
        f"{what}: the Linear layers map {sizes}, expected layers.0 {n_in} -> {nh} and layers.2 {nh} -> {n_out}"
    )
    keys = sorted(probe(sub, "state_dict_keys", model, what=f"{what}.state_dict()"))
    expected = ["layers.0.bias", "layers.0.weight", "layers.2.bias", "layers.2.weight"]
    assert keys == expected, f"{what}.state_dict() keys {keys}, expected {expected}"


def mlp_expected(params: dict, x: torch.Tensor, targ: torch.Tensor) -> torch.Tensor:
    hidden = torch.relu(x @ params["layers.0.weight"].t() + params["layers.0.bias"])
    out = hidden @ params["layers.2.weight"].t() + params["layers.2.bias"]
    return (out.squeeze(-1) - targ).pow(2).mean()


def mlp_loss(sub, n, n_in, nh, seed, dtype=torch.float32):
    what = f"MLP({n_in}, {nh}, 1)"
    model = build(sub, "MLP", n_in, nh, 1, seed=seed)
    if dtype != torch.float32:
        to_dtype(sub, model, dtype, what)
    params = parameters(sub, model, what)
    missing = {"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"} - set(params)
    assert not missing, f"{what} has no parameters {', '.join(sorted(missing))}"
    x, targ = randn(n, n_in, dtype=dtype, seed=seed), randn(n, dtype=dtype, seed=seed + 1)
    outcome = model.call(x, targ)
    checks.assert_tensor(outcome, mlp_expected(params, x, targ),
                         what=f"the loss of {what} on x {checks.shapes([x])} and targ {checks.shapes([targ])}")
    checks.assert_pure(outcome, [x, targ], what=f"{what}(x, targ)")


@pytest.mark.item("fastai_module", weight=3)
@graded
@given(n=st.integers(1, 6), n_in=st.integers(1, 4), nh=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_mlp_loss_matches(sub, n, n_in, nh, seed):
    mlp_loss(sub, n, n_in, nh, seed)


@pytest.mark.item("fastai_module", weight=1)
def test_mlp_batch_of_one(sub):
    for n_in, nh in [(2, 4), (1, 1)]:
        mlp_loss(sub, 1, n_in, nh, 3)


@pytest.mark.item("fastai_module", weight=1)
def test_mlp_loss_rejects_different_batch_sizes(sub):
    model = build(sub, "MLP", 2, 4, 1)
    for n, m in [(5, 7), (9, 6)]:
        outcome = model.call(randn(n, 2), randn(m))
        checks.assert_raises(outcome, "ValueError", n, m, what=f"MLP(2, 4, 1) on x ({n}, 2) and targ ({m},)")


@pytest.mark.item("fastai_module", weight=1)
def test_mlp_backward(sub):
    what = "MLP(3, 4, 1)"
    model = build(sub, "MLP", 3, 4, 1, seed=5)
    to_dtype(sub, model, torch.float64, what)
    params = {k: v.clone().requires_grad_() for k, v in parameters(sub, model, what).items()}
    x, targ = randn(6, 3, dtype=torch.float64, seed=1), randn(6, dtype=torch.float64, seed=2)
    data = probe(sub, "forward_backward", model, x, targ, what=f"{what} forward and backward")
    x_ref = x.clone().requires_grad_()
    mlp_expected(params, x_ref, targ).backward()
    for name, p in params.items():
        got = data["grads"].get(name)
        assert got is not None, f"{what}: backward left {name}.grad empty"
        checks.close(got, p.grad, what=f"{what}: {name}.grad after loss.backward() on x (6, 3), targ (6,)")
    checks.close(data["x_grad"], x_ref.grad, what=f"{what}: the input's gradient on x (6, 3), targ (6,)")


@pytest.mark.item("fastai_module", weight=1)
def test_mlp_float64_and_devices(sub, record_property):
    mlp_loss(sub, 5, 3, 4, 9, dtype=torch.float64)
    for device in DEVICES:
        assert_on_device(sub, "MLP", [3, 4, 1], [[[5, 3], "float32"], [[5], "float32"]], [], device)
    record_property("devices", ",".join(DEVICES))
