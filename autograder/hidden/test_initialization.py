"""Hidden tests of initialization.py: parameters, the forward pass, init scales.

PYTEST_DONT_REWRITE: the messages below are what a student reads, without
pytest's rewritten assertion details (which would print values).
"""

from __future__ import annotations

import math
import statistics

import pytest
import sympy
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.hidden import checks
from autograder.hidden.strategies import float_dtypes, graded, randn
from autograder.sandbox import cuda, wire
from autograder.sandbox.client import Outcome, Seed, Transposed

MODULE = "initialization"


# -- helpers ---------------------------------------------------------------------------


def relu(t: torch.Tensor) -> torch.Tensor:
    return torch.where(t > 0, t, torch.zeros_like(t))


def mlp_params(n_in, nh, n_out, dtype=torch.float32, seed=0) -> tuple:
    """(w1, b1, w2, b2) with the chapter's (n_in, n_out) layout."""
    return (randn(n_in, nh, dtype=dtype, seed=seed), randn(nh, dtype=dtype, seed=seed + 1),
            randn(nh, n_out, dtype=dtype, seed=seed + 2), randn(n_out, dtype=dtype, seed=seed + 3))


def expected_activations(x, w1, b1, w2, b2) -> tuple:
    l1 = x @ w1 + b1
    l2 = relu(l1)
    return l1, l2, l2 @ w2 + b2


@st.composite
def mlp_cases(draw):
    """(x, w1, b1, w2, b2): batch, n_in, nh, n_out in 1..5, one dtype."""
    batch, n_in, nh, n_out = (draw(st.integers(1, 5)) for _ in range(4))
    dtype, seed = draw(float_dtypes), draw(st.integers(0, 2**16))
    return (randn(batch, n_in, dtype=dtype, seed=seed), *mlp_params(n_in, nh, n_out, dtype, seed + 10))


def dense(value):
    return value.base.t() if isinstance(value, Transposed) else value


def tensors(value, count: int, what: str) -> list:
    """A tuple (or list) of `count` tensors that came back from the child."""
    assert isinstance(value, (tuple, list)), (
        f"{what} should return a tuple of {count} tensors, got {type(value).__name__}"
    )
    assert len(value) == count, f"{what} should return {count} tensors, got {len(value)} values"
    for i, t in enumerate(value):
        assert isinstance(t, (torch.Tensor, wire.TensorInfo)), (
            f"{what}: value {i + 1} should be a tensor, got {type(t).__name__}"
        )
    return list(value)


# Fake CUDA tensors cannot be indexed on a CPU-only torch build; a correct
# solution that indexes (where the reference does not) is judged on meta.
NO_FAKE_CUDA = "not linked with support for cuda"


def init(sub, n_in, nh, n_out, seed=0) -> list:
    what = f"init_mlp({n_in}, {nh}, {n_out}, generator=...)"
    value = checks.returned(sub.call("init_mlp", n_in, nh, n_out, generator=Seed(seed), trace=False), what)
    return tensors(value, 4, what)


def check_layout(params, n_in, nh, n_out) -> None:
    what = f"init_mlp({n_in}, {nh}, {n_out})"
    expected = {"w1": (n_in, nh), "b1": (nh,), "w2": (nh, n_out), "b2": (n_out,)}
    for (name, shape), p in zip(expected.items(), params):
        assert tuple(p.shape) == shape, f"{what}: {name} should have shape {shape}, got {tuple(p.shape)}"
        assert p.dtype == torch.float32, f"{what}: {name} should be float32, got {p.dtype}"
    for name, b in (("b1", params[1]), ("b2", params[3])):
        assert torch.count_nonzero(b) == 0, f"{what}: the bias {name} should start at zeros"


@pytest.mark.item("init_mlp", weight=2)
@graded
@given(sizes=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6)))
def test_init_mlp_shapes_dtypes_and_zero_biases(sub, sizes):
    check_layout(init(sub, *sizes), *sizes)


@pytest.mark.item("init_mlp", weight=1)
def test_init_mlp_chapter_sizes(sub):
    check_layout(init(sub, 784, 50, 1), 784, 50, 1)


# Pooled over two seeds (40,000 draws per weight), the reference stays within
# 1.3% of sqrt(2 / fan_in) in standard deviation and within 0.02 of its own
# standard deviation in mean over 1000 seed pairs; sqrt(1 / fan_in) is 29% off.
KAIMING_SIZES = (400, 50, 400)
KAIMING_SEEDS = [(0, 5000), (1, 5001)]


@pytest.mark.item("init_mlp", weight=3)
def test_init_mlp_kaiming_std(sub):
    n_in, nh, n_out = KAIMING_SIZES
    for seeds in KAIMING_SEEDS:
        draws = [init(sub, n_in, nh, n_out, seed) for seed in seeds]
        for pos, name, fan_in in ((0, "w1", n_in), (2, "w2", nh)):
            shape = tuple(draws[0][pos].shape)
            w = torch.cat([d[pos].flatten() for d in draws]).double()
            std, mean, expected = w.std().item(), w.mean().item(), math.sqrt(2 / fan_in)
            assert abs(std / expected - 1) < 0.04, (
                f"init_mlp({n_in}, {nh}, {n_out}): {name} {shape} should have standard deviation "
                f"sqrt(2 / {fan_in}) = {expected:.4f} (Kaiming, fan-in {fan_in}), got {std:.4f}"
            )
            assert abs(mean) < 0.06 * expected, (
                f"init_mlp({n_in}, {nh}, {n_out}): {name} should have mean about 0, got {mean:.4f}"
            )


@pytest.mark.item("init_mlp", weight=2)
def test_init_mlp_is_reproducible_with_the_generator(sub):
    first, again, other = init(sub, 20, 8, 3, seed=7), init(sub, 20, 8, 3, seed=7), init(sub, 20, 8, 3, seed=8)
    for name, a, b in zip(("w1", "b1", "w2", "b2"), first, again):
        assert a.shape == b.shape and torch.equal(a, b), (
            f"init_mlp(20, 8, 3) with two generators seeded alike should give the same {name} "
            "(draw from the generator passed in)"
        )
    assert not torch.equal(first[0], other[0]) and not torch.equal(first[2], other[2]), (
        "init_mlp(20, 8, 3) with generators seeded 7 and 8 should give different weights"
    )
    what = "init_mlp(5, 4, 2) without a generator"
    check_layout(tensors(checks.returned(sub.call("init_mlp", 5, 4, 2, trace=False), what), 4, what), 5, 4, 2)


# -- forward: lin and model --------------------------------------------------------------


@pytest.mark.item("forward", weight=3)
@graded
@given(case=mlp_cases())
def test_forward_matches_torch(sub, case):
    x, w1, b1, w2, b2 = case
    outcome = sub.call("lin", x, w1, b1, trace=False)
    checks.assert_tensor(outcome, x @ w1 + b1, what=f"lin of {checks.shapes([x, w1, b1])}")
    checks.assert_pure(outcome, [x, w1, b1], what="lin")
    outcome = sub.call("model", *case, trace=False)
    checks.assert_tensor(outcome, expected_activations(*case)[2], what=f"model of {checks.shapes(case)}")
    checks.assert_pure(outcome, case, what="model")


@pytest.mark.item("forward", weight=2)
def test_forward_edge_cases(sub):
    cases = [
        (randn(1, 3), *mlp_params(3, 4, 1)),  # a batch of one, one output
        (randn(5, 784), *mlp_params(784, 50, 1, seed=1)),  # the chapter's sizes
        (Transposed(randn(4, 6, dtype=torch.float64)), *mlp_params(4, 3, 2, torch.float64, seed=2)),
        (randn(4, 4, seed=3), *mlp_params(4, 4, 4, seed=4)),  # square weights
    ]
    for x, w1, b1, w2, b2 in cases:
        args = (x, w1, b1, w2, b2)
        checks.assert_tensor(sub.call("lin", x, w1, b1, trace=False), dense(x) @ w1 + b1,
                             what=f"lin of {checks.shapes([x, w1, b1])}")
        checks.assert_tensor(sub.call("model", *args, trace=False),
                             expected_activations(dense(x), w1, b1, w2, b2)[2],
                             what=f"model of {checks.shapes(args)}")


@pytest.mark.item("forward", weight=1)
def test_forward_applies_relu_between_the_layers(sub):
    # Hidden units all negative: with the ReLU the output is just b2.
    x, w1 = torch.ones(3, 2), -torch.ones(2, 4)
    b1, w2, b2 = torch.zeros(4), torch.ones(4, 1), torch.full((1,), 0.5)
    checks.assert_tensor(sub.call("model", x, w1, b1, w2, b2, trace=False), torch.full((3, 1), 0.5),
                         what="model with every hidden unit negative (the ReLU should zero them)")


@pytest.mark.item("forward")
def test_forward_keeps_the_device(sub, ref_child, record_property):
    x, params = randn(3, 4), mlp_params(4, 5, 2)
    checks.run_on_devices(sub, ref_child, "lin", (x, params[0], params[1]), record=record_property)
    checks.run_on_devices(sub, ref_child, "model", (x, *params), record=record_property)


# -- forward_activations -----------------------------------------------------------------


def check_activations(outcome, args) -> None:
    what = f"forward_activations of {checks.shapes(args)}"
    got = tensors(checks.returned(outcome, what), 3, what)
    dense_args = [dense(a) for a in args]
    names = ("l1 (before the ReLU)", "l2 (after the ReLU)", "out")
    for name, g, e in zip(names, got, expected_activations(*dense_args)):
        checks.assert_tensor(Outcome(value=g), e, what=f"{what}: {name}")


@pytest.mark.item("forward_activations", weight=3)
@graded
@given(case=mlp_cases())
def test_forward_activations_match_torch(sub, case):
    outcome = sub.call("forward_activations", *case, trace=False)
    check_activations(outcome, case)
    checks.assert_pure(outcome, case, what="forward_activations")


@pytest.mark.item("forward_activations", weight=2)
def test_forward_activations_edge_cases(sub):
    cases = [
        (randn(1, 3), *mlp_params(3, 4, 1)),
        (randn(6, 5, seed=1), *mlp_params(5, 8, 1, seed=2)),  # many negative pre-activations
        (Transposed(randn(3, 4, dtype=torch.float64)), *mlp_params(3, 2, 2, torch.float64, seed=3)),
    ]
    for args in cases:
        outcome = sub.call("forward_activations", *args, trace=False)
        check_activations(outcome, args)
        checks.assert_pure(outcome, args, what="forward_activations")


def raw_devices(raw) -> list[str]:
    """The devices of the tensors in an encoded result, in order."""
    if isinstance(raw, dict) and "$tensor" in raw:
        return [raw["$tensor"]["device"]]
    if isinstance(raw, dict) and "$tuple" in raw:
        raw = raw["$tuple"]
    if isinstance(raw, list):
        return [d for v in raw for d in raw_devices(v)]
    return []


@pytest.mark.item("forward_activations")
def test_forward_activations_keep_the_device(sub, ref_child, record_property):
    args = (randn(3, 4), *mlp_params(4, 5, 2))
    fake = ref_child.call("forward_activations", *args, device="fake-cuda", trace=False).ok
    ran = []
    for device in ["fake-cuda" if fake else "meta"] + (["cuda"] if cuda.available() else []):
        what = f"forward_activations on {device} tensors ({checks.shapes(args)})"
        outcome = sub.call("forward_activations", *args, device=device, trace=False)
        if device == "fake-cuda" and NO_FAKE_CUDA in outcome.error_text and not cuda.available():
            device, what = "meta", what.replace("fake-cuda", "meta")
            outcome = sub.call("forward_activations", *args, device=device, trace=False)
        tensors(checks.returned(outcome, what), 3, what)
        target = "meta" if device == "meta" else "cuda"
        for name, where in zip(("l1", "l2", "out"), raw_devices(outcome.raw_value)):
            assert where.startswith(target), (
                f"{what}: {name} is on {where}, expected {target} ({checks.SAME_DEVICE})"
            )
        ran.append(checks.device_label(device))
    record_property("devices", ",".join(ran))


# -- deep_stats --------------------------------------------------------------------------


def stats(sub, n_layers, n, scale, use_relu, seed=0) -> float:
    what = f"deep_stats({n_layers}, {n}, {scale:.4g}, {use_relu})"
    value = checks.returned(sub.call("deep_stats", n_layers, n, scale, use_relu, generator=Seed(seed),
                                     trace=False), what)
    assert isinstance(value, float) and not isinstance(value, bool), (
        f"{what} should return a Python float, got {type(value).__name__}"
        + (" (use .item())" if isinstance(value, torch.Tensor) else "")
    )
    return value


@pytest.mark.item("deep_stats", weight=1)
def test_deep_stats_returns_a_float(sub):
    stats(sub, 3, 20, 0.2, True)
    what = "deep_stats(2, 10, 0.3, False) without a generator"
    value = checks.returned(sub.call("deep_stats", 2, 10, 0.3, False, trace=False), what)
    assert isinstance(value, float), f"{what} should return a Python float, got {type(value).__name__}"


@pytest.mark.item("deep_stats", weight=2)
def test_deep_stats_explodes_and_vanishes(sub):
    for seed in (0, 1, 2):
        big = stats(sub, 50, 100, 1.0, False, seed)
        assert not math.isfinite(big) or big > 1e3, (
            f"deep_stats(50, 100, 1.0, False): 50 layers of scale 1 should explode "
            f"(std > 1e3, or inf/nan on overflow), got {big:.4g}"
        )
        small = stats(sub, 50, 100, 0.01, False, seed)
        assert small < 1e-3, f"deep_stats(50, 100, 0.01, False): 50 layers of scale 0.01 should vanish " \
                             f"(std < 1e-3), got {small:.4g}"


# One random layer of 400 units on 200 rows: over 1000 seeds the reference
# gives 0.989..1.014 without a ReLU and 0.575..0.594 with one (the std of a
# ReLU of a unit normal is 0.584; a ReLU before the product would give 0.707);
# three layers of scale 1/sqrt(200) give 0.967..1.037, two of scale 0.1 on
# 300 units 2.94..3.07.
SHALLOW = [
    ((1, 400, 0.05, False), 0.96, 1.04),
    ((1, 400, 0.05, True), 0.56, 0.61),
    ((3, 200, 1 / math.sqrt(200), False), 0.9, 1.1),
    ((2, 300, 0.1, False), 2.8, 3.2),  # sqrt(300) * 0.1 per layer: 2.94..3.07
]


@pytest.mark.item("deep_stats", weight=3)
@pytest.mark.parametrize("args, low, high", SHALLOW, ids=lambda v: str(v))
def test_deep_stats_shallow_values(sub, args, low, high):
    for seed in (0, 1):
        got = stats(sub, *args, seed)
        assert low <= got <= high, (
            f"deep_stats{args[:2] + (round(args[2], 4), args[3])}: expected a standard deviation in "
            f"[{low:.3g}, {high:.3g}], got {got:.4g}"
        )


# 50 layers of ReLU at the Kaiming scale: the median over 5 seeds stays in
# [0.15, 1.62] for the reference over 1000 groups of seeds.
@pytest.mark.item("deep_stats", weight=2)
def test_deep_stats_kaiming_scale_keeps_the_size(sub):
    scale = math.sqrt(2 / 100)
    values = [stats(sub, 50, 100, scale, True, seed) for seed in range(5)]
    median = statistics.median(values)
    assert 0.05 <= median <= 5, (
        f"deep_stats(50, 100, sqrt(2/100), True): with a ReLU after every layer the Kaiming scale should "
        f"keep the standard deviation near 1; the median over 5 seeds was {median:.4g}"
    )


@pytest.mark.item("deep_stats", weight=1)
def test_deep_stats_is_reproducible_with_the_generator(sub):
    a, b, c = (stats(sub, 3, 50, 0.2, True, seed) for seed in (3, 3, 4))
    assert a == b, f"deep_stats with two generators seeded alike should agree, got {a!r} and {b!r}"
    assert a != c, "deep_stats with generators seeded 3 and 4 should differ"


# -- init_formulas -----------------------------------------------------------------------

N_IN = sympy.Symbol("n_in", positive=True)
FORMULAS = {
    "xavier_formula": (1 / sympy.sqrt(N_IN), "1/sqrt(n_in)"),
    "kaiming_formula": (sympy.sqrt(2 / N_IN), "sqrt(2/n_in)"),
}


@pytest.mark.item("init_formulas", weight=2)
@pytest.mark.parametrize("name", list(FORMULAS))
def test_init_formulas(sub, name):
    expected, words = FORMULAS[name]
    what = f"{name}(n_in)"
    got = checks.returned(sub.call(name, N_IN, trace=False), what)
    assert isinstance(got, sympy.Basic), (
        f"{what} should return a sympy expression of n_in, got {type(got).__name__}"
    )
    assert got.free_symbols <= {N_IN}, (
        f"{what} should be an expression of the symbol passed in (n_in), got one of "
        f"{', '.join(sorted(map(str, got.free_symbols)))}"
    )
    equal, at_50 = checks.equal_expressions(got, expected, N_IN, (50, 1, 2, 3.5, 784))
    assert equal, (
        f"{what}: expected an expression equal to {words} for positive n_in, got {str(got)[:200]} "
        f"(at n_in = 50: {at_50})"
    )
