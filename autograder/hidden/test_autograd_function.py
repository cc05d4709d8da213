"""Hidden tests of autograd_function.py: ReLU as an autograd Function, and training with it."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.hidden import checks
from autograder.hidden.strategies import float_dtypes, graded, randn
from autograder.sandbox import cuda
from autograder.sandbox.client import Grad, Seed, Transposed

MODULE = "autograd_function"


# -- helpers ---------------------------------------------------------------------------


error_text = checks.error_text
probe = checks.probe


def away_from_zero(*shape, dtype=torch.float64, seed=0) -> torch.Tensor:
    """Random values with |v| >= 0.1: no ReLU input sits at the kink, where the
    gradient is not graded."""
    x = randn(*shape, dtype=dtype, seed=seed)
    return x + 0.1 * torch.where(x >= 0, 1.0, -1.0).to(dtype)


@st.composite
def relu_inputs(draw, max_rank: int = 3):
    rank = draw(st.integers(1, max_rank))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    dtype = draw(float_dtypes)
    seed = draw(st.integers(0, 2**16))
    return shape, dtype, seed


# -- my_relu -----------------------------------------------------------------------------


@pytest.mark.item("my_relu", weight=3)
@graded
@given(spec=relu_inputs())
def test_my_relu_forward_matches_relu(sub, spec):
    shape, dtype, seed = spec
    x = randn(*shape, dtype=dtype, seed=seed)
    outcome = sub.call("MyRelu", x, method="apply")
    checks.assert_tensor(outcome, torch.relu(x), what=f"MyRelu.apply of {checks.shapes([x])}")
    checks.assert_pure(outcome, [x], what="MyRelu.apply")


@pytest.mark.item("my_relu", weight=3)
@graded
@given(spec=relu_inputs())
def test_my_relu_backward_matches_relu(sub, spec):
    shape, dtype, seed = spec
    x = away_from_zero(*shape, dtype=dtype, seed=seed)
    grad = randn(*shape, dtype=dtype, seed=seed + 1)  # from above: not all ones
    what = f"MyRelu.apply of {checks.shapes([x])} and backward"
    data = probe(sub, "apply_backward", "MyRelu", x, grad, what=what)
    got = data["x_grad"]
    assert isinstance(got, torch.Tensor), f"{what}: no gradient reached the input"
    expected = (x > 0).to(dtype) * grad
    assert got.shape == expected.shape and got.dtype == dtype, (
        f"{what}: expected a {checks.describe_shape(expected)} gradient, got {checks.describe_shape(got)}"
    )
    checks.close(got, expected, what=f"{what}: the input's gradient (grad_output where the input > 0)")
    checks.close(data["out"], torch.relu(x), what=f"{what}: the output")


@pytest.mark.item("my_relu", weight=2)
def test_my_relu_passes_gradcheck(sub):
    for shape, seed in [((3, 4), 0), ((2, 3, 2), 1), ((1,), 2)]:
        x = away_from_zero(*shape, dtype=torch.float64, seed=seed)
        data = probe(sub, "apply_gradcheck", "MyRelu", x, what=f"gradcheck of MyRelu.apply on {checks.shapes([x])}")
        assert data["passed"], f"torch.autograd.gradcheck of MyRelu.apply on {checks.shapes([x])} failed"


@pytest.mark.item("my_relu", weight=1)
def test_my_relu_edge_cases(sub):
    cases = [
        torch.tensor([[0.0]]),  # 1x1, exactly at the kink: relu(0) = 0
        torch.tensor([-1.5]),
        torch.tensor([0.0, -0.0, 2.0, -3.0], dtype=torch.float64),
        -randn(2, 3, 4).abs() - 0.1,  # all negative
        Transposed(randn(4, 3, seed=1)),  # a non-contiguous input
    ]
    for x in cases:
        dense = x.base.t() if isinstance(x, Transposed) else x
        outcome = sub.call("MyRelu", x, method="apply")
        checks.assert_tensor(outcome, torch.relu(dense), what=f"MyRelu.apply of {checks.shapes([x])}")
        checks.assert_pure(outcome, [x], what=f"MyRelu.apply of {checks.shapes([x])}")
    # batch of one through forward and backward
    x, grad = away_from_zero(1, 5, seed=3), randn(1, 5, dtype=torch.float64, seed=4)
    data = probe(sub, "apply_backward", "MyRelu", x, grad, what="MyRelu.apply of (1, 5) and backward")
    checks.close(data["x_grad"], (x > 0).double() * grad, what="MyRelu backward of (1, 5)")


@pytest.mark.item("my_relu", weight=1)
def test_my_relu_backward_keeps_float64_precision(sub):
    # Autograd casts a float32 gradient back to the input's float64, so only the lost
    # digits show: grad_output times a 0/1 mask is exact in grad_output's dtype.
    x, grad = away_from_zero(5, 4, seed=7), randn(5, 4, dtype=torch.float64, seed=8) / 3
    data = probe(sub, "apply_backward", "MyRelu", x, grad, what="MyRelu.apply of (5, 4) float64 and backward")
    got, expected = data["x_grad"], torch.where(x > 0, grad, torch.zeros_like(grad))
    assert isinstance(got, torch.Tensor) and got.shape == expected.shape, (
        "MyRelu backward of (5, 4) float64: no gradient of the input's shape came back"
    )
    lost = (got - expected).abs().max().item()
    assert lost == 0.0, (
        "MyRelu.backward should compute the gradient in grad_output's dtype (float64 here): "
        f"it is off by up to {lost:.1e}, as if it went through float32"
    )


@pytest.mark.item("my_relu", weight=1)
def test_my_relu_saves_its_input_for_backward(sub):
    x, grad = away_from_zero(3, 4), randn(3, 4, dtype=torch.float64, seed=1)
    data = probe(sub, "apply_backward", "MyRelu", x, grad, what="MyRelu.apply of (3, 4) and backward")
    assert data["saved"] >= 1, (
        "MyRelu.forward should keep what backward needs with ctx.save_for_backward "
        "(the output's grad_fn has no saved tensors)"
    )


@pytest.mark.item("my_relu", weight=1)
def test_my_relu_changes_neither_input_nor_grad_output(sub):
    x, grad = away_from_zero(4, 3, seed=5), randn(4, 3, dtype=torch.float64, seed=6)
    outcome = sub.call("MyRelu", Grad(x), method="apply")
    checks.returned(outcome, f"MyRelu.apply of {checks.shapes([x])} (requiring grad)")
    checks.assert_pure(outcome, [x], what="MyRelu.apply")
    data = probe(sub, "apply_backward", "MyRelu", x, grad, what="MyRelu.apply of (4, 3) and backward")
    assert not data["x_changed"], "MyRelu changed its input in place (return a new tensor)"
    assert not data["grad_changed"], (
        "MyRelu.backward changed grad_output in place (return a new tensor instead)"
    )


@pytest.mark.item("my_relu", weight=1)
def test_my_relu_keeps_the_device(sub, ref_child, record_property):
    # forward on simulated CUDA (or meta); forward and backward on meta and real CUDA
    ran = checks.run_on_devices(sub, ref_child, "MyRelu", (randn(3, 4),), method="apply")
    for device in ["meta"] + (["cuda"] if cuda.available() else []):
        data = probe(sub, "apply_on_device", "MyRelu", device, [3, 4], "float64",
                     what=f"MyRelu forward and backward on {device}")
        for part, name in (("out", "output"), ("x_grad", "input's gradient")):
            info = data[part]
            assert info is not None, f"MyRelu on {device}: no gradient reached the input"
            assert info[0].startswith(device) and info[1] == [3, 4] and info[2] == "float64", (
                f"MyRelu on {device} float64 (3, 4): the {name} is {info[2]} {tuple(info[1])} on "
                f"{info[0]}, expected float64 (3, 4) on {device}"
            )
        ran.append(device)
    record_property("devices", ",".join(dict.fromkeys(ran)))


# -- train_with_my_relu ------------------------------------------------------------------


def task(kind: str, seed: int, dtype=torch.float32):
    """A learnable regression task with a standardised target."""
    g = torch.Generator().manual_seed(seed)
    if kind == "linear":
        x = torch.randn(64, 3, generator=g, dtype=dtype)
        y = x @ torch.randn(3, generator=g, dtype=dtype) + 0.1 * torch.randn(64, generator=g, dtype=dtype)
    else:  # "abs": a kink that ReLU units can fit
        x = torch.randn(64, 2, generator=g, dtype=dtype)
        y = x[:, 0].abs() + 0.5 * x[:, 1]
    return x, (y - y.mean()) / y.std()


# (task, nh, epochs, lr): with these data, the reference's last loss is below 0.25 of
# its first for each of 1000 generator seeds, so any draw order passes the 0.5 bar.
LEARNABLE = [
    (("linear", 11), 8, 100, 0.1),
    (("abs", 12), 16, 150, 0.05),
]
TRAIN_TIMEOUT = 60


def train(sub, x, y, nh, *, what, device="cpu", **kwargs) -> list:
    # No trace: these tests look at the losses, and tracing a training loop is slow.
    outcome = sub.call("train_with_my_relu", x, y, nh, device=device, trace=False, timeout=TRAIN_TIMEOUT,
                       **kwargs)
    losses = checks.returned(outcome, what)
    assert isinstance(losses, list), f"{what} should return a list of floats, got {type(losses).__name__}"
    return losses


def describe_training(x, y, nh, **kwargs) -> str:
    extra = "".join(f", {k}={v}" for k, v in kwargs.items() if k != "generator")
    return f"train_with_my_relu(x {checks.describe_shape(x)}, y {tuple(y.shape)}, nh={nh}{extra})"


def assert_falls(losses, epochs, what):
    assert len(losses) == epochs, f"{what}: expected {epochs} losses, got {len(losses)}"
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in losses), (
        f"{what}: every loss should be a finite float, got {[v for v in losses if not isinstance(v, float)][:3] or 'inf/nan'}"
    )
    assert losses[-1] < 0.5 * losses[0], (
        f"{what}: the loss should fall clearly on a learnable task (below half its first value): "
        f"first {losses[0]:.4f}, last {losses[-1]:.4f}"
    )


@pytest.mark.item("train_with_my_relu", weight=3)
@pytest.mark.parametrize("case", range(len(LEARNABLE)), ids=["linear", "abs"])
def test_train_loss_falls(sub, case):
    (kind, seed), nh, epochs, lr = LEARNABLE[case]
    x, y = task(kind, seed)
    what = describe_training(x, y, nh, epochs=epochs, lr=lr)
    losses = train(sub, x, y, nh, epochs=epochs, lr=lr, generator=Seed(case), what=what)
    assert_falls(losses, epochs, what)


@pytest.mark.item("train_with_my_relu", weight=1)
def test_train_returns_one_python_float_per_epoch(sub):
    x, y = task("linear", 3)
    for epochs in (1, 7):
        what = describe_training(x, y, 4, epochs=epochs)
        losses = train(sub, x, y, 4, epochs=epochs, generator=Seed(0), what=what)
        assert len(losses) == epochs, f"{what}: expected {epochs} losses, got {len(losses)}"
        kinds = sorted({type(v).__name__ for v in losses})
        assert kinds == ["float"], f"{what}: every loss should be a Python float, got {', '.join(kinds)}"
    what = describe_training(x, y, 4) + " with the default epochs and no generator"
    losses = train(sub, x, y, 4, what=what)
    assert len(losses) == 100, f"{what}: the default is 100 epochs, got {len(losses)} losses"


@pytest.mark.item("train_with_my_relu", weight=3)
def test_train_uses_my_relu(sub):
    x, y = task("linear", 4)
    epochs = 5
    data = probe(sub, "count_function_uses", "MyRelu", "train_with_my_relu",
                 [x, y, 4], {"epochs": epochs, "generator": Seed(0)},
                 what=describe_training(x, y, 4, epochs=epochs))
    assert data["forward"] >= epochs, (
        f"train_with_my_relu(epochs={epochs}) should run MyRelu in every epoch's forward pass "
        f"(MyRelu.apply); MyRelu.forward ran {data['forward']} times"
    )
    assert data["backward"] >= epochs, (
        f"train_with_my_relu(epochs={epochs}) should backpropagate through MyRelu in every epoch; "
        f"MyRelu.backward ran {data['backward']} times"
    )


@pytest.mark.item("train_with_my_relu", weight=1)
def test_train_is_reproducible_with_a_generator(sub):
    x, y = task("linear", 5)
    what = describe_training(x, y, 6, epochs=5)
    first = train(sub, x, y, 6, epochs=5, generator=Seed(7), what=what)
    again = train(sub, x, y, 6, epochs=5, generator=Seed(7), what=what)
    other = train(sub, x, y, 6, epochs=5, generator=Seed(8), what=what)
    assert first == again, (
        f"{what}: two runs with generators seeded alike gave different losses "
        f"(first losses {first[0]:.6f} and {again[0]:.6f}); draw the initial weights with `generator`"
    )
    assert first != other, (
        f"{what}: generators with different seeds gave the same losses; draw the initial weights with `generator`"
    )


@pytest.mark.item("train_with_my_relu", weight=1)
def test_train_uses_lr_and_its_defaults(sub):
    x, y = task("linear", 6)
    what = describe_training(x, y, 4, epochs=4, lr=0.0)
    losses = train(sub, x, y, 4, epochs=4, lr=0.0, generator=Seed(1), what=what)
    assert len(losses) == 4 and max(losses) - min(losses) <= 1e-6 * max(1.0, abs(losses[0])), (
        f"{what}: with lr=0 nothing should change, but the losses went from {losses[0]:.6f} to {losses[-1]:.6f}"
    )
    what = describe_training(x, y, 4) + " with the defaults"
    default = train(sub, x, y, 4, generator=Seed(2), what=what)
    explicit = train(sub, x, y, 4, epochs=100, lr=0.1, generator=Seed(2), what=what)
    assert default == explicit, (
        f"{what}: the defaults should be epochs=100, lr=0.1 "
        f"(last loss {default[-1]:.6f} with the defaults, {explicit[-1]:.6f} with epochs=100, lr=0.1)"
    )


@pytest.mark.item("train_with_my_relu", weight=1)
def test_train_leaves_its_inputs_alone(sub):
    x, y = task("linear", 7)
    outcome = sub.call("train_with_my_relu", x, y, 4, epochs=3, generator=Seed(0), trace=False,
                       timeout=TRAIN_TIMEOUT)
    what = describe_training(x, y, 4, epochs=3)
    losses = checks.returned(outcome, what)
    # Purity counts only for a training that returned its losses.
    assert isinstance(losses, list) and len(losses) == 3 and all(type(v) is float for v in losses), (
        f"{what} should return 3 losses as Python floats, got {type(losses).__name__}"
    )
    checks.assert_pure(outcome, [x, y], what="train_with_my_relu")


@pytest.mark.item("train_with_my_relu", weight=1)
def test_train_float64_and_the_inputs_device(sub):
    # over 1000 generator seeds the reference's last loss here is below 0.19 of its first
    x, y = task("linear", 11, dtype=torch.float64)
    what = describe_training(x, y, 8, epochs=60)
    losses = train(sub, x, y, 8, epochs=60, generator=Seed(3), what=what)
    assert_falls(losses, 60, what)
    if cuda.available():
        x, y = task("linear", 11)
        what = describe_training(x, y, 8, epochs=100) + " on CUDA"
        assert_falls(train(sub, x, y, 8, epochs=100, device="cuda", what=what), 100, what)
