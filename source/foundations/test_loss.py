# Generated from autograder/public/test_loss.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for loss.py: the mean squared error and squeeze(-1)."""

import pytest
import torch

import loss


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- mse


@pytest.mark.mse
def test_mse_small_example():
    got = loss.mse(torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0]))
    assert got.ndim == 0, f"output (2, 1), targ (2,): expected a rank-0 loss, got shape {tuple(got.shape)}"
    torch.testing.assert_close(got, torch.tensor(2.5))


@pytest.mark.mse
@pytest.mark.parametrize("shape", [(7, 1), (7,)])
def test_mse_column_and_vector_outputs(shape):
    output = torch.randn(shape, generator=_gen(1), dtype=torch.float64)
    targ = torch.randn(7, generator=_gen(2), dtype=torch.float64)
    got = loss.mse(output, targ)
    expected = ((output.reshape(7) - targ) ** 2).mean()
    assert got.ndim == 0, f"output {shape}, targ (7,): expected a rank-0 loss, got shape {tuple(got.shape)}"
    assert got.dtype == torch.float64, f"float64 in should give float64 out, got {got.dtype}"
    torch.testing.assert_close(got, expected)


@pytest.mark.mse
def test_mse_batch_of_one():
    got = loss.mse(torch.tensor([[2.0]]), torch.tensor([5.0]))
    assert got.ndim == 0, f"output (1, 1), targ (1,): expected a rank-0 loss, got shape {tuple(got.shape)}"
    torch.testing.assert_close(got, torch.tensor(9.0))


@pytest.mark.mse
def test_mse_different_batch_sizes():
    with pytest.raises(ValueError) as excinfo:
        loss.mse(torch.zeros(5, 1), torch.zeros(7))
    message = str(excinfo.value)
    assert "5" in message and "7" in message, (
        f"output (5, 1), targ (7,): the message should name 5 and 7, got {message!r}"
    )


@pytest.mark.mse
def test_mse_stays_on_device():
    got = loss.mse(torch.empty(4, 1, device="meta"), torch.empty(4, device="meta"))
    assert got.device.type == "meta", f"inputs on meta, loss on {got.device}"
    assert got.ndim == 0, f"expected a rank-0 loss, got shape {tuple(got.shape)}"


# ---------------------------------------------------------------- squeeze_last


@pytest.mark.squeeze_last
@pytest.mark.parametrize(
    ("shape", "expected"),
    [((1, 1), (1,)), ((4, 1), (4,)), ((4, 3), (4, 3)), ((1,), ()), ((2, 1, 3), (2, 1, 3))],
)
def test_squeeze_last_shapes(shape, expected):
    t = torch.arange(float(torch.Size(shape).numel())).reshape(shape)
    got = loss.squeeze_last(t)
    assert tuple(got.shape) == expected, f"input {shape}: expected shape {expected}, got {tuple(got.shape)}"
    torch.testing.assert_close(got.reshape(-1), t.reshape(-1), msg=lambda m: f"the values should not change\n{m}")
