"""Hidden tests of backprop.py: the chain rule and gradients by hand, against autograd.

Expected gradients come from torch.autograd in float64, here in the grader;
the student's `.g` comes back from the child. The student's code may use no
autograd at all: its torch calls are traced, and tensors it gets come back
without `.grad` and without `requires_grad`.

PYTEST_DONT_REWRITE: the messages below are what a student reads, without
pytest's rewritten assertion details (which would print values).
"""

from __future__ import annotations

import pytest
import sympy
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.hidden import checks
from autograder.hidden.strategies import float_dtypes, graded, randn
from autograder.sandbox import wire
from autograder.sandbox.client import Outcome, Remote

MODULE = "backprop"

# -- helpers ---------------------------------------------------------------------------


error_text = checks.error_text
probe = checks.probe


autograd = checks.autograd


def keep_with_g(sub, t: torch.Tensor, g: torch.Tensor) -> Remote:
    """`t` kept in the child with `t.g = g`, as the layer above would leave it."""
    kept = sub.keep(t)
    probe(sub, "set_g", kept, g, what="setting out.g")
    return kept


def assert_g(outcome: Outcome, position: int, expected: torch.Tensor, *, name: str, what: str) -> None:
    """Argument `position` got `.g` equal to `expected` (shape, dtype, values)."""
    checks.returned(outcome, what)
    got = outcome.grad(position)
    assert got is not None, f"{what} should set {name}.g, but {name} has no .g afterwards"
    checks.assert_tensor(Outcome(value=got), expected, what=f"{what}: {name}.g")


def assert_no_autograd(outcome: Outcome, kept: dict, what: str) -> None:
    checks.returned(outcome, what)
    checks.assert_no_autograd(outcome, what, kept)


def grads_keep_the_device(sub, ref_child, name, specs, preset, record=None) -> None:
    """`name` on fresh tensors on simulated (and real) CUDA: every `.g` it
    sets, and its result, must stay on the inputs' device."""
    described = ", ".join(f"{tuple(shape)} {dtype}" for shape, dtype in specs)
    ran = []
    runs = checks.probe_on_devices(sub, ref_child, "grads_on_device", [name, specs, preset],
                                   lambda device: f"{name} on {device} tensors ({described})")
    for device, expected, got, what in runs:
        for i, (want, have) in enumerate(zip(expected["g"], got["g"])):
            if i in preset or want is None:
                continue
            assert have == want, (
                f"{what}: .g of argument {i + 1} should be {checks.describe_placement(want)}, "
                f"got {checks.describe_placement(have)} ({checks.SAME_DEVICE})"
            )
        assert got["value"] == expected["value"], (
            f"{what}: the result should be {checks.describe_placement(expected['value'])}, "
            f"got {checks.describe_placement(got['value'])}"
        )
        ran.append(checks.device_label(device))
    if record is not None:
        record("devices", ",".join(ran))


# -- chain_rule --------------------------------------------------------------------------

T = sympy.Symbol("t")
X, Z = sympy.Symbol("x"), sympy.Symbol("z")
CHAINS = [  # (f(t), g(t), the variable)
    (sympy.sin(T), T**2, X),
    (sympy.exp(T), 3 * T + 1, X),
    (T**3, sympy.cos(T), Z),
    (sympy.log(T), T**2 + 1, X),
    (1 / T, sympy.sin(T) + 2, Z),
    (sympy.tanh(T), 5 * T**3, X),
]


def chain(sub, f_body, g_body, x):
    f = sub.callable(kind="sympy", var=wire.encode_sympy(T), body=wire.encode_sympy(f_body))
    g = sub.callable(kind="sympy", var=wire.encode_sympy(T), body=wire.encode_sympy(g_body))
    outcome = sub.call("chain_rule", f, g, x)
    return outcome, f


def chain_what(f_body, g_body, x) -> str:
    return f"chain_rule(f, g, {x}) with f(t) = {f_body}, g(t) = {g_body}"


@pytest.mark.item("chain_rule", weight=3)
def test_chain_rule_values(sub):
    for f_body, g_body, x in CHAINS:
        what = chain_what(f_body, g_body, x)
        outcome, _ = chain(sub, f_body, g_body, x)
        got = checks.returned(outcome, what)
        expected = sympy.diff(f_body.subs(T, g_body.subs(T, x)), x)
        assert isinstance(got, sympy.Basic), f"{what} should return a sympy expression, got {type(got).__name__}"
        equal, _ = checks.equal_expressions(got, expected, x, (0.7, 1.3, 2.1))
        assert equal, f"{what}: expected an expression equal to {expected}, got {str(got)[:200]}"


@pytest.mark.item("chain_rule", weight=2)
def test_chain_rule_differentiates_f_on_its_own(sub):
    for f_body, g_body, x in CHAINS[:3]:
        what = chain_what(f_body, g_body, x)
        outcome, f = chain(sub, f_body, g_body, x)
        checks.returned(outcome, what)
        made = sub.recorded(f)
        at_symbol = [args for args in made["args"] if len(args) == 1 and isinstance(args[0], sympy.Symbol)]
        assert at_symbol, (
            f"{what}: f should be differentiated on its own, at a fresh symbol (f(u), then u = g(x)), "
            f"never as the composition f(g(x)); f was called {made['calls']} time(s), never with a bare symbol"
        )


# -- mse_grad ------------------------------------------------------------------------------


def mse_grad_expected(inp, targ) -> torch.Tensor:
    _, (g,) = autograd(lambda i: (i.squeeze(-1) - targ.double()).pow(2).mean(), inp)
    return g.to(inp.dtype)


def check_mse_grad(sub, inp, targ):
    what = f"mse_grad of {checks.shapes([inp, targ])}"
    outcome = sub.call("mse_grad", inp, targ, trace=False)
    assert_g(outcome, 0, mse_grad_expected(inp, targ), name="inp", what=what)
    checks.assert_pure(outcome, [inp, targ], what)  # setting .g is fine: it is not a value
    checks.assert_grads_pure(outcome, ["inp", "targ"], what)


@st.composite
def mse_cases(draw):
    n, dtype, seed = draw(st.integers(1, 6)), draw(float_dtypes), draw(st.integers(0, 2**16))
    return randn(n, 1, dtype=dtype, seed=seed), randn(n, dtype=dtype, seed=seed + 1)


@pytest.mark.item("mse_grad", weight=3)
@graded
@given(case=mse_cases())
def test_mse_grad_matches_autograd(sub, case):
    check_mse_grad(sub, *case)


@pytest.mark.item("mse_grad", weight=1)
def test_mse_grad_edge_cases(sub):
    check_mse_grad(sub, torch.tensor([[2.0]]), torch.tensor([5.0]))
    check_mse_grad(sub, randn(50, 1, seed=1), randn(50, seed=2))


@pytest.mark.item("mse_grad", weight=1)
def test_mse_grad_uses_no_autograd(sub):
    inp, targ = sub.keep(randn(5, 1)), sub.keep(randn(5, seed=1))
    outcome = sub.call("mse_grad", inp, targ)
    assert_no_autograd(outcome, {"inp": inp, "targ": targ}, "mse_grad")


@pytest.mark.item("mse_grad")
def test_mse_grad_keeps_the_device(sub, ref_child, record_property):
    grads_keep_the_device(sub, ref_child, "mse_grad", [[[4, 1], "float32"], [[4], "float32"]], [],
                          record_property)


# -- relu_grad -----------------------------------------------------------------------------


def relu_input(shape, dtype, seed, zeros=True) -> torch.Tensor:
    """Random values with some exact zeros (and a negative zero) among them."""
    t = randn(*shape, dtype=dtype, seed=seed)
    if zeros:
        flat = t.view(-1)
        flat[::3] = 0.0
        if flat.numel() > 1:
            flat[1] = -0.0
    return t


def check_relu_grad(sub, inp, upstream):
    what = f"relu_grad of inp {checks.shapes([inp])}"
    out = torch.where(inp > 0, inp, torch.zeros_like(inp))
    kept_inp, kept_out = sub.keep(inp), keep_with_g(sub, out, upstream)
    outcome = sub.call("relu_grad", kept_inp, kept_out, trace=False)
    expected = ((inp > 0).to(inp.dtype) * upstream)
    if inp.dtype == torch.float64:
        _, (expected,) = autograd(lambda i: (torch.relu(i) * upstream).sum(), inp)
    assert_g(outcome, 0, expected, name="inp", what=what)
    checks.assert_pure(outcome, [inp, out], what)
    checks.assert_grads_pure(outcome, ["inp", "out"], what)


@st.composite
def relu_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    dtype, seed = draw(float_dtypes), draw(st.integers(0, 2**16))
    return relu_input(shape, dtype, seed, zeros=draw(st.booleans())), randn(*shape, dtype=dtype, seed=seed + 1)


@pytest.mark.item("relu_grad", weight=3)
@graded
@given(case=relu_cases())
def test_relu_grad_matches_autograd(sub, case):
    check_relu_grad(sub, *case)


@pytest.mark.item("relu_grad", weight=2)
def test_relu_grad_is_zero_at_zero(sub):
    inp = torch.tensor([[0.0, -0.0, 1.0], [-2.0, 0.0, 3.0]], dtype=torch.float64)
    check_relu_grad(sub, inp, torch.full((2, 3), 7.0, dtype=torch.float64))
    check_relu_grad(sub, torch.zeros(1, 4), randn(1, 4, seed=1))


@pytest.mark.item("relu_grad", weight=1)
def test_relu_grad_keeps_the_dtype(sub):
    for dtype in (torch.float32, torch.float64):  # what SPEC grades: float16 is not asked for
        check_relu_grad(sub, relu_input((3, 4), dtype, 5), randn(3, 4, dtype=dtype, seed=6))


@pytest.mark.item("relu_grad", weight=1)
def test_relu_grad_uses_no_autograd(sub):
    inp = relu_input((3, 4), torch.float32, 1)
    kept_inp = sub.keep(inp)
    kept_out = keep_with_g(sub, inp.clamp_min(0.0), randn(3, 4, seed=2))
    outcome = sub.call("relu_grad", kept_inp, kept_out)
    assert_no_autograd(outcome, {"inp": kept_inp, "out": kept_out}, "relu_grad")


@pytest.mark.item("relu_grad")
def test_relu_grad_keeps_the_device(sub, ref_child, record_property):
    grads_keep_the_device(sub, ref_child, "relu_grad", [[[3, 4], "float32"], [[3, 4], "float32"]], [1],
                          record_property)


# -- lin_grad ------------------------------------------------------------------------------


def check_lin_grad(sub, inp, w, b, upstream):
    what = f"lin_grad of inp, w, b {checks.shapes([inp, w, b])}"
    out = inp @ w + b
    kept = [sub.keep(inp), keep_with_g(sub, out, upstream), sub.keep(w), sub.keep(b)]
    outcome = sub.call("lin_grad", *kept, trace=False)
    _, expected = autograd(lambda i, w_, b_: ((i @ w_ + b_) * upstream.double()).sum(), inp, w, b)
    for position, name, e in zip((0, 2, 3), ("inp", "w", "b"), expected):
        assert_g(outcome, position, e.to(inp.dtype), name=name, what=what)
    checks.assert_pure(outcome, [inp, out, w, b], what)
    checks.assert_grads_pure(outcome, ["inp", "out", "w", "b"], what)


@st.composite
def lin_cases(draw):
    batch, n_in, n_out = (draw(st.integers(1, 5)) for _ in range(3))
    dtype, seed = draw(float_dtypes), draw(st.integers(0, 2**16))
    return (randn(batch, n_in, dtype=dtype, seed=seed), randn(n_in, n_out, dtype=dtype, seed=seed + 1),
            randn(n_out, dtype=dtype, seed=seed + 2), randn(batch, n_out, dtype=dtype, seed=seed + 3))


@pytest.mark.item("lin_grad", weight=4)
@graded
@given(case=lin_cases())
def test_lin_grad_matches_autograd(sub, case):
    check_lin_grad(sub, *case)


@pytest.mark.item("lin_grad", weight=1)
def test_lin_grad_edge_cases(sub):
    check_lin_grad(sub, randn(1, 3), randn(3, 2, seed=1), randn(2, seed=2), randn(1, 2, seed=3))
    check_lin_grad(sub, randn(6, 4), randn(4, 1, seed=1), randn(1, seed=2), randn(6, 1, seed=3))
    check_lin_grad(sub, randn(3, 3, dtype=torch.float64), randn(3, 3, dtype=torch.float64, seed=1),
                   randn(3, dtype=torch.float64, seed=2), randn(3, 3, dtype=torch.float64, seed=3))


@pytest.mark.item("lin_grad", weight=1)
def test_lin_grad_uses_no_autograd(sub):
    inp, w, b = randn(4, 3), randn(3, 2, seed=1), randn(2, seed=2)
    kept = {"inp": sub.keep(inp), "out": keep_with_g(sub, inp @ w + b, randn(4, 2, seed=3)),
            "w": sub.keep(w), "b": sub.keep(b)}
    outcome = sub.call("lin_grad", *kept.values())
    assert_no_autograd(outcome, kept, "lin_grad")


@pytest.mark.item("lin_grad")
def test_lin_grad_keeps_the_device(sub, ref_child, record_property):
    specs = [[[5, 4], "float32"], [[5, 3], "float32"], [[4, 3], "float32"], [[3], "float32"]]
    grads_keep_the_device(sub, ref_child, "lin_grad", specs, [1], record_property)


# -- forward_and_backward ----------------------------------------------------------------


def reference_loss(x, targ, w1, b1, w2, b2):
    out = torch.relu(x @ w1 + b1) @ w2 + b2
    return (out.squeeze(-1) - targ).pow(2).mean()


def check_forward_and_backward(sub, args):
    x, targ, w1, b1, w2, b2 = args
    what = f"forward_and_backward of inp, targ, w1, b1, w2, b2 {checks.shapes(args)}"
    outcome = sub.call("forward_and_backward", *args, trace=False)
    loss, grads = autograd(lambda x_, w1_, b1_, w2_, b2_: reference_loss(x_, targ.double(), w1_, b1_, w2_, b2_),
                           x, w1, b1, w2, b2)
    checks.assert_tensor(outcome, loss.to(x.dtype), what=f"{what}: the loss")
    for position, name, e in zip((0, 2, 3, 4, 5), ("inp", "w1", "b1", "w2", "b2"), grads):
        assert_g(outcome, position, e.to(x.dtype), name=name, what=what)
    checks.assert_pure(outcome, args, what)


@st.composite
def net_cases(draw):
    batch, n_in, nh = (draw(st.integers(1, 5)) for _ in range(3))
    dtype, seed = draw(float_dtypes), draw(st.integers(0, 2**16))
    return (randn(batch, n_in, dtype=dtype, seed=seed), randn(batch, dtype=dtype, seed=seed + 1),
            randn(n_in, nh, dtype=dtype, seed=seed + 2), randn(nh, dtype=dtype, seed=seed + 3),
            randn(nh, 1, dtype=dtype, seed=seed + 4), randn(1, dtype=dtype, seed=seed + 5))


@pytest.mark.item("forward_and_backward", weight=4)
@graded
@given(args=net_cases())
def test_forward_and_backward_matches_autograd(sub, args):
    check_forward_and_backward(sub, args)


@pytest.mark.item("forward_and_backward", weight=1)
def test_forward_and_backward_edge_cases(sub):
    def net(batch, n_in, nh, dtype=torch.float32, seed=0):
        return (randn(batch, n_in, dtype=dtype, seed=seed), randn(batch, dtype=dtype, seed=seed + 1),
                randn(n_in, nh, dtype=dtype, seed=seed + 2), randn(nh, dtype=dtype, seed=seed + 3),
                randn(nh, 1, dtype=dtype, seed=seed + 4), randn(1, dtype=dtype, seed=seed + 5))

    check_forward_and_backward(sub, net(1, 3, 4))  # a batch of one
    check_forward_and_backward(sub, net(20, 10, 50, torch.float64, seed=1))  # the chapter's shapes, smaller
    check_forward_and_backward(sub, net(4, 1, 1, seed=2))


@pytest.mark.item("forward_and_backward", weight=2)
def test_forward_and_backward_uses_no_autograd(sub):
    names = ("inp", "targ", "w1", "b1", "w2", "b2")
    values = (randn(6, 3), randn(6, seed=1), randn(3, 4, seed=2), randn(4, seed=3), randn(4, 1, seed=4),
              randn(1, seed=5))
    kept = {name: sub.keep(v) for name, v in zip(names, values)}
    outcome = sub.call("forward_and_backward", *kept.values())
    assert_no_autograd(outcome, kept, "forward_and_backward")


@pytest.mark.item("forward_and_backward")
def test_forward_and_backward_keeps_the_device(sub, ref_child, record_property):
    specs = [[[6, 3], "float32"], [[6], "float32"], [[3, 4], "float32"], [[4], "float32"],
             [[4, 1], "float32"], [[1], "float32"]]
    grads_keep_the_device(sub, ref_child, "forward_and_backward", specs, [], record_property)
