"""Hidden tests of layers.py: the layers as classes, the model, its backward pass.

The student's layers live in the child; the tensors they get are kept there
(`sub.keep`), so that the `.g` their backward passes leave can be read back
and compared with torch.autograd's gradients, computed here in float64.

PYTEST_DONT_REWRITE: the messages below are what a student reads, without
pytest's rewritten assertion details (which would print values).
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.hidden import checks
from autograder.hidden.strategies import float_dtypes, graded, randn
from autograder.sandbox.client import ChildGone, Outcome, Remote, StudentError

MODULE = "layers"

ITEM = "layer_classes"

NET = ("x", "w1", "b1", "w2", "b2")


# -- helpers ---------------------------------------------------------------------------


error_text = checks.error_text
probe = checks.probe




def build(sub, cls: str, *args, what: str) -> Remote:
    obj = checks.returned(sub.call(cls, *args, trace=False), what)
    assert isinstance(obj, Remote), f"{what} should build a {cls} object, got {type(obj).__name__}"
    return obj


def read_g(sub, kept: Remote, name: str, what: str) -> torch.Tensor:
    """The `.g` a backward pass left on a kept tensor."""
    try:
        g = kept.get("g")
    except StudentError:
        raise AssertionError(f"{what} should set {name}.g, but {name} has no .g afterwards") from None
    except ChildGone as exc:
        raise AssertionError(f"{what}: the process ended ({exc})") from None
    assert isinstance(g, torch.Tensor), f"{what}: {name}.g should be a tensor, got {type(g).__name__}"
    return g


def assert_g(sub, kept: Remote, expected: torch.Tensor, name: str, what: str) -> None:
    got = read_g(sub, kept, name, what)
    checks.assert_tensor(Outcome(value=got), expected, what=f"{what}: {name}.g")


def set_out_g(sub, layer: Remote, g: torch.Tensor, what: str) -> None:
    """`layer.out.g = g`: what the layer above leaves for this layer's backward."""
    probe(sub, "set_g", layer, g, "out", what=f"setting {what}.out.g (after calling the layer)")


autograd = checks.autograd


def relu(t):
    return torch.where(t > 0, t, torch.zeros_like(t))


def reference_loss(x, targ, w1, b1, w2, b2):
    out = relu(x @ w1 + b1) @ w2 + b2
    return (out.squeeze(-1) - targ).pow(2).mean()


def net(batch, n_in, nh, dtype=torch.float32, seed=0) -> tuple:
    """(x, w1, b1, w2, b2), targ."""
    params = (randn(batch, n_in, dtype=dtype, seed=seed), randn(n_in, nh, dtype=dtype, seed=seed + 1),
              randn(nh, dtype=dtype, seed=seed + 2), randn(nh, 1, dtype=dtype, seed=seed + 3),
              randn(1, dtype=dtype, seed=seed + 4))
    return params, randn(batch, dtype=dtype, seed=seed + 5)


def run_model(sub, params, targ, trace=False) -> tuple:
    """Build Model(w1, b1, w2, b2) on kept tensors, call it on (x, targ), go backward."""
    kept = {name: sub.keep(t) for name, t in zip(NET, params)}
    what = f"Model(w1, b1, w2, b2) on x {checks.shapes(params[:1])}"
    model = build(sub, "Model", *(kept[n] for n in NET[1:]), what=what)
    forward = model.call(kept["x"], targ, trace=trace)
    checks.returned(forward, f"{what}(x, targ)")
    backward = model.method("backward", trace=trace)
    checks.returned(backward, f"{what}.backward()")
    return kept, forward, backward, what


def check_model(sub, params, targ) -> None:
    kept, forward, _, what = run_model(sub, params, targ)
    dtype = params[0].dtype
    loss, grads = autograd(lambda *p: reference_loss(p[0], targ.double(), *p[1:]), *params)
    checks.assert_tensor(forward, loss.to(dtype), what=f"{what}: the loss")
    checks.assert_pure(forward, [params[0], targ], what=f"{what}(x, targ)")
    for name, expected in zip(NET, grads):
        assert_g(sub, kept[name], expected.to(dtype), name, f"{what}, then model.backward()")


# -- LayerFunction ---------------------------------------------------------------------


@pytest.mark.item(ITEM, weight=2)
def test_layer_function_call_stores_args_and_out_and_backward_calls_bwd(sub):
    x, y, g = randn(2, 3), randn(2, 3, seed=1), randn(2, 3, seed=2)
    what = "a LayerFunction subclass with forward(a, b) = a * b + 1"
    data = probe(sub, "layer_protocol", x, y, g, what=what, errors=True)
    if data.get("error"):
        raise AssertionError(f"{what}: {data['stage']} raised {error_text(data['error'])}")
    value = data["value"]
    assert isinstance(value, torch.Tensor), f"{what}: calling the layer should return forward's result, got {value}"
    checks.close(value, x * y + 1, what=f"{what}: the value of layer(x, y)")
    assert data["has_out"] and data["out_is_value"], (
        f"{what}: __call__ should store forward's result in self.out and return it"
    )
    assert data["args"] == ["x", "y"], (
        f"{what}: __call__ should store its arguments in self.args, expected (x, y), got {data['args']}"
    )
    assert len(data["bwd_calls"]) == 1, (
        f"{what}: layer.backward() should call bwd once, called it {len(data['bwd_calls'])} times"
    )
    out_first, a, b = data["bwd_calls"][0]
    assert out_first and (a, b) == ("x", "y"), (
        f"{what}: layer.backward() should call self.bwd(self.out, *self.args)"
    )
    for name, got, expected in (("x", data["x_g"], g * y), ("y", data["y_g"], g * x)):
        assert isinstance(got, torch.Tensor), (
            f"{what}: after layer.backward(), {name}.g should be set by bwd, got {checks.describe_placement(got)}"
        )
        checks.close(got, expected, what=f"{what}: {name}.g after layer.backward()")
    no_bwd = data["no_bwd"]
    assert no_bwd is not None and no_bwd["type"] == "NotImplementedError", (
        "a LayerFunction subclass that defines no bwd: its backward() should reach the base bwd, which "
        "raises NotImplementedError; " + ("nothing was raised" if no_bwd is None else f"got {error_text(no_bwd)}")
    )


@pytest.mark.item(ITEM, weight=1)
def test_layer_function_base_methods_raise(sub):
    # Only meaningful once calling a layer works: the stub's own __call__ raises too.
    x = randn(2, 2)
    data = probe(sub, "layer_protocol", x, x, x, what="a LayerFunction subclass", errors=True)
    assert data.get("stage") != "calling the layer", (
        "calling a LayerFunction subclass with forward(a, b) = a * b + 1 raised "
        f"{error_text(data['error'])}"
    )
    base = build(sub, "LayerFunction", what="LayerFunction()")
    for method, args in (("forward", (x,)), ("bwd", (x, x))):
        outcome = base.method(method, *args, trace=False)
        checks.assert_raises(outcome, "NotImplementedError", what=f"LayerFunction().{method}(...)")
    checks.assert_raises(base.call(x, trace=False), "NotImplementedError",
                         what="calling LayerFunction() itself (its forward is not defined)")


# -- Relu, Lin and Mse -------------------------------------------------------------------


@pytest.mark.item(ITEM, weight=1)
def test_relu_layer_matches_autograd(sub):
    for dtype in (torch.float64, torch.float32):
        inp = randn(3, 4, dtype=dtype, seed=1)
        inp.view(-1)[::3] = 0.0  # exact zeros: gradient 0, as torch
        upstream = randn(3, 4, dtype=dtype, seed=2)
        what = f"Relu() on {checks.shapes([inp])}"
        relu_layer, kept = build(sub, "Relu", what="Relu()"), sub.keep(inp)
        outcome = relu_layer.call(kept, trace=False)
        checks.assert_tensor(outcome, relu(inp), what=what)
        checks.assert_pure(outcome, [inp], what=what)
        set_out_g(sub, relu_layer, upstream, "Relu()")
        checks.returned(relu_layer.method("backward", trace=False), f"{what}, then backward()")
        _, (expected,) = autograd(lambda i: (torch.relu(i) * upstream.double()).sum(), inp)
        assert_g(sub, kept, expected.to(dtype), "inp", f"{what}, then backward()")


@st.composite
def lin_cases(draw):
    batch, n_in, n_out = (draw(st.integers(1, 5)) for _ in range(3))
    return batch, n_in, n_out, draw(float_dtypes), draw(st.integers(0, 2**16))


def check_lin(sub, batch, n_in, n_out, dtype, seed):
    inp, w = randn(batch, n_in, dtype=dtype, seed=seed), randn(n_in, n_out, dtype=dtype, seed=seed + 1)
    b, upstream = randn(n_out, dtype=dtype, seed=seed + 2), randn(batch, n_out, dtype=dtype, seed=seed + 3)
    what = f"Lin(w, b) with w, b {checks.shapes([w, b])} on inp {checks.shapes([inp])}"
    kept = {"inp": sub.keep(inp), "w": sub.keep(w), "b": sub.keep(b)}
    layer = build(sub, "Lin", kept["w"], kept["b"], what="Lin(w, b)")
    outcome = layer.call(kept["inp"], trace=False)
    checks.assert_tensor(outcome, inp @ w + b, what=what)
    checks.assert_pure(outcome, [inp], what=what)
    set_out_g(sub, layer, upstream, "Lin(w, b)")
    checks.returned(layer.method("backward", trace=False), f"{what}, then backward()")
    _, expected = autograd(lambda i, w_, b_: ((i @ w_ + b_) * upstream.double()).sum(), inp, w, b)
    for name, e in zip(("inp", "w", "b"), expected):
        assert_g(sub, kept[name], e.to(dtype), name, f"{what}, then backward()")


@pytest.mark.item(ITEM, weight=2)
@graded
@given(case=lin_cases())
def test_lin_layer_matches_autograd(sub, case):
    check_lin(sub, *case)


@pytest.mark.item(ITEM, weight=1)
def test_mse_layer_matches_autograd(sub):
    for n, dtype in ((6, torch.float64), (1, torch.float32)):
        inp, targ = randn(n, 1, dtype=dtype, seed=n), randn(n, dtype=dtype, seed=n + 1)
        what = f"Mse() on {checks.shapes([inp, targ])}"
        layer, kept = build(sub, "Mse", what="Mse()"), sub.keep(inp)
        outcome = layer.call(kept, targ, trace=False)
        loss, (expected,) = autograd(lambda i: (i.squeeze(-1) - targ.double()).pow(2).mean(), inp)
        checks.assert_tensor(outcome, loss.to(dtype), what=f"{what}: the loss (rank 0)")
        checks.returned(layer.method("backward", trace=False), f"{what}, then backward()")
        assert_g(sub, kept, expected.to(dtype), "inp", f"{what}, then backward()")


# -- Model --------------------------------------------------------------------------------


@pytest.mark.item(ITEM, weight=1)
def test_model_structure(sub):
    params, _ = net(4, 3, 2)
    model = build(sub, "Model", *params[1:], what="Model(w1, b1, w2, b2)")
    layers = model.get("layers")
    kinds = [getattr(layer, "type", type(layer).__name__) for layer in layers] \
        if isinstance(layers, (list, tuple)) else type(layers).__name__
    assert kinds == ["Lin", "Relu", "Lin"], f"Model(...).layers should be [Lin, Relu, Lin], got {kinds}"
    loss = model.get("loss")
    assert getattr(loss, "type", None) == "Mse", (
        f"Model(...).loss should be an Mse, got {getattr(loss, 'type', type(loss).__name__)}"
    )


@st.composite
def net_cases(draw):
    batch, n_in, nh = (draw(st.integers(1, 5)) for _ in range(3))
    return net(batch, n_in, nh, draw(float_dtypes), draw(st.integers(0, 2**16)))


@pytest.mark.item(ITEM, weight=4)
@graded
@given(case=net_cases())
def test_model_matches_autograd(sub, case):
    check_model(sub, *case)


@pytest.mark.item(ITEM, weight=1)
def test_model_edge_cases(sub):
    check_model(sub, *net(1, 3, 4))  # a batch of one
    check_model(sub, *net(20, 10, 50, torch.float64, seed=1))


@pytest.mark.item(ITEM, weight=1)
def test_model_uses_no_autograd(sub):
    params, targ = net(6, 3, 4)
    kept, forward, backward, what = run_model(sub, params, targ, trace=True)
    checks.assert_no_autograd(forward, f"{what}(x, targ)")
    checks.assert_no_autograd(backward, f"{what}.backward()", kept)


@pytest.mark.item(ITEM, weight=1)
def test_model_keeps_the_device(sub, ref_child, record_property):
    ran = []
    runs = checks.probe_on_devices(sub, ref_child, "model_on_device", [[6, 3, 4], "float32"],
                                   lambda device: f"Model on {device} tensors (x (6, 3), w1 (3, 4), w2 (4, 1)), "
                                                  "then backward()")
    for device, expected, got, what in runs:
        assert got["loss"] == expected["loss"], (
            f"{what}: the loss should be {checks.describe_placement(expected['loss'])}, "
            f"got {checks.describe_placement(got['loss'])}"
        )
        for name in NET:
            assert got["g"][name] == expected["g"][name], (
                f"{what}: {name}.g should be {checks.describe_placement(expected['g'][name])}, "
                f"got {checks.describe_placement(got['g'][name])} "
                f"({checks.SAME_DEVICE})"
            )
        ran.append(checks.device_label(device))
    record_property("devices", ",".join(ran))
