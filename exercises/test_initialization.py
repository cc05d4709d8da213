# Generated from autograder/public/test_initialization.py by `python -m autograder generate`.
# Do not edit: your changes would be overwritten.
"""Public tests for initialization.py: parameters, the forward pass, init scales."""

import math

import pytest
import sympy
import torch

import feedback
import initialization


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- init_mlp


@pytest.mark.init_mlp
def test_init_mlp_shapes_dtypes_and_zero_biases():
    params, what = feedback.run(initialization.init_mlp, 784, 50, 1, generator=_gen())
    assert len(params) == 4, f"{what} returned {len(params)} values, expected 4: (w1, b1, w2, b2)"
    expected = [(784, 50), (50,), (50, 1), (1,)]
    for name, p, shape in zip(["w1", "b1", "w2", "b2"], params, expected):
        assert tuple(p.shape) == shape, f"{what}: {name} has shape {tuple(p.shape)}, expected {shape}"
        assert p.dtype == torch.float32, f"{what}: {name} is {p.dtype}, expected float32"
    w1, b1, w2, b2 = params
    assert torch.all(b1 == 0) and torch.all(b2 == 0), f"{what}: the biases b1 and b2 should start at zero"


@pytest.mark.init_mlp
def test_init_mlp_kaiming_std():
    (w1, _, w2, _), what = feedback.run(initialization.init_mlp, 784, 50, 10, generator=_gen(1))
    for name, w, fan_in in [("w1", w1, 784), ("w2", w2, 50)]:
        expected = math.sqrt(2 / fan_in)
        got = w.std().item()
        assert abs(got - expected) < 0.15 * expected, (
            f"{what}: {name} {tuple(w.shape)} has std {got:.4f}, expected about sqrt(2/{fan_in}) = {expected:.4f}"
            f" (its fan-in is {fan_in})"
        )
        assert abs(w.mean().item()) < 0.15 * expected, (
            f"{what}: {name} has mean {w.mean().item():.4f}, expected about 0"
        )


@pytest.mark.init_mlp
def test_init_mlp_uses_generator():
    a, what = feedback.run(initialization.init_mlp, 20, 8, 3, generator=_gen(7))
    b, _ = feedback.run(initialization.init_mlp, 20, 8, 3, generator=_gen(7))
    c, _ = feedback.run(initialization.init_mlp, 20, 8, 3, generator=_gen(8))
    for name, x, y in zip(["w1", "b1", "w2", "b2"], a, b):
        with feedback.first_line(f"{what}, called twice with a generator seeded 7, gave two different {name}"):
            torch.testing.assert_close(x, y)
    assert not torch.equal(a[0], c[0]), (
        f"{what} gave the same w1 for the seeds 7 and 8: draw the numbers from the generator you are given"
    )


# ---------------------------------------------------------------- forward


@pytest.mark.forward
def test_lin_values_and_shape():
    x = torch.randn(5, 4, generator=_gen(2), dtype=torch.float64)
    w = torch.randn(4, 3, generator=_gen(3), dtype=torch.float64)
    b = torch.randn(3, generator=_gen(4), dtype=torch.float64)
    got, what = feedback.run(initialization.lin, x, w, b)
    feedback.assert_close(got, x @ w + b, what)  # (5, 3); here w is (n_in, n_out)


@pytest.mark.forward
def test_lin_small_example():
    got, what = feedback.run(initialization.lin, torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0], [10.0]]),
                             torch.tensor([0.5]))
    feedback.assert_close(got, torch.tensor([[21.5]]), what)


@pytest.mark.forward
def test_model_values_shape_dtype():
    x = torch.randn(6, 4, generator=_gen(5), dtype=torch.float64)
    w1 = torch.randn(4, 5, generator=_gen(6), dtype=torch.float64)
    b1 = torch.randn(5, generator=_gen(7), dtype=torch.float64)
    w2 = torch.randn(5, 2, generator=_gen(8), dtype=torch.float64)
    b2 = torch.randn(2, generator=_gen(9), dtype=torch.float64)
    got, what = feedback.run(initialization.model, x, w1, b1, w2, b2)
    expected = torch.where(x @ w1 + b1 > 0, x @ w1 + b1, 0.0) @ w2 + b2
    feedback.assert_close(got, expected, what)  # (batch, n_out) = (6, 2), float64 in and out


@pytest.mark.forward
def test_model_stays_on_device():
    x, w1, b1 = torch.empty(3, 4, device="meta"), torch.empty(4, 5, device="meta"), torch.empty(5, device="meta")
    w2, b2 = torch.empty(5, 1, device="meta"), torch.empty(1, device="meta")
    out, what = feedback.run(initialization.model, x, w1, b1, w2, b2)
    feedback.assert_on_device(out, "meta", what, name="the output")
    assert tuple(out.shape) == (3, 1), f"{what} returned shape {tuple(out.shape)}, expected (3, 1)"


# ---------------------------------------------------------------- forward_activations


@pytest.mark.forward_activations
def test_forward_activations_values():
    x = torch.randn(6, 4, generator=_gen(10), dtype=torch.float64)
    w1 = torch.randn(4, 5, generator=_gen(11), dtype=torch.float64)
    b1 = torch.randn(5, generator=_gen(12), dtype=torch.float64)
    w2 = torch.randn(5, 1, generator=_gen(13), dtype=torch.float64)
    b2 = torch.randn(1, generator=_gen(14), dtype=torch.float64)
    result, what = feedback.run(initialization.forward_activations, x, w1, b1, w2, b2)
    assert len(result) == 3, f"{what} returned {len(result)} values, expected 3: (l1, l2, out)"
    l1, l2, out = result
    expected_l1 = x @ w1 + b1
    expected_l2 = torch.where(expected_l1 > 0, expected_l1, 0.0)
    feedback.assert_close(l1, expected_l1, what, name="l1 (the first layer's output before the ReLU)")
    feedback.assert_close(l2, expected_l2, what, name="l2 (the ReLU of l1)")
    feedback.assert_close(out, expected_l2 @ w2 + b2, what, name="out (the second layer's output)")


@pytest.mark.forward_activations
def test_forward_activations_shapes_and_inputs_unchanged():
    x = torch.tensor([[1.0, -1.0]])
    w1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    x_before = x.clone()
    w2, b2 = torch.tensor([[2.0], [3.0]]), torch.tensor([1.0])
    (l1, l2, out), what = feedback.run(initialization.forward_activations, x, w1, torch.zeros(2), w2, b2)
    feedback.assert_close(l1, torch.tensor([[1.0, -1.0]]), what, name="l1")
    feedback.assert_close(l2, torch.tensor([[1.0, 0.0]]), what, name="l2")
    feedback.assert_close(out, torch.tensor([[3.0]]), what, name="out")
    feedback.assert_unchanged(x, x_before, what)


# ---------------------------------------------------------------- deep_stats


@pytest.mark.deep_stats
def test_deep_stats_returns_float():
    got, what = feedback.run(initialization.deep_stats, 3, 20, 0.2, True, generator=_gen())
    assert isinstance(got, float), f"{what} returned a {type(got).__name__}, expected a Python float"


@pytest.mark.deep_stats
def test_deep_stats_scale_one_explodes():
    got, what = feedback.run(initialization.deep_stats, 50, 100, 1.0, False, generator=_gen())
    assert not math.isfinite(got) or got > 1e3, (
        f"{what} returned {got}: after 50 layers with scale 1 the std should explode (> 1e3, or inf/nan)"
    )


@pytest.mark.deep_stats
def test_deep_stats_small_scale_vanishes():
    got, what = feedback.run(initialization.deep_stats, 50, 100, 0.01, False, generator=_gen())
    assert got < 1e-3, f"{what} returned {got}: after 50 layers with scale 0.01 the std should vanish (< 1e-3)"


@pytest.mark.deep_stats
def test_deep_stats_kaiming_scale_stays_reasonable():
    got, what = feedback.run(initialization.deep_stats, 50, 100, math.sqrt(2 / 100), True, generator=_gen())
    assert 0.1 <= got <= 10, (
        f"{what} returned {got}: with relu and scale sqrt(2/100) the std should stay in [0.1, 10]"
    )


# ---------------------------------------------------------------- init_formulas

N_IN = sympy.Symbol("n_in", positive=True)


@pytest.mark.init_formulas
def test_xavier_formula():
    got, what = feedback.run(initialization.xavier_formula, N_IN)
    expected = 1 / sympy.sqrt(N_IN)
    assert sympy.simplify(got - expected) == 0, f"{what} returned {got}, expected an expression equal to {expected}"


@pytest.mark.init_formulas
def test_kaiming_formula():
    got, what = feedback.run(initialization.kaiming_formula, N_IN)
    expected = sympy.sqrt(2 / N_IN)
    assert sympy.simplify(got - expected) == 0, f"{what} returned {got}, expected an expression equal to {expected}"
    assert float(got.subs(N_IN, 50)) == pytest.approx(0.2), (
        f"{what} returned {got}, which is {got.subs(N_IN, 50)} at n_in = 50, expected 0.2"
    )
