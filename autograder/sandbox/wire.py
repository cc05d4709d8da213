"""Plain-data encoding of values between the grader and a student's child.

Messages are JSON, framed by `Connection.send_bytes`; never pickle, because
the grader must not run anything a submission sends. Tensors, arrays, tuples,
dicts, numpy scalars and sympy expressions have tagged forms; anything else a
student returns stays in the child and comes back as a handle.

Encoding in the child goes by exact type (`type(value) is list`, never
isinstance): a student's subclass of list, str or Tensor could run code while
it is read, so it stays in the child behind a handle. Decoding in the grader
builds only what it recognises, within bounds (depth, sizes, sympy nodes):
tensors from raw bytes, sympy expressions from a whitelist of classes,
nothing by name or by eval.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

# dtypes that travel, by name; their raw bytes go through numpy.
DTYPES = {
    "float16": torch.float16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "uint8": torch.uint8,
    "bool": torch.bool,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}
DTYPE_NAMES = {dtype: name for name, dtype in DTYPES.items()}
NUMPY_DTYPES = {name: np.dtype(name) for name in DTYPES}
NUMPY_SCALARS = frozenset(dtype.type for dtype in NUMPY_DTYPES.values())


@dataclass(frozen=True)
class Handle:
    """An object that lives in a child process; `type` is its class name there."""

    id: int
    type: str


@dataclass(frozen=True)
class TensorInfo:
    """A tensor without values: what a meta or fake tensor reports."""

    shape: tuple[int, ...]
    dtype: torch.dtype
    device: str
    stride: tuple[int, ...]


class Unencodable(TypeError):
    pass


# Bounds on what the grader decodes: a hostile child may send anything.
MAX_DEPTH = 32  # nesting of lists, tuples and dicts
MAX_DIMS = 16
MAX_SYMPY_NODES = 2000
MAX_SYMPY_INTEGER = 10**30  # larger integers would let sympy compute for ever (2**10**30)
MAX_NUMBER_BITS = 4096  # of any number sympy computes while an expression is rebuilt
MAX_NAME = 200  # a type name from the child


_TYPE_NAME = type.__dict__["__name__"].__get__
_TYPE_QUALNAME = type.__dict__["__qualname__"].__get__


def type_name(value) -> str:
    """The qualified name of `value`'s class, read from the class itself (a
    metaclass property cannot answer instead)."""
    return _plain_text(_TYPE_QUALNAME(type(value)))


def class_name(cls: type) -> str:
    return _plain_text(_TYPE_NAME(cls))


def _plain_text(text) -> str:
    """An exact str of at most MAX_NAME characters, without calling any method
    of a str subclass (join reads the characters themselves)."""
    return "".join((text,))[:MAX_NAME] if isinstance(text, str) else "?"


# -- tensors -----------------------------------------------------------------


def tensor_has_data(t: torch.Tensor) -> bool:
    from torch._subclasses.fake_tensor import FakeTensor

    return not (t.is_meta or isinstance(t, FakeTensor))


def encode_tensor(t: torch.Tensor, *, with_data: bool = True) -> dict:
    dtype = DTYPE_NAMES.get(t.dtype)
    if dtype is None:
        raise Unencodable(f"tensors of dtype {t.dtype} are not supported")
    out = {
        "dtype": dtype,
        "shape": list(t.shape),
        "stride": list(t.stride()),
        "device": str(t.device),
        "parameter": isinstance(t, torch.nn.Parameter),
        "requires_grad": bool(t.requires_grad),
        "data": None,
    }
    if with_data and tensor_has_data(t):
        array = t.detach().to("cpu").contiguous().numpy()
        out["data"] = base64.b64encode(array.tobytes()).decode("ascii")
    return out


def decode_tensor(raw: dict) -> torch.Tensor | TensorInfo:
    dtype = DTYPES[raw["dtype"]]
    shape = tuple(int(n) for n in raw["shape"])
    if len(shape) > MAX_DIMS or any(n < 0 for n in shape):
        raise ValueError(f"a tensor of shape {shape[:MAX_DIMS]} cannot be right")
    if raw.get("data") is None:
        return TensorInfo(shape, dtype, str(raw["device"]), tuple(int(s) for s in raw["stride"]))
    data = base64.b64decode(raw["data"], validate=True)
    array = np.frombuffer(data, dtype=NUMPY_DTYPES[raw["dtype"]])
    if array.size != math.prod(shape):
        raise ValueError(f"tensor data has {array.size} elements for shape {shape}")
    return torch.from_numpy(array.copy()).reshape(shape)


def tensor_meta(raw: dict) -> dict:
    """Device, stride and flags of an encoded tensor, for checks on the grader's side."""
    return {key: raw[key] for key in ("device", "stride", "parameter", "requires_grad")}


# -- sympy -------------------------------------------------------------------

SYMPY_FUNCTIONS = (
    "Add", "Mul", "Pow", "sin", "cos", "tan", "exp", "log", "Abs", "sinh", "cosh",
    "tanh", "Heaviside", "Max", "Min", "asin", "acos", "atan",
)


def encode_sympy(expr) -> list:
    """A sympy expression of the whitelisted classes, by exact type."""
    import sympy

    kind = type(expr)
    S = sympy.S
    if kind in (sympy.Symbol, sympy.Dummy):
        return ["Symbol", str(expr.name), bool(expr.is_positive)]
    if kind in (sympy.Integer, type(S.One), type(S.Zero), type(S.NegativeOne)):
        return ["Integer", str(int(expr))]
    if kind in (sympy.Rational, type(S.Half)):
        return ["Rational", str(expr.p), str(expr.q)]
    if kind is sympy.Float:
        return ["Float", repr(float(expr))]
    if expr is sympy.pi:
        return ["pi"]
    if expr is sympy.E:
        return ["E"]
    name = class_name(kind)
    if name not in SYMPY_FUNCTIONS or getattr(sympy, name) is not kind:
        raise Unencodable(f"sympy {name} is not supported")
    return [name, *[encode_sympy(arg) for arg in expr.args]]


def decode_sympy(tree: list):
    """Rebuild an expression; refuse trees too large or numbers so big that
    building them would not end."""
    return _decode_sympy(tree, [MAX_SYMPY_NODES], 0)


def _decode_sympy(tree, budget: list, depth: int):
    import sympy

    budget[0] -= 1
    if budget[0] < 0 or depth > 4 * MAX_DEPTH:
        raise ValueError("the sympy expression is too large")
    if not isinstance(tree, list) or not tree or not isinstance(tree[0], str):
        raise ValueError("malformed sympy expression")
    head, *rest = tree
    if head == "Symbol":
        name, positive = rest
        name = str(name)[:MAX_NAME]
        return sympy.Symbol(name, positive=True) if positive else sympy.Symbol(name)
    if head == "Integer":
        return sympy.Integer(_bounded(int(rest[0])))
    if head == "Rational":
        return sympy.Rational(_bounded(int(rest[0])), _bounded(int(rest[1])))
    if head == "Float":
        value = float(rest[0])
        if not math.isfinite(value):
            raise ValueError("a sympy Float must be finite")
        return sympy.Float(value)
    if head == "pi":
        return sympy.pi
    if head == "E":
        return sympy.E
    if head not in SYMPY_FUNCTIONS:
        raise ValueError(f"unknown sympy node {head[:40]!r}")
    args = [_decode_sympy(arg, budget, depth + 1) for arg in rest]
    if head == "Pow" and len(args) == 2 and args[0].is_Number and args[1].is_Number and abs(args[1]) > 64:
        raise ValueError("a power of a number with an exponent beyond 64 is not a plausible answer")
    built = getattr(sympy, head)(*args)
    if built.is_Rational and max(abs(int(built.p)), int(built.q)).bit_length() > MAX_NUMBER_BITS:
        # the next power of it would take sympy minutes (each power is limited to 64)
        raise ValueError("a number too large for a plausible answer")
    return built


def _bounded(n: int) -> int:
    if abs(n) > MAX_SYMPY_INTEGER:
        raise ValueError("an integer too large for a plausible answer")
    return n


def is_sympy(value) -> bool:
    import sys

    sympy = sys.modules.get("sympy")
    return sympy is not None and issubclass(type(value), sympy.Basic)  # type(): no __class__ property asked


# -- values ------------------------------------------------------------------


_TENSOR_TYPES: list[tuple] = []


def tensor_types() -> tuple[type, ...]:
    """The exact types of tensor that travel, found once (in the fork server)."""
    if not _TENSOR_TYPES:
        from torch._subclasses.fake_tensor import FakeTensor

        _TENSOR_TYPES.append((torch.Tensor, torch.nn.Parameter, FakeTensor))
    return _TENSOR_TYPES[0]


def encode(value: Any, keep, before_sympy=None) -> Any:
    """Plain data for `value`; `keep(obj) -> Handle` stores what cannot travel.

    By exact type only: nothing here calls a method a student could define.
    `before_sympy()` runs once before the first sympy expression is read
    (the child checks sympy's classes then).
    """
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return {"$int": str(value)} if abs(value) > 2**53 else value
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if kind in tensor_types():
        try:
            return {"$tensor": encode_tensor(value)}
        except Unencodable:
            pass
    elif kind is np.ndarray and value.dtype.name in NUMPY_DTYPES:
        data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")
        return {"$ndarray": {"dtype": value.dtype.name, "shape": list(value.shape), "data": data}}
    elif kind in NUMPY_SCALARS:
        return {"$npscalar": {"dtype": value.dtype.name, "value": encode(value.item(), keep, before_sympy)}}
    elif kind is list:
        return [encode(v, keep, before_sympy) for v in value]
    elif kind is tuple or kind is torch.Size:
        return {"$tuple": [encode(v, keep, before_sympy) for v in value]}
    elif kind is dict:
        return {"$dict": [[encode(k, keep, before_sympy), encode(v, keep, before_sympy)] for k, v in value.items()]}
    elif is_sympy(value):
        if before_sympy is not None:
            before_sympy()
        try:
            return {"$sympy": encode_sympy(value)}
        except Unencodable:
            pass
    handle = keep(value)
    return {"$handle": handle.id, "type": handle.type}


def decode(raw: Any) -> Any:
    """The grader's side: rebuild a value from plain data, trusting nothing.

    Whatever is wrong with `raw` (a missing key, a list where a number
    belongs, a number out of its dtype's range, a sympy function given two
    arguments) is a ValueError: the one error a caller has to expect."""
    try:
        return _decode(raw, 0)
    except ValueError:
        raise
    except (KeyError, IndexError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        raise ValueError(f"malformed value ({type(exc).__name__})") from None


def _decode(raw: Any, depth: int) -> Any:
    if raw is None or isinstance(raw, (bool, int, float, str)):
        return raw
    if depth > MAX_DEPTH:
        raise ValueError("the value is nested too deeply")
    if isinstance(raw, list):
        return [_decode(v, depth + 1) for v in raw]
    if not isinstance(raw, dict) or len(raw) not in (1, 2):
        raise ValueError("malformed value")
    if "$tensor" in raw:
        return decode_tensor(raw["$tensor"])
    if "$tuple" in raw:
        return tuple(_decode(v, depth + 1) for v in raw["$tuple"])
    if "$dict" in raw:
        return {_hashable(_decode(k, depth + 1)): _decode(v, depth + 1) for k, v in raw["$dict"]}
    if "$int" in raw:
        return int(raw["$int"])
    if "$float" in raw:
        return float(raw["$float"])
    if "$ndarray" in raw:
        spec = raw["$ndarray"]
        shape = tuple(int(n) for n in spec["shape"])
        if len(shape) > MAX_DIMS or any(n < 0 for n in shape):
            raise ValueError("an array of that shape cannot be right")
        data = base64.b64decode(spec["data"], validate=True)
        array = np.frombuffer(data, dtype=NUMPY_DTYPES[spec["dtype"]]).copy()
        return array.reshape(shape)
    if "$npscalar" in raw:
        spec = raw["$npscalar"]
        return NUMPY_DTYPES[spec["dtype"]].type(_decode(spec["value"], depth + 1))
    if "$sympy" in raw:
        return decode_sympy(raw["$sympy"])
    if "$handle" in raw:
        return Handle(int(raw["$handle"]), str(raw.get("type", "?"))[:MAX_NAME])
    raise ValueError(f"unknown tag in {sorted(raw)[:4]}")


def _hashable(key):
    if isinstance(key, (str, int, float, bool, tuple)) or key is None:
        return key
    raise ValueError("dict keys must be plain values")


def dumps(message: dict) -> bytes:
    return json.dumps(message, allow_nan=True, separators=(",", ":")).encode()


def loads(data: bytes) -> dict:
    try:
        message = json.loads(data.decode())
    except RecursionError:
        raise ValueError("the message is nested too deeply") from None
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message
