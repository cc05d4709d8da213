"""Hidden tests of research.py: a convolution from unfold, and the chapter's net in NumPy."""

from __future__ import annotations

import numbers

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from autograder.hidden import checks
from autograder.hidden.strategies import float_dtypes, graded, randn

MODULE = "research"


# -- conv2d_unfold -----------------------------------------------------------------------


def conv_inputs(n, c, h, w, o, kh, kw, *, bias=True, dtype=torch.float32, seed=0):
    x = randn(n, c, h, w, dtype=dtype, seed=seed)
    weight = randn(o, c, kh, kw, dtype=dtype, seed=seed + 1)
    return x, weight, (randn(o, dtype=dtype, seed=seed + 2) if bias else None)


def describe_conv(x, weight, bias, stride, padding) -> str:
    b = "None" if bias is None else checks.describe_shape(bias)
    return (f"conv2d_unfold(x {checks.describe_shape(x)}, weight {tuple(weight.shape)}, bias {b}, "
            f"stride={stride}, padding={padding})")


def check_conv(sub, x, weight, bias, stride, padding, *, positional=False):
    if positional:
        outcome = sub.call("conv2d_unfold", x, weight, bias, stride, padding)
    else:
        outcome = sub.call("conv2d_unfold", x, weight, bias, stride=stride, padding=padding)
    what = describe_conv(x, weight, bias, stride, padding)
    expected = F.conv2d(x, weight, bias, stride=stride, padding=padding)
    checks.assert_tensor(outcome, expected, what=what)
    args = [x, weight] + ([] if bias is None else [bias])
    checks.assert_pure(outcome, args, what="conv2d_unfold")
    return outcome


@st.composite
def conv_cases(draw):
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, kh - 2 * padding), 7))
    w = draw(st.integers(max(1, kw - 2 * padding), 7))
    bias, dtype, seed = draw(st.booleans()), draw(float_dtypes), draw(st.integers(0, 2**16))
    # sizes and a seed, not tensors: a failing example is reported without its values
    return (n, c, h, w, o, kh, kw), dict(bias=bias, dtype=dtype, seed=seed), stride, padding


@pytest.mark.item("conv2d_unfold", weight=3)
@graded
@given(case=conv_cases())
def test_conv2d_unfold_matches_conv2d(sub, case):
    sizes, options, stride, padding = case
    check_conv(sub, *conv_inputs(*sizes, **options), stride, padding)


@pytest.mark.item("conv2d_unfold", weight=2)
def test_conv2d_unfold_edge_cases(sub):
    cases = [
        (conv_inputs(1, 1, 1, 1, 1, 1, 1), 1, 0),  # 1x1 image, 1x1 kernel
        (conv_inputs(2, 3, 5, 5, 4, 1, 1, seed=1), 1, 0),  # 1x1 kernel over channels
        (conv_inputs(1, 2, 4, 6, 3, 4, 6, seed=2), 1, 0),  # the kernel covers the image: 1x1 output
        (conv_inputs(3, 2, 5, 8, 2, 2, 3, bias=False, seed=3), 1, 0),  # non-square, no bias
        (conv_inputs(2, 1, 7, 9, 2, 3, 3, dtype=torch.float64, seed=4), 2, 0),  # stride not dividing
        (conv_inputs(1, 3, 6, 4, 5, 2, 2, seed=5), 3, 1),  # stride larger than the kernel
        (conv_inputs(2, 2, 3, 5, 3, 3, 2, seed=6), 1, 2),  # padding wider than needed
        (conv_inputs(1, 1, 28, 28, 4, 3, 3, seed=7), 1, 1),  # an MNIST-sized image
    ]
    for (x, weight, bias), stride, padding in cases:
        check_conv(sub, x, weight, bias, stride, padding)
    x, weight, bias = conv_inputs(2, 3, 6, 5, 4, 3, 3, seed=8)
    check_conv(sub, x, weight, bias, 2, 1, positional=True)


RESTRICTION_CASES = [(conv_inputs(2, 3, 6, 6, 4, 3, 3), 1, 1), (conv_inputs(1, 2, 5, 7, 3, 2, 3, seed=1), 2, 0)]


def traced_conv(sub, x, weight, bias, stride, padding):
    outcome = sub.call("conv2d_unfold", x, weight, bias, stride=stride, padding=padding)
    checks.returned(outcome, describe_conv(x, weight, bias, stride, padding))
    checks.assert_traced(outcome, what="conv2d_unfold")
    return outcome


def assert_no_convolution(outcome, what: str = "conv2d_unfold") -> None:
    names = set(outcome.trace["calls"]) | set(outcome.trace["kernels"])
    conv = sorted(n for n in names if "conv" in n.lower() and "convert" not in n.lower())
    assert not conv, f"{what} may not call a convolution, but called {', '.join(conv)}"


@pytest.mark.item("conv2d_unfold", weight=3)
def test_conv2d_unfold_makes_no_convolution_call(sub):
    for (x, weight, bias), stride, padding in RESTRICTION_CASES:
        assert_no_convolution(traced_conv(sub, x, weight, bias, stride, padding))


@pytest.mark.item("conv2d_unfold", weight=1)
def test_conv2d_unfold_cuts_patches_with_unfold(sub):
    for (x, weight, bias), stride, padding in RESTRICTION_CASES:
        outcome = traced_conv(sub, x, weight, bias, stride, padding)
        unfolds = outcome.calls("unfold") + outcome.kernels("unfold", "im2col")
        assert unfolds > 0, (
            "conv2d_unfold should cut the patches with unfold (nn.functional.unfold or Tensor.unfold); "
            "no unfold call was seen"
        )


@pytest.mark.item("conv2d_unfold", weight=1)
def test_conv2d_unfold_keeps_the_device(sub, ref_child, record_property):
    x, weight, bias = conv_inputs(2, 3, 6, 5, 4, 3, 2)
    checks.run_on_devices(sub, ref_child, "conv2d_unfold", (x, weight, bias), record=record_property,
                          stride=2, padding=1)
    x, weight, _ = conv_inputs(1, 2, 5, 5, 3, 3, 3, dtype=torch.float64, seed=1)
    checks.run_on_devices(sub, ref_child, "conv2d_unfold", (x, weight), record=record_property)


@pytest.mark.item("conv2d_unfold", weight=1)
def test_conv2d_unfold_is_vectorised(sub, ref_child, record_property):
    # Small 28x28 images: unfold and one product against one product for each
    # of the 676 output positions (vectorised versions are 150-200x faster).
    args = conv_inputs(2, 1, 28, 28, 4, 3, 3)
    slower = ref_child.callable(kind="slow_variant", name="conv2d_positions")
    checks.assert_faster(sub, ref_child, "conv2d_unfold", slower, args, factor=5,
                         slower_name="a loop over output positions", record=record_property,
                         restriction=assert_no_convolution)


# -- numpy_forward_backward --------------------------------------------------------------

NAMES = ("x", "y", "w1", "b1", "w2", "b2")
GRADS = ("x", "w1", "b1", "w2", "b2")


def net_arrays(n, n_in, nh, seed=0) -> tuple:
    rng = np.random.default_rng(seed)
    shapes = [(n, n_in), (n,), (n_in, nh), (nh,), (nh, 1), (1,)]
    return tuple(rng.standard_normal(shape).astype(np.float32) for shape in shapes)


def reference(arrays) -> tuple[float, dict]:
    """The loss and gradients by autograd, in float64."""
    ts = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in zip(NAMES, arrays)}
    out = torch.relu(ts["x"] @ ts["w1"] + ts["b1"]) @ ts["w2"] + ts["b2"]
    loss = (out.squeeze(-1) - ts["y"]).pow(2).mean()
    loss.backward()
    return loss.item(), {k: ts[k].grad for k in GRADS}


def describe_net(arrays) -> str:
    n, n_in = arrays[0].shape
    return f"numpy_forward_backward with x ({n}, {n_in}), y ({n},), w1 ({n_in}, {arrays[2].shape[1]})"


def run_net(sub, arrays) -> tuple:
    outcome = sub.call("numpy_forward_backward", *arrays)
    return (outcome, *net_result(arrays, checks.returned(outcome, describe_net(arrays))))


def net_result(arrays, result) -> tuple:
    """(loss, grads) of what the call returned, in the shape asked for."""
    what = describe_net(arrays)
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        f"{what} should return (loss, grads), got {type(result).__name__}"
    )
    loss, grads = result
    assert isinstance(grads, dict), f"{what}: grads should be a dict, got {type(grads).__name__}"
    missing = [k for k in GRADS if k not in grads]
    assert not missing, f"{what}: grads has no key {', '.join(map(repr, missing))} (keys: {sorted(map(str, grads))})"
    return loss, grads


def as_tensor(value, what: str) -> torch.Tensor:
    try:
        return torch.as_tensor(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be a NumPy array, got {type(value).__name__}") from None


def check_net_values(sub, arrays):
    _, loss, grads = run_net(sub, arrays)
    check_net_result(arrays, loss, grads)


def check_net_result(arrays, loss, grads):
    what = describe_net(arrays)
    expected_loss, expected = reference(arrays)
    assert isinstance(loss, numbers.Real) and not isinstance(loss, bool), (
        f"{what}: the loss should be a real number, got {type(loss).__name__}"
    )
    checks.close(torch.tensor(float(loss), dtype=torch.float64), torch.tensor(expected_loss, dtype=torch.float64),
                 what=f"{what}: the loss", atol=1e-4, rtol=1e-4)
    for name in GRADS:
        got = as_tensor(grads[name], f"{what}: grads[{name!r}]")
        assert tuple(got.shape) == tuple(expected[name].shape), (
            f"{what}: grads[{name!r}] should have shape {tuple(expected[name].shape)}, got {tuple(got.shape)}"
        )
        checks.close(got, expected[name], what=f"{what}: grads[{name!r}]", atol=1e-4, rtol=1e-4)


@pytest.mark.item("numpy_forward_backward", weight=5)
@graded
@given(n=st.integers(1, 6), n_in=st.integers(1, 4), nh=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_numpy_forward_backward_matches_autograd(sub, n, n_in, nh, seed):
    check_net_values(sub, net_arrays(n, n_in, nh, seed))


@pytest.mark.item("numpy_forward_backward", weight=2)
def test_numpy_forward_backward_edge_cases(sub):
    for n, n_in, nh, seed in [(1, 1, 1, 0), (1, 3, 4, 1), (5, 1, 1, 2), (64, 10, 16, 3)]:
        check_net_values(sub, net_arrays(n, n_in, nh, seed))


@pytest.mark.item("numpy_forward_backward", weight=2)
def test_numpy_forward_backward_keeps_float32_arrays(sub):
    for n, n_in, nh, seed in [(6, 4, 5, 0), (1, 2, 3, 1)]:
        arrays = net_arrays(n, n_in, nh, seed)
        what = describe_net(arrays)
        _, _, grads = run_net(sub, arrays)
        for name in GRADS:
            got, want = grads[name], arrays[NAMES.index(name)]
            assert isinstance(got, np.ndarray), (
                f"{what}: grads[{name!r}] should be a NumPy array, got {type(got).__name__}"
            )
            assert got.shape == want.shape and got.dtype == np.float32, (
                f"{what}: grads[{name!r}] should be float32 {want.shape} like {name}, got {got.dtype} {got.shape}"
            )


@pytest.mark.item("numpy_forward_backward", weight=3)
def test_numpy_forward_backward_makes_no_torch_call(sub):
    arrays = net_arrays(6, 4, 5, seed=4)
    outcome, loss, grads = run_net(sub, arrays)
    check_net_result(arrays, loss, grads)  # no torch call counts only for a right answer
    checks.assert_no_torch(outcome, what="numpy_forward_backward")


@pytest.mark.item("numpy_forward_backward", weight=1)
def test_numpy_forward_backward_leaves_its_inputs_alone(sub):
    arrays = net_arrays(6, 4, 5, seed=5)
    what = describe_net(arrays)
    data = checks.probe(sub, "changes_arrays", "numpy_forward_backward", list(arrays), what=what)
    check_net_result(arrays, *net_result(arrays, data["value"]))  # only a right answer counts here
    changed = [NAMES[i] for i in data["changed"]]
    assert not changed, f"{what} changed {', '.join(changed)} in place"
