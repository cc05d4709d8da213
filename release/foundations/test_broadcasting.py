# Generated from autograder/public/test_broadcasting.py by `python -m autograder notebooks`.
# Do not edit: your changes would be overwritten.
"""Public tests for broadcasting.py: comparisons, rank-0 tensors and broadcasting."""

import pytest
import torch

import broadcasting
import feedback


def _same_storage(got, c, what):
    assert got.untyped_storage().data_ptr() == c.untyped_storage().data_ptr(), (
        f"{what} returned a copy, expected a view that shares c's storage"
    )


# --- all_greater ------------------------------------------------------------


@pytest.mark.all_greater
def test_all_greater_chapter_example():
    a, b = torch.tensor([10.0, 6, -4]), torch.tensor([2.0, 8, 7])
    got, what = feedback.run(broadcasting.all_greater, a, b)
    assert got is False, f"{what} returned {got!r}, expected False (a Python bool)"
    got, what = feedback.run(broadcasting.all_greater, a, b - 20)
    assert got is True, f"{what} returned {got!r}, expected True (a Python bool)"


@pytest.mark.all_greater
def test_all_greater_matrix_and_equal_elements():
    m = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    got, what = feedback.run(broadcasting.all_greater, m + 1, m)
    assert got is True, f"{what} returned {got!r}, expected True: a = m + 1 is greater everywhere"
    got, what = feedback.run(broadcasting.all_greater, m, m)
    assert got is False, f"{what} returned {got!r}, expected False: equal is not greater"


# --- to_python --------------------------------------------------------------


@pytest.mark.to_python
def test_to_python_values_and_types():
    for t, expected in [(torch.tensor(2.5), 2.5), (torch.tensor(7), 7), (torch.tensor(True), True)]:
        got, what = feedback.run(broadcasting.to_python, t)
        assert got == expected and type(got) is type(expected), (
            f"{what} returned {got!r} ({type(got).__name__}), "
            f"expected {expected!r} ({type(expected).__name__})"
        )


@pytest.mark.to_python
def test_to_python_of_a_reduction():
    a, b = torch.tensor([10.0, 6, -4]), torch.tensor([2.0, 8, 7])
    got, what = feedback.run(broadcasting.to_python, (a + b).sum())
    assert got == 29.0, f"{what} for t = (a + b).sum() returned {got!r}, expected 29.0"


@pytest.mark.to_python
@pytest.mark.parametrize("shape", [(1,), (2, 3)], ids=feedback.shape_id)
def test_to_python_rejects_other_ranks(shape):
    feedback.assert_raises(ValueError, f"t has rank {len(shape)}, not 0", broadcasting.to_python,
                           torch.zeros(shape), mentions=(len(shape),))


# --- broadcast_shape --------------------------------------------------------


BROADCASTS = [
    ((2,), (1,), (2,)),
    ((3, 3), (3,), (3, 3)),
    ((3,), (3, 3), (3, 3)),
    ((256, 256, 3), (3,), (256, 256, 3)),
    ((8, 1, 6, 1), (7, 1, 5), (8, 7, 6, 5)),
    ((), (2, 3), (2, 3)),
]
CLASHES = [((2,), (3,), (2, 3)), ((5, 4), (3, 1), (5, 3))]


@pytest.mark.broadcast_shape
@pytest.mark.parametrize("a, b, expected", BROADCASTS, ids=[feedback.shape_id(a, b) for a, b, _ in BROADCASTS])
def test_broadcast_shape(a, b, expected):
    with feedback.explaining("the shapes line up from the right:", *feedback.broadcast_picture(a, b)):
        got, what = feedback.run(broadcasting.broadcast_shape, a, b)
        assert got == expected, f"{what} returned {got!r}, expected {expected}"
    assert isinstance(got, tuple), f"{what} returned a {type(got).__name__}, expected a tuple"


@pytest.mark.broadcast_shape
@pytest.mark.parametrize("a, b, sizes", CLASHES, ids=[feedback.shape_id(a, b) for a, b, _ in CLASHES])
def test_broadcast_shape_clash(a, b, sizes):
    clash = " and ".join(map(str, sizes))
    picture = "\n".join(feedback.broadcast_picture(a, b))
    feedback.assert_raises(ValueError, f"the sizes {clash} clash\n{picture}", broadcasting.broadcast_shape, a, b,
                           mentions=sizes)


# --- expand_like ------------------------------------------------------------


@pytest.mark.expand_like
def test_expand_like_chapter_example():
    c = torch.tensor([10.0, 20, 30])
    m = torch.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    got, what = feedback.run(broadcasting.expand_like, c, m)
    feedback.assert_close(got, torch.tensor([[10.0, 20, 30]] * 3), what)
    assert got.stride() == (0, 1), (
        f"{what} returned strides {got.stride()}, expected (0, 1): stride 0 along the stretched rows"
    )
    _same_storage(got, c, what)


@pytest.mark.expand_like
def test_expand_like_column():
    c = torch.tensor([[1.0], [2.0]])
    got, what = feedback.run(broadcasting.expand_like, c, torch.zeros(2, 4))
    assert got.shape == (2, 4), f"{what} returned shape {tuple(got.shape)}, expected (2, 4)"
    assert got.stride() == (1, 0), (
        f"{what} returned strides {got.stride()}, expected (1, 0): stride 0 along the stretched columns"
    )
    feedback.assert_close(got, torch.tensor([[1.0] * 4, [2.0] * 4]), what)


@pytest.mark.expand_like
def test_expand_like_rejects_mismatch():
    c = torch.tensor([10.0, 20])
    m = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    picture = "\n".join(feedback.broadcast_picture((2,), (2, 3), names=("c", "m")))
    feedback.assert_raises(ValueError, f"c's 2 clashes with m's 3\n{picture}", broadcasting.expand_like, c, m,
                           mentions=(2, 3))


# --- as_column --------------------------------------------------------------


@pytest.mark.as_column
@pytest.mark.parametrize("name", ["as_column", "as_column_indexing"])
def test_as_column(name):
    c = torch.tensor([10.0, 20, 30])
    got, what = feedback.run(getattr(broadcasting, name), c)
    feedback.assert_close(got, torch.tensor([[10.0], [20.0], [30.0]]), what)
    _same_storage(got, c, what)


@pytest.mark.as_column
@pytest.mark.parametrize("name", ["as_column", "as_column_indexing"])
def test_as_column_of_a_strided_vector(name):
    c = torch.arange(10.0)[::2]
    got, what = feedback.run(getattr(broadcasting, name), c)
    assert got.shape == (5, 1), f"{what} returned shape {tuple(got.shape)}, expected (5, 1)"
    assert got.stride(0) == 2, (
        f"{what} returned strides {got.stride()}: a view keeps c's stride 2 (c is every other element)"
    )
    feedback.assert_close(got[:, 0], c, what, name="its column [:, 0]")


# --- storage_values ---------------------------------------------------------


@pytest.mark.storage_values
def test_storage_values_of_an_expanded_tensor():
    t = torch.tensor([10.0, 20, 30]).expand(3, 3)
    got, what = feedback.run(broadcasting.storage_values, t)
    assert got == [10.0, 20.0, 30.0], (
        f"{what} for t = tensor([10., 20., 30.]).expand(3, 3) returned {got!r}, expected [10.0, 20.0, 30.0]: "
        "the expanded tensor shows 9 numbers but stores 3"
    )


@pytest.mark.storage_values
def test_storage_values_of_a_slice_and_a_transpose():
    got, what = feedback.run(broadcasting.storage_values, torch.arange(6)[2:4])
    assert got == [0, 1, 2, 3, 4, 5], (
        f"{what} for t = arange(6)[2:4] returned {got!r}, expected [0, 1, 2, 3, 4, 5]: a slice keeps the whole storage"
    )
    got, what = feedback.run(broadcasting.storage_values, torch.tensor([[1, 2], [3, 4]]).t())
    assert got == [1, 2, 3, 4], (
        f"{what} for t = tensor([[1, 2], [3, 4]]).t() returned {got!r}, expected [1, 2, 3, 4]: "
        "a transpose keeps the storage order"
    )


# --- add_vector -------------------------------------------------------------


@pytest.mark.add_vector
def test_add_vector_rows_and_columns():
    m = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    before = m.clone()
    got, what = feedback.run(broadcasting.add_vector, m, torch.tensor([10.0, 20, 30]), "rows")
    feedback.assert_unchanged(m, before, what, name="m")
    feedback.assert_close(got, torch.tensor([[11.0, 22, 33], [14, 25, 36]]), what)
    got, what = feedback.run(broadcasting.add_vector, m, torch.tensor([10.0, 20]), "columns")
    feedback.assert_unchanged(m, before, what, name="m")
    feedback.assert_close(got, torch.tensor([[11.0, 12, 13], [24, 25, 26]]), what)


@pytest.mark.add_vector
def test_add_vector_square_matrix():
    m = torch.zeros(3, 3, dtype=torch.float64)
    c = torch.tensor([1.0, 2, 3], dtype=torch.float64)
    for along, expected in [("rows", c.expand(3, 3)), ("columns", c.expand(3, 3).t())]:
        got, what = feedback.run(broadcasting.add_vector, m, c, along)
        feedback.assert_close(got, expected, what)


@pytest.mark.add_vector
def test_add_vector_errors():
    m = torch.zeros(2, 3)
    feedback.assert_raises(ValueError, "along must be 'rows' or 'columns'", broadcasting.add_vector,
                           m, torch.zeros(3), "diagonal", mentions=("diagonal",))
    feedback.assert_raises(ValueError, "a row of m has 3 elements, not 2", broadcasting.add_vector,
                           m, torch.zeros(2), "rows", mentions=(2, 3))
    feedback.assert_raises(ValueError, "a column of m has 2 elements, not 3", broadcasting.add_vector,
                           m, torch.zeros(3), "columns", mentions=(2, 3))


# --- memory_footprint -------------------------------------------------------


@pytest.mark.memory_footprint
def test_memory_footprint_of_an_expanded_tensor():
    t = torch.tensor([10.0, 20, 30]).expand(3, 3)
    got, what = feedback.run(broadcasting.memory_footprint, t)
    assert got == 12, f"{what} for 3 float32 expanded to (3, 3) returned {got!r}, expected 12 bytes (3 x 4)"


@pytest.mark.memory_footprint
def test_memory_footprint_other_tensors():
    cases = [
        (torch.zeros(3, 3), 36, "a contiguous (3, 3) float32"),
        (torch.zeros(3, dtype=torch.float64), 24, "3 float64"),
        (torch.arange(10.0)[2:5], 40, "a slice of 10 float32"),
    ]
    for t, expected, which in cases:
        got, what = feedback.run(broadcasting.memory_footprint, t)
        assert got == expected, f"{what} for {which} returned {got!r}, expected {expected} bytes"
