"""Public tests for autograd_function.py: run `pytest test_autograd_function.py`."""

import pytest
import torch

import autograd_function
import feedback


def _away_from_zero(*shape, dtype=torch.float64, seed=0):
    """Random values with |v| >= 0.1, so that no ReLU input sits at the kink."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=g, dtype=dtype)
    return x + 0.1 * torch.where(x >= 0, 1.0, -1.0).to(dtype)


# --- my_relu -----------------------------------------------------------------


@pytest.mark.my_relu
def test_my_relu_forward_values():
    x = torch.tensor([[-2.0, -0.5, 0.5], [1.0, -3.0, 4.0]])
    before = x.clone()
    got, what = feedback.run(autograd_function.MyRelu.apply, x)
    feedback.assert_unchanged(x, before, what)
    feedback.assert_close(got, torch.tensor([[0.0, 0.0, 0.5], [1.0, 0.0, 4.0]]), what)  # x's dtype


@pytest.mark.my_relu
def test_my_relu_backward_matches_torch_relu():
    x = _away_from_zero(4, 5, dtype=torch.float32)
    upstream = _away_from_zero(4, 5, dtype=torch.float32, seed=1)
    mine = x.clone().requires_grad_()
    what = "(MyRelu.apply(x (4, 5)) * upstream).sum().backward()"
    with feedback.calling(what):
        (autograd_function.MyRelu.apply(mine) * upstream).sum().backward()
    ref = x.clone().requires_grad_()
    (torch.relu(ref) * upstream).sum().backward()
    assert mine.grad is not None, f"{what} left x.grad empty: no gradient reached the input"
    # the gradient of torch's relu, in float32
    feedback.assert_close(mine.grad, ref.grad, what, name="x.grad")


@pytest.mark.my_relu
def test_my_relu_gradcheck_float64():
    x = _away_from_zero(3, 4).requires_grad_()
    with feedback.calling("torch.autograd.gradcheck(MyRelu.apply, (x (3, 4) float64,))"):
        assert torch.autograd.gradcheck(autograd_function.MyRelu.apply, (x,))


@pytest.mark.my_relu
def test_my_relu_saves_its_input_for_backward():
    x = _away_from_zero(6).requires_grad_()
    out, what = feedback.run(autograd_function.MyRelu.apply, x)
    saved = out.grad_fn.saved_tensors
    assert len(saved) >= 1, f"{what} saved nothing: forward should keep what backward needs with ctx.save_for_backward"


# --- train_with_my_relu ------------------------------------------------------


def _linear_task(n=64, n_in=3, seed=0, dtype=torch.float32):
    """y is a linear function of x plus a little noise, standardised."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=g, dtype=dtype)
    y = x @ torch.randn(n_in, generator=g, dtype=dtype) + 0.1 * torch.randn(n, generator=g, dtype=dtype)
    return x, (y - y.mean()) / y.std()


@pytest.mark.train_with_my_relu
def test_train_returns_one_float_per_epoch():
    x, y = _linear_task()
    losses, what = feedback.run(
        autograd_function.train_with_my_relu, x, y, 8, epochs=7, generator=torch.Generator().manual_seed(0)
    )
    assert isinstance(losses, list), f"{what} returned a {type(losses).__name__}, expected a list"
    assert len(losses) == 7, f"{what} returned {len(losses)} losses, expected one per epoch: 7"
    assert all(type(v) is float for v in losses), (
        f"{what} returned {[type(v).__name__ for v in losses]}, expected Python floats (.item() of each loss)"
    )


@pytest.mark.train_with_my_relu
def test_train_loss_falls():
    x, y = _linear_task()
    losses, what = feedback.run(
        autograd_function.train_with_my_relu, x, y, 8, epochs=100, lr=0.1, generator=torch.Generator().manual_seed(0)
    )
    assert losses[-1] < 0.5 * losses[0], (
        f"{what}: the loss went from {losses[0]:.4f} to {losses[-1]:.4f}, expected it to fall below half "
        "on a linear task"
    )


@pytest.mark.train_with_my_relu
def test_train_is_reproducible_and_pure():
    x, y = _linear_task(seed=1)
    x0, y0 = x.clone(), y.clone()
    a, what = feedback.run(
        autograd_function.train_with_my_relu, x, y, 6, epochs=5, generator=torch.Generator().manual_seed(3)
    )
    feedback.assert_unchanged(x, x0, what)
    feedback.assert_unchanged(y, y0, what, name="y")
    b, _ = feedback.run(
        autograd_function.train_with_my_relu, x, y, 6, epochs=5, generator=torch.Generator().manual_seed(3)
    )
    assert a == b, f"{what}, twice with a generator seeded 3, gave different losses:\n{a}\n{b}"


@pytest.mark.train_with_my_relu
def test_train_float64_inputs():
    x, y = _linear_task(dtype=torch.float64)
    losses, what = feedback.run(
        autograd_function.train_with_my_relu, x, y, 8, epochs=50, generator=torch.Generator().manual_seed(0)
    )
    assert len(losses) == 50, f"{what} returned {len(losses)} losses, expected one per epoch: 50"
    assert losses[-1] < losses[0], (
        f"{what}: the loss went from {losses[0]:.4f} to {losses[-1]:.4f}, expected it to fall"
    )
