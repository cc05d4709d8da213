"""The wire format (autograder/sandbox/wire.py) on its own: what travels comes
back equal, and what a hostile child sends is refused with a ValueError, the
one error the grader's side expects (client.py turns it into a failed call),
quickly and without building anything large."""

from __future__ import annotations

import base64
import json
import math
import time

import numpy as np
import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.sandbox import wire


def travel(value, kept=None):
    """Encode in the child, frame, unframe and decode in the grader."""
    keep = (lambda obj: kept.append(obj) or wire.Handle(len(kept), wire.type_name(obj))) if kept is not None \
        else (lambda obj: pytest.fail(f"{obj!r} should have travelled by value"))
    return wire.decode(wire.loads(wire.dumps({"value": wire.encode(value, keep)}))["value"])


# -- what travels ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", list(wire.DTYPES.values()), ids=str)
def test_a_tensor_of_every_dtype_comes_back_equal(dtype):
    tensor = (torch.arange(12) % 3).to(dtype).reshape(3, 4)
    back = travel(tensor)
    assert back.dtype == dtype and back.shape == (3, 4) and torch.equal(back, tensor)


def test_a_transposed_tensor_comes_back_with_its_values():
    tensor = torch.arange(6.0).reshape(2, 3).t()
    assert torch.equal(travel(tensor), tensor)


@pytest.mark.parametrize("value", [
    None, True, 3, -2**60, 2**100, 0.5, math.inf, -math.inf, "text", [1, [2, [3]]], (1, (2.5, "x")),
    {"a": 1, 2: [3], (1, 2): None}, torch.Size([2, 3]),
], ids=repr)
def test_plain_values_come_back_equal(value):
    back = travel(value)
    assert back == (tuple(value) if isinstance(value, torch.Size) else value)
    assert type(back) is (tuple if isinstance(value, torch.Size) else type(value))


def test_nan_comes_back_as_nan():
    assert math.isnan(travel(math.nan))


def test_numpy_arrays_and_scalars_come_back_equal():
    array = np.arange(6, dtype=np.int32).reshape(2, 3)
    back = travel(array)
    assert back.dtype == np.int32 and np.array_equal(back, array)
    scalar = travel(np.float32(1.5))
    assert type(scalar) is np.float32 and scalar == 1.5


def test_a_sympy_expression_comes_back_equal():
    x = sympy.Symbol("x", positive=True)
    expr = sympy.sin(x) ** 2 + sympy.Rational(1, 3) * sympy.exp(-x) + sympy.pi
    assert sympy.simplify(travel(expr) - expr) == 0


class MyList(list):
    pass


class MyStr(str):
    pass


@pytest.mark.parametrize("value", [MyList([1]), MyStr("x"), object(), torch.nn.Linear(2, 2), lambda: 1],
                         ids=lambda v: type(v).__name__)
def test_anything_else_stays_behind_a_handle(value):
    """By exact type: a subclass could run code while it is read."""
    kept = []
    back = travel(value, kept)
    assert isinstance(back, wire.Handle) and kept == [value]
    assert back.type == wire.type_name(value)


# -- what a hostile child may send ----------------------------------------------


def tensor(**changes) -> dict:
    raw = {"dtype": "float32", "shape": [2], "stride": [1], "device": "cpu", "parameter": False,
           "requires_grad": False, "data": base64.b64encode(np.zeros(2, np.float32).tobytes()).decode()}
    return {"$tensor": {**raw, **changes}}


HOSTILE = {
    "an unknown dtype": tensor(dtype="object"),
    "a negative size": tensor(shape=[-1]),
    "too many dimensions": tensor(shape=[1] * 17, data=None),
    "data for another shape": tensor(shape=[3]),
    "data that is not base64": tensor(data="!!!"),
    "a shape that is not numbers": tensor(shape=["a"]),
    "a shape of huge numbers": tensor(shape=[10**18, 10**18]),
    "a tensor that is a list": {"$tensor": []},
    "a tensor without its keys": {"$tensor": {}},
    "an unknown tag": {"$eval": "__import__('os')"},
    "three keys": {"$int": "1", "$float": "1", "x": 1},
    "an integer of 5000 digits": {"$int": "9" * 5000},
    "an integer that is not one": {"$int": "0x10"},
    "a float that is a list": {"$float": [1]},
    "a handle that is not a number": {"$handle": "one"},
    "a handle of infinity": {"$handle": 1e400},
    "a dict key that is a list": {"$dict": [[[1], 2]]},
    "a dict entry of one element": {"$dict": [[1]]},
    "a numpy scalar out of its range": {"$npscalar": {"dtype": "int8", "value": 1000}},
    "a numpy float of a huge integer": {"$npscalar": {"dtype": "float16", "value": {"$int": "9" * 400}}},
    "an array of an unknown dtype": {"$ndarray": {"dtype": "O", "shape": [1], "data": ""}},
    "an array whose data does not fit": {"$ndarray": {"dtype": "int8", "shape": [5], "data": "AA=="}},
    "nesting too deep": json.loads("[" * 40 + "]" * 40),
    "tuples nested too deep": {"$tuple": [{"$tuple": [{"$tuple": [{"$tuple": [json.loads("[" * 30 + "]" * 30)]}]}]}]},
    "a sympy node not on the list": {"$sympy": ["Function", "x"]},
    "a sympy tree that is not a list": {"$sympy": "x"},
    "a sympy power too large": {"$sympy": ["Pow", ["Integer", "2"], ["Integer", "100000"]]},
    "a sympy integer too large": {"$sympy": ["Integer", "1" + "0" * 40]},
    "a sympy tree too large": {"$sympy": ["Add", *[["Integer", str(n)] for n in range(3000)]]},
    "a sympy function of the wrong arity": {"$sympy": ["sin", ["Integer", "1"], ["Integer", "2"]]},
    "a sympy symbol without its flag": {"$sympy": ["Symbol", "x"]},
    "a sympy float of infinity": {"$sympy": ["Float", "inf"]},
}


@pytest.mark.parametrize("raw", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_value_is_refused_with_a_value_error(raw):
    start = time.perf_counter()
    with pytest.raises(ValueError):
        wire.decode(raw)
    assert time.perf_counter() - start < 5, "refusing it took seconds: it was built first"


@pytest.mark.parametrize("data", [b"not json", b"\xff\xfe\x00", b"[1, 2]", b'"text"', b"[" * 100_000,
                                  b'{"a": ' * 100_000], ids=["not JSON", "not UTF-8", "a list", "a string",
                                                             "nested lists", "nested objects"])
def test_a_frame_that_is_not_a_message_is_refused_with_a_value_error(data):
    with pytest.raises(ValueError):
        wire.loads(data)


def test_a_shape_without_data_costs_nothing():
    """A meta tensor's shape is only reported: a huge one allocates nothing."""
    info = wire.decode(tensor(shape=[10**6, 10**6], stride=[10**6, 1], data=None))
    assert isinstance(info, wire.TensorInfo) and info.shape == (10**6, 10**6)


def test_a_long_type_name_is_cut():
    handle = wire.decode({"$handle": 1, "type": "x" * 10**6})
    assert len(handle.type) == wire.MAX_NAME


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["$tensor", "$tuple", "$dict", "$int", "$float", "$ndarray", "$npscalar", "$sympy",
                         "$handle", "type", "dtype", "shape", "stride", "data", "value", "device"]) | st.text(max_size=4),
        children, max_size=3),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_anything_a_child_sends_decodes_or_raises_a_value_error(raw):
    try:
        wire.decode(raw)
    except ValueError:
        pass
