# Generated from autograder/public/test_loss.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for loss.py: the mean squared error and squeeze(-1)."""

import pytest
import torch

import feedback
import loss


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _check_mse(output, targ, expected):
    got, what = feedback.run(loss.mse, output, targ)
    # a rank-0 loss in the inputs' dtype
    feedback.assert_close(got, expected, what, feedback.column_minus_vector(output, targ, got))


# ---------------------------------------------------------------- mse


@pytest.mark.mse
def test_mse_small_example():
    _check_mse(torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0]), torch.tensor(2.5))


@pytest.mark.mse
@pytest.mark.parametrize("shape", [(7, 1), (7,)], ids=feedback.shape_id)
def test_mse_column_and_vector_outputs(shape):
    output = torch.randn(shape, generator=_gen(1), dtype=torch.float64)
    targ = torch.randn(7, generator=_gen(2), dtype=torch.float64)
    _check_mse(output, targ, ((output.reshape(7) - targ) ** 2).mean())


@pytest.mark.mse
def test_mse_batch_of_one():
    _check_mse(torch.tensor([[2.0]]), torch.tensor([5.0]), torch.tensor(9.0))


@pytest.mark.mse
def test_mse_different_batch_sizes():
    feedback.assert_raises(ValueError, "the batch sizes 5 and 7 differ (never a silent (5, 7) broadcast)",
                           loss.mse, torch.zeros(5, 1), torch.zeros(7), mentions=(5, 7))


@pytest.mark.mse
def test_mse_stays_on_device():
    got, what = feedback.run(loss.mse, torch.empty(4, 1, device="meta"), torch.empty(4, device="meta"))
    feedback.assert_on_device(got, "meta", what, name="the loss")
    assert got.ndim == 0, f"{what} returned shape {tuple(got.shape)}, expected a rank-0 loss"


# ---------------------------------------------------------------- squeeze_last

SQUEEZES = [((1, 1), (1,)), ((4, 1), (4,)), ((4, 3), (4, 3)), ((1,), ()), ((2, 1, 3), (2, 1, 3))]


@pytest.mark.squeeze_last
@pytest.mark.parametrize(
    ("shape", "expected"), SQUEEZES, ids=[f"{feedback.shape_id(s)}->{feedback.shape_id(e)}" for s, e in SQUEEZES]
)
def test_squeeze_last_shapes(shape, expected):
    t = torch.arange(float(torch.Size(shape).numel())).reshape(shape)
    got, what = feedback.run(loss.squeeze_last, t)
    feedback.assert_close(got, t.reshape(expected), what, feedback.squeeze_everything(shape, got, expected))
