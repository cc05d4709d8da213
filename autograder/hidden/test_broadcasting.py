"""Hidden tests of broadcasting.py: comparisons, rank-0 tensors, broadcasting and memory."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.hidden import checks
from autograder.hidden.strategies import float_dtypes, randn
from autograder.hidden.strategies import graded
from autograder.sandbox.client import Transposed

MODULE = "broadcasting"


NOT_PLAIN_PYTHON = {"torch", "numpy"}


# -- helpers ---------------------------------------------------------------------------


error_text = checks.error_text
probe = checks.probe


def tensor(shape, dtype=torch.float32, seed=0) -> torch.Tensor:
    """Random values of any shape, rank 0 included."""
    return randn(*shape, 1, dtype=dtype, seed=seed).reshape(shape)


probe_packages = checks.probe_packages


def on_view(sub, name: str, base: torch.Tensor, ops: list, *extra, what: str) -> dict:
    """`name` called in the child on a view of `base` (see probes.call_on_view)."""
    data = probe(sub, "call_on_view", name, base, ops, list(extra), what=what)
    assert not data["changed"], f"{what} changed its input in place"
    return data


@st.composite
def tensor_specs(draw, min_rank=0, max_rank=3):
    rank = draw(st.integers(min_rank, max_rank))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    return shape, draw(float_dtypes), draw(st.integers(0, 2**16))


# -- all_greater ---------------------------------------------------------------------------


def check_all_greater(sub, a, b, what):
    outcome = sub.call("all_greater", a, b)
    got = checks.returned(outcome, what)
    expected = bool((a > b).all())
    assert type(got) is bool, (
        f"{what} should return a Python bool, got {type(got).__name__}"
        + (f" of shape {tuple(got.shape)}" if isinstance(got, torch.Tensor) else "")
    )
    assert got == expected, f"{what}: expected {expected}, got {got}"
    checks.assert_pure(outcome, [a, b], what="all_greater")


@pytest.mark.item("all_greater", weight=3)
@graded
@given(spec=tensor_specs(), case=st.sampled_from(["greater", "one not greater", "mixed"]))
def test_all_greater_values(sub, spec, case):
    shape, dtype, seed = spec
    a = tensor(shape, dtype, seed)
    b = a - tensor(shape, dtype, seed + 1).abs() - 0.01  # every a > b
    if case == "one not greater":
        b.view(-1)[seed % b.numel()] += 5.0
    elif case == "mixed":
        b = tensor(shape, dtype, seed + 2)
    check_all_greater(sub, a, b, f"all_greater of {checks.shapes([a, b])} ({case})")


@pytest.mark.item("all_greater", weight=2)
def test_all_greater_equal_is_not_greater(sub):
    a = randn(3, 4, seed=1)
    check_all_greater(sub, a, a.clone(), "all_greater(a, a) (equal everywhere)")
    b = a - 1.0
    b[1, 2] = a[1, 2]
    check_all_greater(sub, a, b, "all_greater of (3, 4) float32 with one pair of equal elements")


@pytest.mark.item("all_greater", weight=2)
def test_all_greater_edge_cases(sub):
    cases = [
        (torch.tensor(2.0), torch.tensor(1.0)),  # rank 0
        (torch.tensor(1.0), torch.tensor(2.0)),
        (torch.tensor([5.0]), torch.tensor([4.0])),
        (torch.tensor([10, 6, -4]), torch.tensor([2, 5, -5])),  # integers
        (torch.tensor([10, 6, -4]), torch.tensor([2, 8, 7])),
    ]
    for a, b in cases:
        check_all_greater(sub, a, b, f"all_greater of {checks.shapes([a, b])}")


# -- to_python -----------------------------------------------------------------------------


@pytest.mark.item("to_python", weight=3)
def test_to_python_values_and_types(sub):
    cases = [
        torch.tensor(2.5),
        torch.tensor(1 / 3, dtype=torch.float64),
        torch.tensor(-0.1),  # float32: the float that tensor holds, not -0.1
        torch.tensor(7),
        torch.tensor(-3, dtype=torch.int32),
        torch.tensor(True),
        torch.tensor(False),
        randn(4, 5, seed=1).sum(),  # a reduction
    ]
    for t in cases:
        expected = t.item()
        what = f"to_python of a rank-0 {str(t.dtype).removeprefix('torch.')} tensor"
        got = checks.returned(sub.call("to_python", t), what)
        assert type(got) is type(expected), (
            f"{what} should return a Python {type(expected).__name__}, got {type(got).__name__}"
        )
        assert got == expected, f"{what}: expected {expected!r}, got {got!r}"


@pytest.mark.item("to_python", weight=2)
@pytest.mark.parametrize("shape, rank", [((1,), 1), ((1, 1), 2), ((2, 2, 2), 3)], ids=["rank-1", "rank-2", "rank-3"])
def test_to_python_rejects_other_ranks(sub, shape, rank):
    outcome = sub.call("to_python", torch.ones(shape))
    checks.assert_raises_naming_the_rank(outcome, "ValueError", shape, what=f"to_python of a rank-{rank} tensor {shape}")


# -- broadcast_shape ---------------------------------------------------------------------------


@st.composite
def compatible_shapes(draw):
    sizes = [draw(st.integers(1, 6)) for _ in range(4)]
    shapes = []
    for _ in range(2):
        rank = draw(st.integers(0, 4))
        shapes.append(tuple(draw(st.sampled_from([n, 1])) for n in sizes[4 - rank:]))
    return tuple(shapes)


def check_broadcast_shape(sub, a, b):
    what = f"broadcast_shape({a}, {b})"
    got = checks.returned(sub.call("broadcast_shape", a, b), what)
    expected = tuple(torch.broadcast_shapes(a, b))
    assert isinstance(got, tuple), f"{what} should return a tuple, got {type(got).__name__}"
    assert got == expected, f"{what}: expected {expected}, got {got}"
    assert all(type(n) is int for n in got), f"{what} should hold Python ints, got {got!r}"


@pytest.mark.item("broadcast_shape", weight=3)
@graded
@given(shapes=compatible_shapes())
def test_broadcast_shape_matches_torch(sub, shapes):
    check_broadcast_shape(sub, *shapes)


@pytest.mark.item("broadcast_shape", weight=2)
def test_broadcast_shape_edge_cases(sub):
    cases = [
        ((3, 3), (3,)), ((3,), (3, 3)), ((256, 256, 3), (3,)), ((8, 1, 6, 1), (7, 1, 5)),
        ((2,), (1,)), ((1,), (2,)), ((), ()), ((), (4,)), ((5, 4), ()), ((15, 3, 5), (15, 1, 5)),
        ((15, 3, 5), (3, 5)), ((15, 3, 5), (3, 1)), ((1, 1, 1), (4,)), ((6, 1), (1, 7)),
    ]
    for a, b in cases:
        check_broadcast_shape(sub, a, b)


@pytest.mark.item("broadcast_shape")
def test_broadcast_shape_with_size_zero(sub):
    for a, b in [((0,), (1,)), ((1,), (0,)), ((2, 0), (0,)), ((3, 1), (0,))]:
        check_broadcast_shape(sub, a, b)
    outcome = sub.call("broadcast_shape", (0,), (3,))
    checks.assert_raises(outcome, "ValueError", 0, 3, what="broadcast_shape((0,), (3,))")


@st.composite
def clashing_shapes(draw):
    a, b = draw(compatible_shapes())
    a, b = a or (1,), b or (1,)  # at least one dimension each
    position = draw(st.integers(1, min(len(a), len(b))))  # from the right
    x = draw(st.integers(2, 9))
    y = draw(st.integers(2, 9).filter(lambda n: n != x))
    a = a[:len(a) - position] + (x,) + a[len(a) - position + 1:]
    b = b[:len(b) - position] + (y,) + b[len(b) - position + 1:]
    return a, b, x, y


@pytest.mark.item("broadcast_shape", weight=2)
@graded
@given(case=clashing_shapes())
def test_broadcast_shape_clash(sub, case):
    a, b, x, y = case
    outcome = sub.call("broadcast_shape", a, b)
    checks.assert_raises(outcome, "ValueError", x, y, what=f"broadcast_shape({a}, {b})")


@pytest.mark.item("broadcast_shape", weight=2)
def test_broadcast_shape_is_plain_python(sub):
    for a, b in [((2, 1, 3), (4, 1)), ((5,), (1,))]:
        what = f"broadcast_shape({a}, {b})"
        outcome = sub.call("broadcast_shape", a, b)
        checks.assert_right(outcome, tuple(torch.broadcast_shapes(a, b)), what=what)
        checks.assert_no_torch(outcome, what="broadcast_shape")
        # torch.broadcast_shapes is plain Python inside torch: the tracer does not see it
        data = probe_packages(sub, "broadcast_shape", [a, b], what=what)
        used = sorted(NOT_PLAIN_PYTHON & set(data["packages"]))
        assert not used, (
            "broadcast_shape must apply the rules in plain Python (no torch.broadcast_shapes, "
            f"broadcast_tensors, broadcast_to or expand), but it used {', '.join(used)}"
        )


# -- expand_like -------------------------------------------------------------------------------


@st.composite
def expandable(draw):
    """(c's shape, m's shape): c fits m once aligned from the right."""
    m_shape = tuple(draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 4))))
    rank = draw(st.integers(0, len(m_shape)))
    c_shape = tuple(draw(st.sampled_from([n, 1])) for n in m_shape[len(m_shape) - rank:])
    return c_shape, m_shape, draw(float_dtypes), draw(st.integers(0, 2**16))


def kept_strides(stride, shape) -> list:
    """The strides that matter: those of dimensions longer than 1."""
    return [s for s, n in zip(stride, shape) if n > 1]


def check_expand_like(sub, c, m):
    what = f"expand_like of c {checks.describe_shape(c)} to m {checks.describe_shape(m)}"
    outcome = sub.call("expand_like", c, m)
    expected = c.expand(m.shape)
    checks.assert_tensor(outcome, expected, what=what)
    checks.assert_pure(outcome, [c, m], what="expand_like")
    got, want = kept_strides(outcome.stride, m.shape), kept_strides(expected.stride(), m.shape)
    assert got == want, (
        f"{what}: a view expanded from c should have strides {expected.stride()} "
        f"(0 along the expanded dimensions), got {outcome.stride}"
    )


@pytest.mark.item("expand_like", weight=3)
@graded
@given(case=expandable())
def test_expand_like_matches_expand(sub, case):
    c_shape, m_shape, dtype, seed = case
    check_expand_like(sub, tensor(c_shape, dtype, seed), torch.zeros(m_shape))


@pytest.mark.item("expand_like", weight=2)
def test_expand_like_edge_cases(sub):
    cases = [
        (torch.tensor([10.0, 20, 30]), randn(3, 3)),  # the chapter's example
        (randn(3, 1, seed=1), randn(3, 4)),  # a column
        (torch.tensor(2.5), randn(2, 3)),  # rank 0
        (randn(1, 1, seed=2), randn(1, 1)),  # nothing to expand
        (randn(4, dtype=torch.float64, seed=3), torch.zeros(2, 3, 4, dtype=torch.int64)),  # c's dtype
        (randn(2, 3, seed=4), randn(2, 3)),  # the same shape
    ]
    for c, m in cases:
        check_expand_like(sub, c, m)


@pytest.mark.item("expand_like", weight=2)
def test_expand_like_is_a_view_of_c(sub):
    cases = [
        (randn(3), [], randn(4, 3)),
        (randn(4, 1, seed=1), [], randn(2, 4, 5)),
        (randn(8, seed=2), [["slice", 0, 2, 6, 1]], randn(3, 4)),  # c is a slice
    ]
    for base, ops, m in cases:
        what = f"expand_like of c {'(a slice) ' if ops else ''}to m {checks.describe_shape(m)}"
        data = on_view(sub, "expand_like", base, ops, m, what=what)
        value = data["value"]
        assert isinstance(value, torch.Tensor), f"{what} should return a tensor, got {type(value).__name__}"
        assert data["shares"], f"{what} should return a view that shares c's storage, got a copy"


@pytest.mark.item("expand_like", weight=2)
@pytest.mark.parametrize("c_shape, m_shape, numbers", [
    ((2,), (2, 3), (2, 3)),
    ((5,), (4, 3), (5, 3)),
    ((2, 1), (3, 4), (2, 3)),
    ((4, 3), (3,), ()),  # c has more dimensions than m
], ids=["2-to-2x3", "5-to-4x3", "2x1-to-3x4", "4x3-to-3"])
def test_expand_like_rejects_what_does_not_broadcast(sub, c_shape, m_shape, numbers):
    outcome = sub.call("expand_like", torch.ones(c_shape), torch.zeros(m_shape))
    checks.assert_raises(outcome, "ValueError", *numbers, what=f"expand_like of c {c_shape} to m {m_shape}")


@pytest.mark.item("expand_like")
def test_expand_like_keeps_the_device(sub, ref_child, record_property):
    checks.run_on_devices(sub, ref_child, "expand_like", (randn(3), randn(2, 3)), record=record_property)


# -- as_column ---------------------------------------------------------------------------------

COLUMN_NAMES = ("as_column", "as_column_indexing")


@pytest.mark.item("as_column", weight=2)
@pytest.mark.parametrize("name", COLUMN_NAMES)
def test_as_column_values(sub, name):
    for n, dtype in [(1, torch.float32), (3, torch.float32), (7, torch.float64)]:
        c = randn(n, dtype=dtype, seed=n)
        outcome = sub.call(name, c)
        checks.assert_tensor(outcome, c[:, None], what=f"{name} of {checks.describe_shape(c)}")
        checks.assert_pure(outcome, [c], what=name)


@pytest.mark.item("as_column", weight=2)
@pytest.mark.parametrize("name", COLUMN_NAMES)
def test_as_column_is_a_view(sub, name):
    for base, ops, stride in [(randn(5), [], 1), (randn(10, seed=1), [["slice", 0, 1, 10, 2]], 2)]:
        c = base[1:10:2] if ops else base
        what = f"{name} of a {'strided ' if ops else ''}vector of {c.numel()}"
        data = on_view(sub, name, base, ops, what=what)
        value = data["value"]
        assert isinstance(value, torch.Tensor), f"{what} should return a tensor, got {type(value).__name__}"
        assert tuple(value.shape) == (c.numel(), 1), (
            f"{what}: expected shape ({c.numel()}, 1), got {tuple(value.shape)}"
        )
        checks.close(value, c[:, None], what=what)
        assert data["shares"], f"{what} should return a view that shares c's storage, got a copy"
        assert data["stride"][0] == stride, (
            f"{what}: a view keeps c's stride {stride} along its first dimension, got strides {tuple(data['stride'])}"
        )


@pytest.mark.item("as_column", weight=2)
def test_as_column_calls_unsqueeze(sub):
    c = randn(4)
    outcome = sub.call("as_column", c)
    checks.returned(outcome, "as_column of (4,) float32")
    assert outcome.calls("unsqueeze") >= 1, (
        "as_column should use unsqueeze, but no unsqueeze call was seen "
        f"(calls: {', '.join(sorted(outcome.trace['calls'])) or 'none'})"
    )


@pytest.mark.item("as_column", weight=2)
def test_as_column_indexing_indexes_with_none(sub):
    c = randn(4)
    outcome = sub.call("as_column_indexing", c)
    checks.returned(outcome, "as_column_indexing of (4,) float32")
    forbidden = sorted(n for n in outcome.trace["calls"]
                       if n in ("unsqueeze", "unsqueeze_", "view", "view_as", "reshape", "reshape_as"))
    assert not forbidden, f"as_column_indexing should index with None, not call {', '.join(forbidden)}"
    assert outcome.calls("__getitem__") >= 1 and outcome.kernels("unsqueeze") >= 1, (
        "as_column_indexing should index with None (c[:, None]), but no such indexing was seen "
        f"(calls: {', '.join(sorted(outcome.trace['calls'])) or 'none'})"
    )


@pytest.mark.item("as_column")
@pytest.mark.parametrize("name", COLUMN_NAMES)
def test_as_column_keeps_the_device(sub, ref_child, record_property, name):
    checks.run_on_devices(sub, ref_child, name, (randn(3),), record=record_property)


# -- storage_values ----------------------------------------------------------------------------


def check_storage_values(sub, base, ops, what):
    data = on_view(sub, "storage_values", base, ops, what=what)
    got, expected = data["value"], base.flatten().tolist()
    assert isinstance(got, list), f"{what} should return a list, got {type(got).__name__}"
    kinds = sorted({type(v).__name__ for v in got} - {type(expected[0]).__name__})
    assert not kinds, f"{what} should hold Python {type(expected[0]).__name__}s, got {', '.join(kinds)}"
    assert len(got) == len(expected), (
        f"{what}: the storage holds {len(expected)} elements, got {len(got)}"
    )
    assert got == expected, f"{what}: the right number of elements, but not the storage's values in storage order"


@pytest.mark.item("storage_values", weight=2)
def test_storage_values_of_an_expanded_tensor(sub):
    check_storage_values(sub, torch.tensor([10.0, 20, 30]), [["expand", [3, 3]]],
                         "storage_values of (3,) expanded to (3, 3)")
    check_storage_values(sub, randn(4, 1, dtype=torch.float64), [["expand", [2, 4, 6]]],
                         "storage_values of (4, 1) float64 expanded to (2, 4, 6)")


@pytest.mark.item("storage_values", weight=2)
def test_storage_values_of_a_slice(sub):
    check_storage_values(sub, torch.arange(6), [["slice", 0, 2, 4, 1]], "storage_values of arange(6)[2:4]")
    check_storage_values(sub, randn(4, 5), [["slice", 1, 1, 3, 1]], "storage_values of (4, 5)[:, 1:3]")
    check_storage_values(sub, randn(10, dtype=torch.float64), [["slice", 0, 1, 10, 3]],
                         "storage_values of (10,) float64 [1::3]")


@pytest.mark.item("storage_values", weight=2)
def test_storage_values_of_a_transpose(sub):
    check_storage_values(sub, torch.tensor([[1, 2], [3, 4]]), [["t"]], "storage_values of (2, 2) int64 transposed")
    check_storage_values(sub, randn(3, 5), [["t"]], "storage_values of (3, 5) transposed")


@pytest.mark.item("storage_values")
def test_storage_values_of_plain_tensors(sub):
    for t in [randn(2, 3), torch.arange(5), torch.tensor(3.5), torch.tensor([True, False, True])]:
        check_storage_values(sub, t, [], f"storage_values of {checks.describe_shape(t)}")


# -- add_vector --------------------------------------------------------------------------------


def expected_add(m, c, along):
    return m + c if along == "rows" else m + c[:, None]


def check_add_vector(sub, m, c, along):
    dense_m = m.base.t() if isinstance(m, Transposed) else m
    what = f"add_vector of m {checks.describe_shape(m)}, c {checks.describe_shape(c)}, along={along!r}"
    outcome = sub.call("add_vector", m, c, along)
    checks.assert_tensor(outcome, expected_add(dense_m, c, along), what=what)
    checks.assert_pure(outcome, [m, c], what="add_vector")


@pytest.mark.item("add_vector", weight=3)
@graded
@given(rows=st.integers(1, 5), cols=st.integers(1, 5), along=st.sampled_from(["rows", "columns"]),
       dtype=float_dtypes, seed=st.integers(0, 2**16))
def test_add_vector_values(sub, rows, cols, along, dtype, seed):
    m = randn(rows, cols, dtype=dtype, seed=seed)
    c = randn(cols if along == "rows" else rows, dtype=dtype, seed=seed + 1)
    check_add_vector(sub, m, c, along)


@pytest.mark.item("add_vector", weight=2)
@pytest.mark.parametrize("along", ["rows", "columns"])
def test_add_vector_square_matrix(sub, along):
    # The lengths cannot tell rows from columns here: only the values can.
    m = randn(3, 3, seed=1)
    check_add_vector(sub, m, torch.tensor([10.0, 20.0, 30.0]), along)
    check_add_vector(sub, Transposed(randn(4, 4, dtype=torch.float64, seed=2)),
                     randn(4, dtype=torch.float64, seed=3), along)


@pytest.mark.item("add_vector")
def test_add_vector_edge_cases(sub):
    for (rows, cols), along in [((1, 1), "rows"), ((1, 1), "columns"), ((1, 4), "rows"),
                                ((1, 4), "columns"), ((4, 1), "rows"), ((4, 1), "columns")]:
        m = randn(rows, cols, seed=rows + cols)
        c = randn(cols if along == "rows" else rows, seed=7)
        check_add_vector(sub, m, c, along)


@pytest.mark.item("add_vector", weight=2)
@pytest.mark.parametrize("length, along, numbers", [
    (3, "rows", (3, 5)),
    (5, "columns", (5, 4)),
    (1, "rows", (1, 5)),  # a length-1 vector would broadcast silently
    (1, "columns", (1, 4)),
    (5, "diagonal", ("diagonal",)),
    (5, "row", ("row",)),
], ids=["short-rows", "long-columns", "length-1-rows", "length-1-columns", "diagonal", "row"])
def test_add_vector_errors(sub, length, along, numbers):
    outcome = sub.call("add_vector", torch.zeros(4, 5), torch.ones(length), along)
    checks.assert_raises(outcome, "ValueError", *numbers,
                         what=f"add_vector of m (4, 5), c ({length},), along={along!r}")


@pytest.mark.item("add_vector")
@pytest.mark.parametrize("along", ["rows", "columns"])
def test_add_vector_keeps_the_device(sub, ref_child, record_property, along):
    c = randn(3 if along == "rows" else 2, seed=1)
    checks.run_on_devices(sub, ref_child, "add_vector", (randn(2, 3), c, along), record=record_property)


# -- memory_footprint --------------------------------------------------------------------------


def check_footprint(sub, base, ops, what):
    data = on_view(sub, "memory_footprint", base, ops, what=what)
    got, expected = data["value"], base.numel() * base.element_size()
    assert type(got) is int, f"{what} should return a Python int, got {type(got).__name__}"
    assert got == expected, f"{what}: expected {expected} bytes, got {got}"


@pytest.mark.item("memory_footprint", weight=2)
def test_memory_footprint_of_an_expanded_tensor(sub):
    check_footprint(sub, torch.tensor([10.0, 20, 30]), [["expand", [3, 3]]],
                    "memory_footprint of (3,) float32 expanded to (3, 3)")
    check_footprint(sub, randn(4, 1, dtype=torch.float64), [["expand", [5, 4, 6]]],
                    "memory_footprint of (4, 1) float64 expanded to (5, 4, 6)")


@pytest.mark.item("memory_footprint", weight=2)
def test_memory_footprint_of_a_slice(sub):
    check_footprint(sub, torch.arange(10.0), [["slice", 0, 2, 5, 1]], "memory_footprint of (10,) float32 [2:5]")
    check_footprint(sub, randn(4, 5, dtype=torch.float64), [["slice", 1, 1, 3, 1]],
                    "memory_footprint of (4, 5) float64 [:, 1:3]")


@pytest.mark.item("memory_footprint", weight=2)
def test_memory_footprint_of_plain_tensors(sub):
    for t in [randn(2, 3), torch.zeros(5, dtype=torch.float64), torch.zeros(7, dtype=torch.int8),
              torch.ones(3, dtype=torch.bool), torch.tensor(1.5), torch.arange(6).reshape(2, 3)]:
        check_footprint(sub, t, [], f"memory_footprint of {checks.describe_shape(t)}")
    check_footprint(sub, randn(3, 4), [["t"]], "memory_footprint of (3, 4) float32 transposed")
