"""Hidden tests of neurons.py: a neuron, ReLU, dense layers and a transpose by hand."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.hidden import checks
from autograder.hidden.strategies import float_dtypes, randn
from autograder.hidden.strategies import graded
from autograder.sandbox.client import Transposed

MODULE = "neurons"

# Calls that transpose, at the Python level and at the dispatcher.
TRANSPOSE_CALLS = {
    "t", "t_", "T.get", "mT.get", "H.get", "mH.get", "transpose", "transpose_", "permute",
    "swapaxes", "swapaxes_", "swapdims", "swapdims_", "movedim", "moveaxis", "adjoint", "einsum",
}
TRANSPOSE_KERNELS = ("t", "t_", "transpose", "transpose_", "permute")
LIBRARY_RELU = ("relu", "relu_", "threshold", "threshold_", "_threshold")
NOT_PLAIN_PYTHON = {"torch", "numpy"}


# -- helpers ---------------------------------------------------------------------------




def assert_plain_python(sub, name: str, args: list, what: str, expected) -> None:
    """A right answer, with no torch call seen by the tracer, and no torch or
    NumPy function seen by a profiler."""
    outcome = sub.call(name, *args)
    checks.assert_right(outcome, expected, what=what)
    checks.assert_no_torch(outcome, what=name)
    data = probe_packages(sub, name, list(args), what=what)
    used = sorted(NOT_PLAIN_PYTHON & set(data["packages"]))
    if data.get("type_module") and data["type_module"].split(".")[0] in NOT_PLAIN_PYTHON:
        used = sorted(set(used) | {data["type_module"].split(".")[0]})
    assert not used, f"{name} must be plain Python, but it used {', '.join(used)}"


probe_packages = checks.probe_packages


def floats(seed: int, n: int) -> list[float]:
    return randn(n, dtype=torch.float64, seed=seed).tolist()


def assert_float(got, expected: float, what: str) -> None:
    assert isinstance(got, float), f"{what} should return a Python float, got {type(got).__name__}"
    assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (
        f"{what}: expected {expected:.6g}, got {got:.6g}"
    )


# -- neuron ------------------------------------------------------------------------------


def check_neuron(sub, inputs, weights, bias):
    what = f"neuron of {len(inputs)} inputs"
    got = checks.returned(sub.call("neuron", inputs, weights, bias), what)
    expected = math.fsum(x * w for x, w in zip(inputs, weights)) + bias
    assert_float(got, expected, what)


@pytest.mark.item("neuron", weight=3)
@graded
@given(n=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_neuron_weighted_sum_plus_bias(sub, n, seed):
    values = floats(seed, 2 * n + 1)
    check_neuron(sub, values[:n], values[n:2 * n], values[-1])


@pytest.mark.item("neuron", weight=2)
def test_neuron_edge_cases(sub):
    check_neuron(sub, [2.5], [-4.0], 0.0)  # one input, no bias
    check_neuron(sub, [3.0, -1.0], [0.0, 0.0], 7.25)  # zero weights: only the bias
    check_neuron(sub, [0.0, 0.0, 0.0], [1.0, 2.0, 3.0], -1.5)  # zero inputs
    check_neuron(sub, floats(1, 784), floats(2, 784), 0.5)  # an MNIST image


@pytest.mark.item("neuron", weight=2)
@pytest.mark.parametrize("n_in, n_w", [(5, 3), (2, 4)], ids=["5-inputs-3-weights", "2-inputs-4-weights"])
def test_neuron_rejects_different_lengths(sub, n_in, n_w):
    outcome = sub.call("neuron", floats(0, n_in), floats(1, n_w), 0.5)
    checks.assert_raises(outcome, "ValueError", n_in, n_w,
                         what=f"neuron of {n_in} inputs and {n_w} weights")


@pytest.mark.item("neuron", weight=2)
def test_neuron_is_plain_python(sub):
    inputs, weights = floats(0, 6), floats(1, 6)
    assert_plain_python(sub, "neuron", [inputs, weights, 0.25], "neuron of 6 inputs",
                        math.fsum(x * w for x, w in zip(inputs, weights)) + 0.25)


# -- relu ----------------------------------------------------------------------------------


def with_zeros(shape, dtype, seed) -> torch.Tensor:
    """Random values, about a third of them exactly 0 (the kink)."""
    x = randn(*shape, 1, dtype=dtype, seed=seed).reshape(shape)
    keep = randn(*shape, 1, seed=seed + 1).reshape(shape) > -0.4
    return x * keep.to(dtype)


def expected_relu(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, x, torch.zeros_like(x))


@st.composite
def tensor_specs(draw, min_rank=0, max_rank=4):
    rank = draw(st.integers(min_rank, max_rank))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    return shape, draw(float_dtypes), draw(st.integers(0, 2**16))


@pytest.mark.item("relu", weight=3)
@graded
@given(spec=tensor_specs())
def test_relu_matches_torch(sub, spec):
    shape, dtype, seed = spec
    x = with_zeros(shape, dtype, seed)
    outcome = sub.call("relu", x)
    checks.assert_tensor(outcome, expected_relu(x), what=f"relu of {checks.shapes([x])}")
    checks.assert_pure(outcome, [x], what="relu")


@pytest.mark.item("relu", weight=2)
def test_relu_edge_cases(sub):
    cases = [
        torch.tensor(-2.5),  # rank 0
        torch.tensor(0.0, dtype=torch.float64),  # the kink
        torch.tensor([0.0, -0.0, 1e-30, -1e-30]),
        torch.zeros(2, 3),
        -torch.ones(4, dtype=torch.float64),  # all negative
        Transposed(with_zeros((3, 4), torch.float32, 5)),  # a non-contiguous input
    ]
    for x in cases:
        dense_x = x.base.t() if isinstance(x, Transposed) else x
        outcome = sub.call("relu", x)
        checks.assert_tensor(outcome, expected_relu(dense_x), what=f"relu of {checks.shapes([x])}")
        checks.assert_pure(outcome, [x], what="relu")


@pytest.mark.item("relu", weight=2)
def test_relu_is_not_in_place(sub):
    x = randn(4, 5, seed=3)
    outcome = sub.call("relu", x)
    checks.assert_right(outcome, x.clamp_min(0.0), what=f"relu of {checks.shapes([x])}")
    checks.assert_pure(outcome, [x], what="relu")


def assert_no_library_relu(outcome, what: str = "relu") -> None:
    checks.assert_traced(outcome, what=what)
    calls = {n for n in outcome.trace["calls"] if "relu" in n or "threshold" in n}
    kernels = {n for n in outcome.trace["kernels"] if "relu" in n or "threshold" in n}
    assert not calls and not kernels, (
        f"{what} may not use PyTorch's own relu (torch.relu, F.relu, nn.ReLU, threshold), "
        f"but called {', '.join(sorted(calls | kernels))}"
    )


@pytest.mark.item("relu", weight=2)
def test_relu_uses_no_library_relu(sub):
    for x in (randn(3, 4, seed=1), randn(5, dtype=torch.float64, seed=2)):
        outcome = sub.call("relu", x)
        checks.assert_right(outcome, x.clamp_min(0.0), what=f"relu of {checks.shapes([x])}")
        assert_no_library_relu(outcome)


@pytest.mark.item("relu", weight=2)
def test_relu_scalar_values(sub):
    for x, expected in [(3.5, 3.5), (-2.0, 0.0), (0.0, 0.0), (1e-12, 1e-12), (-1e-12, 0.0),
                        (-7.25, 0.0), (123.0, 123.0)]:
        got = checks.returned(sub.call("relu_scalar", x), f"relu_scalar({x})")
        assert isinstance(got, float), (
            f"relu_scalar({x}) should return a Python float, got {type(got).__name__} {got!r}"
        )
        assert got == expected, f"relu_scalar({x}): expected {expected}, got {got!r}"


@pytest.mark.item("relu")
def test_relu_scalar_is_plain_python(sub):
    for x in (2.0, -3.0):
        assert_plain_python(sub, "relu_scalar", [x], f"relu_scalar({x})", max(x, 0.0))


@pytest.mark.item("relu")
def test_relu_keeps_the_device(sub, ref_child, record_property):
    checks.run_on_devices(sub, ref_child, "relu", (randn(3, 4),), record=record_property)
    checks.run_on_devices(sub, ref_child, "relu", (randn(2, 3, dtype=torch.float64),),
                          record=record_property)


@pytest.mark.item("relu")
def test_relu_is_vectorised(sub, ref_child, record_property):
    # Many short rows, so that a Python loop costs far more than the work:
    # vectorised versions are 90-3000x faster than the loop here, even ones
    # with slow kernels (torch.where with a scalar). 1024 rows: both sides are
    # traced, and each row of the loop's one call costs the tracer a few calls.
    slower = ref_child.callable(kind="slow_variant", name="relu_rows")
    checks.assert_faster(sub, ref_child, "relu", slower, (randn(1024, 8),), factor=5,
                         slower_name="relu with a Python loop over rows", record=record_property,
                         restriction=assert_no_library_relu)


# -- dense -------------------------------------------------------------------------------


def dense_inputs(batch, n_in, n_out, dtype=torch.float32, seed=0):
    return (randn(batch, n_in, dtype=dtype, seed=seed), randn(n_out, n_in, dtype=dtype, seed=seed + 1),
            randn(n_out, dtype=dtype, seed=seed + 2))


def dense_what(x, w, b) -> str:
    return f"dense of x {checks.describe_shape(x)}, w {checks.describe_shape(w)}, b {checks.describe_shape(b)}"


def check_dense(sub, x, w, b):
    outcome = sub.call("dense", x, w, b)
    xs, ws = (v.base.t() if isinstance(v, Transposed) else v for v in (x, w))
    checks.assert_tensor(outcome, xs @ ws.t() + b, what=dense_what(x, w, b))
    checks.assert_pure(outcome, [x, w, b], what="dense")
    return outcome


@pytest.mark.item("dense", weight=3)
@graded
@given(batch=st.integers(1, 6), n_in=st.integers(1, 6), n_out=st.integers(1, 6),
       dtype=float_dtypes, seed=st.integers(0, 2**16))
def test_dense_matches_x_at_w_t_plus_b(sub, batch, n_in, n_out, dtype, seed):
    check_dense(sub, *dense_inputs(batch, n_in, n_out, dtype, seed))


@pytest.mark.item("dense", weight=2)
def test_dense_edge_cases(sub):
    cases = [
        dense_inputs(1, 1, 1),  # a single neuron on a single input
        dense_inputs(1, 4, 3, seed=1),  # batch size 1
        dense_inputs(4, 3, 1, seed=2),  # one output neuron
        dense_inputs(3, 1, 5, seed=3, dtype=torch.float64),  # one input feature
        dense_inputs(5, 784, 10, seed=4),  # the chapter's MNIST layer
    ]
    for x, w, b in cases:
        check_dense(sub, x, w, b)
    x, w, b = dense_inputs(3, 4, 2, seed=5)
    check_dense(sub, Transposed(x.t().contiguous()), w, b)  # a non-contiguous x
    check_dense(sub, x, Transposed(w.t().contiguous()), b)  # a non-contiguous w


def dense_calls(sub, batch, n_in, n_out) -> int:
    x, w, b = dense_inputs(batch, n_in, n_out)
    outcome = sub.call("dense", x, w, b)
    checks.assert_right(outcome, x @ w.t() + b, what=dense_what(x, w, b))
    checks.assert_traced(outcome, what="dense")
    return outcome.calls()


@pytest.mark.item("dense", weight=2)
def test_dense_has_no_python_loop(sub):
    counts = {
        "batch=2, n_in=3, n_out=2": dense_calls(sub, 2, 3, 2),
        "batch=12, n_in=3, n_out=2": dense_calls(sub, 12, 3, 2),
        "batch=2, n_in=3, n_out=12": dense_calls(sub, 2, 3, 12),
        "batch=2, n_in=12, n_out=2": dense_calls(sub, 2, 12, 2),
    }
    assert len(set(counts.values())) == 1, (
        "dense should have no Python loop: its torch-call count should not depend on the sizes "
        f"(torch calls: {'; '.join(f'{n} for {k}' for k, n in counts.items())})"
    )


@pytest.mark.item("dense")
def test_dense_is_vectorised(sub, ref_child, record_property):
    # Many rows of few features: vectorised versions are 70-500x faster than the
    # loop here, even the memory-hungry broadcast-and-sum one.
    slower = ref_child.callable(kind="slow_variant", name="dense_rows")
    checks.assert_faster(sub, ref_child, "dense", slower, dense_inputs(1024, 16, 8), factor=5,
                         slower_name="dense with a Python loop over rows", record=record_property,
                         restriction=assert_no_linear)


def assert_no_linear(outcome, what: str = "dense") -> None:
    used = sorted(n for n in set(outcome.trace["calls"]) | set(outcome.trace["kernels"])
                  if n in ("linear", "bilinear", "_linear"))
    assert not used, f"{what} may not call nn.functional.linear, but called {', '.join(used)}"


@pytest.mark.item("dense")
def test_dense_does_not_call_linear(sub):
    x, w, b = dense_inputs(3, 4, 2)
    outcome = sub.call("dense", x, w, b)
    checks.assert_right(outcome, x @ w.t() + b, what=dense_what(x, w, b))
    assert_no_linear(outcome)


@pytest.mark.item("dense")
def test_dense_keeps_the_device(sub, ref_child, record_property):
    checks.run_on_devices(sub, ref_child, "dense", dense_inputs(3, 4, 2), record=record_property)
    checks.run_on_devices(sub, ref_child, "dense", dense_inputs(2, 3, 5, dtype=torch.float64),
                          record=record_property)


# -- dense_python ----------------------------------------------------------------------------


def check_dense_python(sub, batch, n_in, n_out, seed=0):
    x, w, b = dense_inputs(batch, n_in, n_out, torch.float64, seed)
    what = f"dense_python of x {batch} rows of {n_in}, w {n_out} rows of {n_in}, b {n_out} values"
    got = checks.returned(sub.call("dense_python", x.tolist(), w.tolist(), b.tolist()), what)
    assert isinstance(got, list) and all(isinstance(row, list) for row in got), (
        f"{what} should return a list of lists, got {type(got).__name__}"
        + (f" of {', '.join(sorted({type(r).__name__ for r in got}))}" if isinstance(got, (list, tuple)) else "")
    )
    sizes = [len(row) for row in got]
    assert sizes == [n_out] * batch, (
        f"{what}: expected {batch} rows of {n_out} values, got {len(got)} rows of {sorted(set(sizes))} values"
    )
    kinds = {type(v).__name__ for row in got for v in row if not isinstance(v, float)}
    assert not kinds, f"{what}: expected Python floats, got {', '.join(sorted(kinds))}"
    checks.close(torch.tensor(got, dtype=torch.float64), x @ w.t() + b, what=what)


@pytest.mark.item("dense_python", weight=3)
@graded
@given(batch=st.integers(1, 5), n_in=st.integers(1, 5), n_out=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_dense_python_matches_dense(sub, batch, n_in, n_out, seed):
    check_dense_python(sub, batch, n_in, n_out, seed)


@pytest.mark.item("dense_python", weight=2)
def test_dense_python_edge_cases(sub):
    for batch, n_in, n_out in [(1, 1, 1), (1, 5, 3), (4, 3, 1), (3, 1, 4), (2, 40, 7)]:
        check_dense_python(sub, batch, n_in, n_out, seed=batch * 100 + n_in)


@pytest.mark.item("dense_python", weight=2)
def test_dense_python_is_plain_python(sub):
    x, w, b = dense_inputs(3, 4, 2, torch.float64)
    assert_plain_python(sub, "dense_python", [x.tolist(), w.tolist(), b.tolist()],
                        "dense_python of x 3 rows of 4, w 2 rows of 4", (x @ w.t() + b).tolist())


# -- transpose -------------------------------------------------------------------------------


def check_transpose(sub, m):
    dense_m = m.base.t() if isinstance(m, Transposed) else m
    outcome = sub.call("transpose", m)
    checks.assert_tensor(outcome, dense_m.t(), what=f"transpose of {checks.shapes([m])}")
    checks.assert_pure(outcome, [m], what="transpose")
    return outcome


@pytest.mark.item("transpose", weight=3)
@graded
@given(rows=st.integers(1, 6), cols=st.integers(1, 6), dtype=float_dtypes, seed=st.integers(0, 2**16))
def test_transpose_matches_t(sub, rows, cols, dtype, seed):
    check_transpose(sub, randn(rows, cols, dtype=dtype, seed=seed))


@pytest.mark.item("transpose", weight=2)
def test_transpose_edge_cases(sub):
    cases = [
        randn(1, 1),
        randn(1, 6, seed=1),
        randn(6, 1, dtype=torch.float64, seed=2),
        torch.arange(12).reshape(3, 4),  # integers keep their dtype
        Transposed(randn(3, 5, seed=3)),  # a non-contiguous input
    ]
    for m in cases:
        check_transpose(sub, m)


@pytest.mark.item("transpose", weight=2)
@pytest.mark.parametrize("shape, rank", [((5,), 1), ((2, 2, 2, 2), 4)], ids=["rank-1", "rank-4"])
def test_transpose_rejects_other_ranks(sub, shape, rank):
    outcome = sub.call("transpose", torch.zeros(shape))
    checks.assert_raises_naming_the_rank(outcome, "ValueError", shape, what=f"transpose of a {rank}-D tensor {shape}")


@pytest.mark.item("transpose", weight=2)
def test_transpose_uses_no_transpose_function(sub):
    for m in (randn(3, 4), randn(2, 5, dtype=torch.float64, seed=1)):
        outcome = sub.call("transpose", m)
        checks.returned(outcome, f"transpose of {checks.shapes([m])}")
        checks.assert_traced(outcome, what="transpose")
        used = {n for n in outcome.trace["calls"] if n in TRANSPOSE_CALLS}
        used |= {f"{n} (kernel)" for n in TRANSPOSE_KERNELS if outcome.kernels(n)}
        assert not used, (
            "transpose may not use t, T, mT, transpose, permute, swapaxes, swapdims, movedim, "
            f"adjoint or einsum, but called {', '.join(sorted(used))}"
        )


@pytest.mark.item("transpose")
def test_transpose_keeps_the_device(sub, ref_child, record_property):
    checks.run_on_devices(sub, ref_child, "transpose", (randn(3, 4),), record=record_property)
