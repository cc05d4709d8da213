# Generated from autograder/public/test_initialization.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for initialization.py: parameters, the forward pass, init scales."""

import math

import pytest
import sympy
import torch

import initialization


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- init_mlp


@pytest.mark.init_mlp
def test_init_mlp_shapes_dtypes_and_zero_biases():
    params = initialization.init_mlp(784, 50, 1, generator=_gen())
    assert len(params) == 4, f"expected (w1, b1, w2, b2), got {len(params)} values"
    expected = [(784, 50), (50,), (50, 1), (1,)]
    for name, p, shape in zip(["w1", "b1", "w2", "b2"], params, expected):
        assert tuple(p.shape) == shape, f"{name}: expected shape {shape}, got {tuple(p.shape)}"
        assert p.dtype == torch.float32, f"{name}: expected float32, got {p.dtype}"
    w1, b1, w2, b2 = params
    assert torch.all(b1 == 0) and torch.all(b2 == 0), "biases should start at zero"


@pytest.mark.init_mlp
def test_init_mlp_kaiming_std():
    w1, _, w2, _ = initialization.init_mlp(784, 50, 10, generator=_gen(1))
    for name, w, fan_in in [("w1", w1, 784), ("w2", w2, 50)]:
        expected = math.sqrt(2 / fan_in)
        got = w.std().item()
        assert abs(got - expected) < 0.15 * expected, (
            f"{name} {tuple(w.shape)}: expected std near sqrt(2/{fan_in}) = {expected:.4f}, got {got:.4f}"
        )
        assert abs(w.mean().item()) < 0.15 * expected, f"{name}: mean should be near 0, got {w.mean().item():.4f}"


@pytest.mark.init_mlp
def test_init_mlp_uses_generator():
    a = initialization.init_mlp(20, 8, 3, generator=_gen(7))
    b = initialization.init_mlp(20, 8, 3, generator=_gen(7))
    c = initialization.init_mlp(20, 8, 3, generator=_gen(8))
    for x, y in zip(a, b):
        torch.testing.assert_close(
            x, y, msg=lambda m: f"the same seeded generator should give the same parameters\n{m}"
        )
    assert not torch.equal(a[0], c[0]), "different seeds should give different weights"


# ---------------------------------------------------------------- forward


@pytest.mark.forward
def test_lin_values_and_shape():
    x = torch.randn(5, 4, generator=_gen(2), dtype=torch.float64)
    w = torch.randn(4, 3, generator=_gen(3), dtype=torch.float64)
    b = torch.randn(3, generator=_gen(4), dtype=torch.float64)
    got = initialization.lin(x, w, b)
    assert tuple(got.shape) == (5, 3), f"lin of x (5, 4) and w (4, 3): expected shape (5, 3), got {tuple(got.shape)}"
    torch.testing.assert_close(got, x @ w + b)


@pytest.mark.forward
def test_lin_small_example():
    got = initialization.lin(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0], [10.0]]), torch.tensor([0.5]))
    torch.testing.assert_close(got, torch.tensor([[21.5]]))


@pytest.mark.forward
def test_model_values_shape_dtype():
    x = torch.randn(6, 4, generator=_gen(5), dtype=torch.float64)
    w1 = torch.randn(4, 5, generator=_gen(6), dtype=torch.float64)
    b1 = torch.randn(5, generator=_gen(7), dtype=torch.float64)
    w2 = torch.randn(5, 2, generator=_gen(8), dtype=torch.float64)
    b2 = torch.randn(2, generator=_gen(9), dtype=torch.float64)
    got = initialization.model(x, w1, b1, w2, b2)
    expected = torch.where(x @ w1 + b1 > 0, x @ w1 + b1, 0.0) @ w2 + b2
    assert tuple(got.shape) == (6, 2), f"expected shape (batch, n_out) = (6, 2), got {tuple(got.shape)}"
    assert got.dtype == torch.float64, f"float64 in should give float64 out, got {got.dtype}"
    torch.testing.assert_close(got, expected)


@pytest.mark.forward
def test_model_stays_on_device():
    x, w1, b1 = torch.empty(3, 4, device="meta"), torch.empty(4, 5, device="meta"), torch.empty(5, device="meta")
    w2, b2 = torch.empty(5, 1, device="meta"), torch.empty(1, device="meta")
    out = initialization.model(x, w1, b1, w2, b2)
    assert out.device.type == "meta", f"inputs on meta, output on {out.device}"
    assert tuple(out.shape) == (3, 1), f"expected shape (3, 1), got {tuple(out.shape)}"


# ---------------------------------------------------------------- forward_activations


@pytest.mark.forward_activations
def test_forward_activations_values():
    x = torch.randn(6, 4, generator=_gen(10), dtype=torch.float64)
    w1 = torch.randn(4, 5, generator=_gen(11), dtype=torch.float64)
    b1 = torch.randn(5, generator=_gen(12), dtype=torch.float64)
    w2 = torch.randn(5, 1, generator=_gen(13), dtype=torch.float64)
    b2 = torch.randn(1, generator=_gen(14), dtype=torch.float64)
    result = initialization.forward_activations(x, w1, b1, w2, b2)
    assert len(result) == 3, f"expected (l1, l2, out), got {len(result)} values"
    l1, l2, out = result
    expected_l1 = x @ w1 + b1
    expected_l2 = torch.where(expected_l1 > 0, expected_l1, 0.0)
    torch.testing.assert_close(
        l1, expected_l1, msg=lambda m: f"l1 should be the first layer's output before the ReLU\n{m}"
    )
    torch.testing.assert_close(l2, expected_l2, msg=lambda m: f"l2 should be the ReLU of l1\n{m}")
    torch.testing.assert_close(
        out, expected_l2 @ w2 + b2, msg=lambda m: f"out should be the second layer's output\n{m}"
    )


@pytest.mark.forward_activations
def test_forward_activations_shapes_and_inputs_unchanged():
    x = torch.tensor([[1.0, -1.0]])
    w1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    x_before = x.clone()
    w2, b2 = torch.tensor([[2.0], [3.0]]), torch.tensor([1.0])
    l1, l2, out = initialization.forward_activations(x, w1, torch.zeros(2), w2, b2)
    torch.testing.assert_close(l1, torch.tensor([[1.0, -1.0]]))
    torch.testing.assert_close(l2, torch.tensor([[1.0, 0.0]]))
    torch.testing.assert_close(out, torch.tensor([[3.0]]))
    torch.testing.assert_close(x, x_before, msg=lambda m: f"forward_activations must not change its input\n{m}")


# ---------------------------------------------------------------- deep_stats


@pytest.mark.deep_stats
def test_deep_stats_returns_float():
    got = initialization.deep_stats(3, 20, 0.2, True, generator=_gen())
    assert isinstance(got, float), f"expected a Python float, got {type(got).__name__}"


@pytest.mark.deep_stats
def test_deep_stats_scale_one_explodes():
    got = initialization.deep_stats(50, 100, 1.0, False, generator=_gen())
    assert not math.isfinite(got) or got > 1e3, f"50 layers with scale 1: expected std > 1e3 (or inf/nan), got {got}"


@pytest.mark.deep_stats
def test_deep_stats_small_scale_vanishes():
    got = initialization.deep_stats(50, 100, 0.01, False, generator=_gen())
    assert got < 1e-3, f"50 layers with scale 0.01: expected std < 1e-3, got {got}"


@pytest.mark.deep_stats
def test_deep_stats_kaiming_scale_stays_reasonable():
    got = initialization.deep_stats(50, 100, math.sqrt(2 / 100), True, generator=_gen())
    assert 0.1 <= got <= 10, f"50 layers of relu with scale sqrt(2/100): expected std in [0.1, 10], got {got}"


# ---------------------------------------------------------------- init_formulas

N_IN = sympy.Symbol("n_in", positive=True)


@pytest.mark.init_formulas
def test_xavier_formula():
    got = initialization.xavier_formula(N_IN)
    expected = 1 / sympy.sqrt(N_IN)
    assert sympy.simplify(got - expected) == 0, f"expected an expression equal to {expected}, got {got}"


@pytest.mark.init_formulas
def test_kaiming_formula():
    got = initialization.kaiming_formula(N_IN)
    expected = sympy.sqrt(2 / N_IN)
    assert sympy.simplify(got - expected) == 0, f"expected an expression equal to {expected}, got {got}"
    assert float(got.subs(N_IN, 50)) == pytest.approx(0.2), f"at n_in = 50: expected 0.2, got {got.subs(N_IN, 50)}"
