# Generated from autograder/public/test_broadcasting.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for broadcasting.py: comparisons, rank-0 tensors and broadcasting."""

import pytest
import torch
from torch.testing import assert_close

import broadcasting


def _message_names(err, *values):
    msg = str(err.value)
    missing = [v for v in values if str(v) not in msg]
    assert not missing, f"the message should name {values}, but lacks {missing}: {msg!r}"


# --- all_greater ------------------------------------------------------------


@pytest.mark.all_greater
def test_all_greater_chapter_example():
    a, b = torch.tensor([10.0, 6, -4]), torch.tensor([2.0, 8, 7])
    got = broadcasting.all_greater(a, b)
    assert got is False, f"a={a.tolist()}, b={b.tolist()}: expected False, got {got!r}"
    got = broadcasting.all_greater(a, b - 20)
    assert got is True, f"a={a.tolist()}, b={(b - 20).tolist()}: expected True, got {got!r}"


@pytest.mark.all_greater
def test_all_greater_matrix_and_equal_elements():
    m = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    assert broadcasting.all_greater(m + 1, m) is True, "m + 1 > m everywhere: expected True"
    assert broadcasting.all_greater(m, m) is False, "equal is not greater: expected False"


# --- to_python --------------------------------------------------------------


@pytest.mark.to_python
def test_to_python_values_and_types():
    for t, expected in [(torch.tensor(2.5), 2.5), (torch.tensor(7), 7), (torch.tensor(True), True)]:
        got = broadcasting.to_python(t)
        assert got == expected and type(got) is type(expected), (
            f"to_python({t!r}): expected {expected!r} ({type(expected).__name__}), "
            f"got {got!r} ({type(got).__name__})"
        )


@pytest.mark.to_python
def test_to_python_of_a_reduction():
    a, b = torch.tensor([10.0, 6, -4]), torch.tensor([2.0, 8, 7])
    got = broadcasting.to_python((a + b).sum())
    assert got == 29.0, f"expected 29.0, got {got!r}"


@pytest.mark.to_python
@pytest.mark.parametrize("shape", [(1,), (2, 3)])
def test_to_python_rejects_other_ranks(shape):
    with pytest.raises(ValueError) as err:
        broadcasting.to_python(torch.zeros(shape))
    _message_names(err, len(shape))


# --- broadcast_shape --------------------------------------------------------


@pytest.mark.broadcast_shape
@pytest.mark.parametrize(
    "a, b, expected",
    [
        ((2,), (1,), (2,)),
        ((3, 3), (3,), (3, 3)),
        ((3,), (3, 3), (3, 3)),
        ((256, 256, 3), (3,), (256, 256, 3)),
        ((8, 1, 6, 1), (7, 1, 5), (8, 7, 6, 5)),
        ((), (2, 3), (2, 3)),
    ],
)
def test_broadcast_shape(a, b, expected):
    got = broadcasting.broadcast_shape(a, b)
    assert got == expected, f"broadcast_shape({a}, {b}): expected {expected}, got {got!r}"
    assert isinstance(got, tuple), f"expected a tuple, got {type(got).__name__}"


@pytest.mark.broadcast_shape
@pytest.mark.parametrize("a, b, sizes", [((2,), (3,), (2, 3)), ((5, 4), (3, 1), (5, 3))])
def test_broadcast_shape_clash(a, b, sizes):
    with pytest.raises(ValueError) as err:
        broadcasting.broadcast_shape(a, b)
    _message_names(err, *sizes)


# --- expand_like ------------------------------------------------------------


@pytest.mark.expand_like
def test_expand_like_chapter_example():
    c = torch.tensor([10.0, 20, 30])
    m = torch.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    got = broadcasting.expand_like(c, m)
    assert_close(got, torch.tensor([[10.0, 20, 30]] * 3))
    assert got.stride() == (0, 1), f"expected strides (0, 1), got {got.stride()}"
    assert got.untyped_storage().data_ptr() == c.untyped_storage().data_ptr(), (
        "expected a view sharing c's storage, got a copy"
    )


@pytest.mark.expand_like
def test_expand_like_column():
    c = torch.tensor([[1.0], [2.0]])
    got = broadcasting.expand_like(c, torch.zeros(2, 4))
    assert got.shape == (2, 4), f"(2, 1) to (2, 4): got {tuple(got.shape)}"
    assert got.stride() == (1, 0), f"expected strides (1, 0), got {got.stride()}"
    assert_close(got, torch.tensor([[1.0] * 4, [2.0] * 4]))


@pytest.mark.expand_like
def test_expand_like_rejects_mismatch():
    c = torch.tensor([10.0, 20])
    m = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError) as err:
        broadcasting.expand_like(c, m)
    _message_names(err, 2, 3)


# --- as_column --------------------------------------------------------------


@pytest.mark.as_column
@pytest.mark.parametrize("name", ["as_column", "as_column_indexing"])
def test_as_column(name):
    c = torch.tensor([10.0, 20, 30])
    got = getattr(broadcasting, name)(c)
    assert got.shape == (3, 1), f"{name}: (3,) in, expected (3, 1), got {tuple(got.shape)}"
    assert_close(got, torch.tensor([[10.0], [20.0], [30.0]]))
    assert got.untyped_storage().data_ptr() == c.untyped_storage().data_ptr(), (
        f"{name}: expected a view sharing c's storage, got a copy"
    )


@pytest.mark.as_column
@pytest.mark.parametrize("name", ["as_column", "as_column_indexing"])
def test_as_column_of_a_strided_vector(name):
    c = torch.arange(10.0)[::2]
    got = getattr(broadcasting, name)(c)
    assert got.shape == (5, 1), f"{name}: (5,) in, expected (5, 1), got {tuple(got.shape)}"
    assert got.stride(0) == 2, f"{name}: a view keeps c's stride 2, got strides {got.stride()}"
    assert_close(got[:, 0], c)


# --- storage_values ---------------------------------------------------------


@pytest.mark.storage_values
def test_storage_values_of_an_expanded_tensor():
    t = torch.tensor([10.0, 20, 30]).expand(3, 3)
    got = broadcasting.storage_values(t)
    assert got == [10.0, 20.0, 30.0], f"expected [10.0, 20.0, 30.0], got {got!r}"


@pytest.mark.storage_values
def test_storage_values_of_a_slice_and_a_transpose():
    got = broadcasting.storage_values(torch.arange(6)[2:4])
    assert got == [0, 1, 2, 3, 4, 5], f"a slice keeps the whole storage: got {got!r}"
    got = broadcasting.storage_values(torch.tensor([[1, 2], [3, 4]]).t())
    assert got == [1, 2, 3, 4], f"a transpose keeps the storage order: got {got!r}"


# --- add_vector -------------------------------------------------------------


@pytest.mark.add_vector
def test_add_vector_rows_and_columns():
    m = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    before = m.clone()
    got = broadcasting.add_vector(m, torch.tensor([10.0, 20, 30]), "rows")
    assert_close(got, torch.tensor([[11.0, 22, 33], [14, 25, 36]]))
    got = broadcasting.add_vector(m, torch.tensor([10.0, 20]), "columns")
    assert_close(got, torch.tensor([[11.0, 12, 13], [24, 25, 26]]))
    assert_close(m, before, msg="add_vector must not change m")


@pytest.mark.add_vector
def test_add_vector_square_matrix():
    m = torch.zeros(3, 3, dtype=torch.float64)
    c = torch.tensor([1.0, 2, 3], dtype=torch.float64)
    assert_close(broadcasting.add_vector(m, c, "rows"), c.expand(3, 3))
    assert_close(broadcasting.add_vector(m, c, "columns"), c.expand(3, 3).t())


@pytest.mark.add_vector
def test_add_vector_errors():
    m = torch.zeros(2, 3)
    with pytest.raises(ValueError) as err:
        broadcasting.add_vector(m, torch.zeros(3), "diagonal")
    _message_names(err, "diagonal")
    with pytest.raises(ValueError) as err:
        broadcasting.add_vector(m, torch.zeros(2), "rows")
    _message_names(err, 2, 3)
    with pytest.raises(ValueError) as err:
        broadcasting.add_vector(m, torch.zeros(3), "columns")
    _message_names(err, 2, 3)


# --- memory_footprint -------------------------------------------------------


@pytest.mark.memory_footprint
def test_memory_footprint_of_an_expanded_tensor():
    t = torch.tensor([10.0, 20, 30]).expand(3, 3)
    got = broadcasting.memory_footprint(t)
    assert got == 12, f"3 float32 expanded to (3, 3): expected 12 bytes, got {got!r}"


@pytest.mark.memory_footprint
def test_memory_footprint_other_tensors():
    cases = [
        (torch.zeros(3, 3), 36, "a contiguous (3, 3) float32"),
        (torch.zeros(3, dtype=torch.float64), 24, "3 float64"),
        (torch.arange(10.0)[2:5], 40, "a slice of 10 float32"),
    ]
    for t, expected, what in cases:
        got = broadcasting.memory_footprint(t)
        assert got == expected, f"{what}: expected {expected} bytes, got {got!r}"
