"""Public tests for matmul.py: four matrix products, their shape check and a timer."""

import statistics
import time

import pytest
import torch
from torch.testing import assert_close

import matmul


def _pair(ar, ac, bc, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(ar, ac, generator=g, dtype=dtype), torch.randn(ac, bc, generator=g, dtype=dtype)


def _check_product(f, a, b):
    got = f(a, b)
    expected = a @ b
    assert got.shape == expected.shape, (
        f"{tuple(a.shape)} @ {tuple(b.shape)}: expected shape {tuple(expected.shape)}, "
        f"got {tuple(got.shape)}"
    )
    assert got.dtype == a.dtype, f"{a.dtype} in should give {a.dtype} out, got {got.dtype}"
    assert_close(got, expected, rtol=1e-4, atol=1e-4)


# --- matmul_loops -----------------------------------------------------------


@pytest.mark.matmul_loops
def test_matmul_loops_small():
    a, b = _pair(3, 4, 2)
    _check_product(matmul.matmul_loops, a, b)


@pytest.mark.matmul_loops
def test_matmul_loops_by_hand_float64():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    b = torch.tensor([[5.0, 6.0, 7.0], [8.0, 9.0, 10.0]], dtype=torch.float64)
    expected = torch.tensor([[21.0, 24.0, 27.0], [47.0, 54.0, 61.0]], dtype=torch.float64)
    assert_close(matmul.matmul_loops(a, b), expected)


@pytest.mark.matmul_loops
def test_matmul_loops_result_on_inputs_device():
    a, b = torch.empty(3, 4, device="meta"), torch.empty(4, 2, device="meta")
    got = matmul.matmul_loops(a, b)
    assert got.device.type == "meta", f"meta inputs should give a meta result, got {got.device}"
    assert got.shape == (3, 2), f"expected (3, 2), got {tuple(got.shape)}"


# --- matmul_shapes ----------------------------------------------------------

VARIANTS = ["matmul_loops", "matmul_elementwise", "matmul_broadcast", "matmul_einsum"]


@pytest.mark.matmul_shapes
@pytest.mark.parametrize("name", VARIANTS)
def test_inner_sizes_must_match(name):
    a, b = torch.ones(2, 3), torch.ones(4, 5)
    with pytest.raises(ValueError) as err:
        getattr(matmul, name)(a, b)
    msg = str(err.value)
    assert "3" in msg and "4" in msg, (
        f"{name}((2, 3), (4, 5)): the message should name both shapes: {msg!r}"
    )


@pytest.mark.matmul_shapes
@pytest.mark.parametrize("name", VARIANTS)
def test_inputs_must_be_2d(name):
    with pytest.raises(ValueError):
        getattr(matmul, name)(torch.ones(3), torch.ones(3, 2))
    with pytest.raises(ValueError):
        getattr(matmul, name)(torch.ones(2, 3), torch.ones(3))


# --- time_call --------------------------------------------------------------


@pytest.mark.time_call
def test_time_call_calls_number_times_repeat():
    calls = []
    result = matmul.time_call(lambda x, y: calls.append((x, y)), 1, 2, number=3, repeat=4)
    assert len(calls) == 12, f"number=3, repeat=4: expected 12 calls, got {len(calls)}"
    assert calls[0] == (1, 2), f"f should get the extra arguments (1, 2), got {calls[0]}"
    assert isinstance(result, float), f"expected a float, got {type(result).__name__}"
    assert result >= 0, f"a time cannot be negative, got {result}"


@pytest.mark.time_call
def test_time_call_defaults():
    calls = []
    matmul.time_call(lambda: calls.append(None))
    assert len(calls) == 140, f"default number=20, repeat=7: expected 140 calls, got {len(calls)}"


@pytest.mark.time_call
def test_time_call_is_median_not_mean():
    took = []  # how long each call really took: sleeps overrun on a busy machine

    def slow_first_call():
        start = time.perf_counter()
        time.sleep(0.2 if not took else 0.002)
        took.append(time.perf_counter() - start)

    result = matmul.time_call(slow_first_call, number=1, repeat=5)
    assert len(took) == 5, f"number=1, repeat=5: expected 5 calls, got {len(took)}"
    # About [0.2, 0.002, 0.002, 0.002, 0.002]: the median is about 0.002, the mean about 0.042.
    median, mean = statistics.median(took), statistics.mean(took)
    assert 0.9 * median <= result < (median + mean) / 2, (
        f"expected the median, about {median:.4f} s (the mean would be {mean:.4f} s), got {result:.4f} s"
    )


# --- matmul_elementwise -----------------------------------------------------


@pytest.mark.matmul_elementwise
def test_matmul_elementwise_chapter_sizes():
    a, b = _pair(5, 784, 10)
    _check_product(matmul.matmul_elementwise, a, b)


@pytest.mark.matmul_elementwise
def test_matmul_elementwise_float64_and_device():
    a, b = _pair(3, 4, 2, seed=1, dtype=torch.float64)
    _check_product(matmul.matmul_elementwise, a, b)
    got = matmul.matmul_elementwise(torch.empty(3, 4, device="meta"), torch.empty(4, 2, device="meta"))
    assert got.device.type == "meta", f"meta inputs should give a meta result, got {got.device}"


# --- matmul_broadcast -------------------------------------------------------


@pytest.mark.matmul_broadcast
def test_matmul_broadcast_chapter_sizes():
    a, b = _pair(5, 784, 10)
    _check_product(matmul.matmul_broadcast, a, b)


@pytest.mark.matmul_broadcast
def test_matmul_broadcast_float64_and_device():
    a, b = _pair(3, 4, 2, seed=1, dtype=torch.float64)
    _check_product(matmul.matmul_broadcast, a, b)
    got = matmul.matmul_broadcast(torch.empty(3, 4, device="meta"), torch.empty(4, 2, device="meta"))
    assert got.device.type == "meta", f"meta inputs should give a meta result, got {got.device}"


# --- matmul_einsum ----------------------------------------------------------


@pytest.mark.matmul_einsum
def test_matmul_einsum_chapter_sizes():
    a, b = _pair(5, 784, 10)
    _check_product(matmul.matmul_einsum, a, b)


@pytest.mark.matmul_einsum
def test_matmul_einsum_float64_and_device():
    a, b = _pair(3, 4, 2, seed=1, dtype=torch.float64)
    _check_product(matmul.matmul_einsum, a, b)
    got = matmul.matmul_einsum(torch.empty(3, 4, device="meta"), torch.empty(4, 2, device="meta"))
    assert got.device.type == "meta", f"meta inputs should give a meta result, got {got.device}"
