# Generated from autograder/public/test_matmul.py by `python -m autograder generate`.
# Do not edit: your changes would be overwritten.
"""Public tests for matmul.py: four matrix products, their shape check and a timer."""

import statistics
import time

import pytest
import torch

import feedback
import matmul


def _pair(ar, ac, bc, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(ar, ac, generator=g, dtype=dtype), torch.randn(ac, bc, generator=g, dtype=dtype)


def _check_product(f, a, b):
    got, what = feedback.run(f, a, b)
    feedback.assert_close(got, a @ b, what, rtol=1e-4, atol=1e-4)  # a's dtype in, a's dtype out


def _check_stays_on_meta(f):
    a, b = torch.empty(3, 4, device="meta"), torch.empty(4, 2, device="meta")
    got, what = feedback.run(f, a, b)
    feedback.assert_on_device(got, "meta", what)
    assert got.shape == (3, 2), f"{what} returned shape {tuple(got.shape)}, expected (3, 2)"


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
    got, what = feedback.run(matmul.matmul_loops, a, b)
    feedback.assert_close(got, expected, what)


@pytest.mark.matmul_loops
def test_matmul_loops_result_on_inputs_device():
    _check_stays_on_meta(matmul.matmul_loops)


# --- matmul_shapes ----------------------------------------------------------

VARIANTS = ["matmul_loops", "matmul_elementwise", "matmul_broadcast", "matmul_einsum"]


@pytest.mark.matmul_shapes
@pytest.mark.parametrize("name", VARIANTS)
def test_inner_sizes_must_match(name):
    a, b = torch.ones(2, 3), torch.ones(4, 5)
    feedback.assert_raises(ValueError, "a row of a has 3 numbers but a column of b has 4 (3 != 4)",
                           getattr(matmul, name), a, b, mentions=(3, 4))


@pytest.mark.matmul_shapes
@pytest.mark.parametrize("name", VARIANTS)
def test_inputs_must_be_2d(name):
    f = getattr(matmul, name)
    feedback.assert_raises(ValueError, "a is 1-D, not 2-D", f, torch.ones(3), torch.ones(3, 2))
    feedback.assert_raises(ValueError, "b is 1-D, not 2-D", f, torch.ones(2, 3), torch.ones(3))


# --- time_call --------------------------------------------------------------


@pytest.mark.time_call
def test_time_call_calls_number_times_repeat():
    calls = []
    result, what = feedback.run(matmul.time_call, lambda x, y: calls.append((x, y)), 1, 2, number=3, repeat=4)
    assert len(calls) == 12, f"{what} called f {len(calls)} times, expected 3 x 4 = 12"
    assert calls[0] == (1, 2), f"{what}: f should get the extra arguments (1, 2), got {calls[0]}"
    assert isinstance(result, float), f"{what} returned a {type(result).__name__}, expected a float"
    assert result >= 0, f"{what} returned {result}: a time cannot be negative"


@pytest.mark.time_call
def test_time_call_defaults():
    calls = []
    _, what = feedback.run(matmul.time_call, lambda: calls.append(None))
    assert len(calls) == 140, f"{what} called f {len(calls)} times, expected 140 (number=20, repeat=7 by default)"


@pytest.mark.time_call
def test_time_call_is_median_not_mean():
    took = []  # how long each call really took: sleeps overrun on a busy machine

    def slow_first_call():
        start = time.perf_counter()
        time.sleep(0.2 if not took else 0.002)
        took.append(time.perf_counter() - start)

    result, what = feedback.run(matmul.time_call, slow_first_call, number=1, repeat=5)
    assert len(took) == 5, f"{what} called f {len(took)} times, expected 5"
    # About [0.2, 0.002, 0.002, 0.002, 0.002]: the median is about 0.002, the mean about 0.042.
    median, mean = statistics.median(took), statistics.mean(took)
    assert 0.9 * median <= result < (median + mean) / 2, (
        f"{what} returned {result:.4f} s, expected the median of the rounds, about {median:.4f} s "
        f"(their mean would be {mean:.4f} s)"
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
    _check_stays_on_meta(matmul.matmul_elementwise)


# --- matmul_broadcast -------------------------------------------------------


@pytest.mark.matmul_broadcast
def test_matmul_broadcast_chapter_sizes():
    a, b = _pair(5, 784, 10)
    _check_product(matmul.matmul_broadcast, a, b)


@pytest.mark.matmul_broadcast
def test_matmul_broadcast_float64_and_device():
    a, b = _pair(3, 4, 2, seed=1, dtype=torch.float64)
    _check_product(matmul.matmul_broadcast, a, b)
    _check_stays_on_meta(matmul.matmul_broadcast)


# --- matmul_einsum ----------------------------------------------------------


@pytest.mark.matmul_einsum
def test_matmul_einsum_chapter_sizes():
    a, b = _pair(5, 784, 10)
    _check_product(matmul.matmul_einsum, a, b)


@pytest.mark.matmul_einsum
def test_matmul_einsum_float64_and_device():
    a, b = _pair(3, 4, 2, seed=1, dtype=torch.float64)
    _check_product(matmul.matmul_einsum, a, b)
    _check_stays_on_meta(matmul.matmul_einsum)
