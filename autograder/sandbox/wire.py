"""Plain-data encoding of values between the grader and a student's child.

Messages are JSON, framed by `Connection.send_bytes`; never pickle, because
the grader must not run anything a submission sends. Tensors, arrays, tuples,
dicts, numpy scalars and sympy expressions have tagged forms; anything else a
student returns stays in the child and comes back as a handle.

Decoding in the grader builds only what it recognises: tensors from raw bytes,
sympy expressions from a whitelist of classes, nothing by name or by eval.
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
    if raw.get("data") is None:
        return TensorInfo(shape, dtype, str(raw["device"]), tuple(int(s) for s in raw["stride"]))
    data = base64.b64decode(raw["data"])
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
    import sympy

    if isinstance(expr, sympy.Symbol):
        return ["Symbol", expr.name, bool(expr.is_positive)]
    if isinstance(expr, sympy.Integer):
        return ["Integer", str(int(expr))]
    if isinstance(expr, sympy.Rational):
        return ["Rational", str(expr.p), str(expr.q)]
    if isinstance(expr, sympy.Float):
        return ["Float", repr(float(expr))]
    if expr is sympy.pi:
        return ["pi"]
    if expr is sympy.E:
        return ["E"]
    name = type(expr).__name__
    if name not in SYMPY_FUNCTIONS:
        raise Unencodable(f"sympy {name} is not supported")
    return [name, *[encode_sympy(arg) for arg in expr.args]]


def decode_sympy(tree: list):
    import sympy

    head, *rest = tree
    if head == "Symbol":
        name, positive = rest
        return sympy.Symbol(str(name), positive=True) if positive else sympy.Symbol(str(name))
    if head == "Integer":
        return sympy.Integer(int(rest[0]))
    if head == "Rational":
        return sympy.Rational(int(rest[0]), int(rest[1]))
    if head == "Float":
        return sympy.Float(float(rest[0]))
    if head == "pi":
        return sympy.pi
    if head == "E":
        return sympy.E
    if head not in SYMPY_FUNCTIONS:
        raise ValueError(f"unknown sympy node {head!r}")
    return getattr(sympy, head)(*[decode_sympy(arg) for arg in rest])


def is_sympy(value) -> bool:
    import sys

    sympy = sys.modules.get("sympy")
    return sympy is not None and isinstance(value, sympy.Basic)


# -- values ------------------------------------------------------------------


def encode(value: Any, keep) -> Any:
    """Plain data for `value`; `keep(obj) -> Handle` stores what cannot travel."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"$int": str(value)} if abs(value) > 2**53 else value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, torch.Tensor):
        return {"$tensor": encode_tensor(value)}
    if isinstance(value, np.ndarray) and value.dtype.name in NUMPY_DTYPES:
        data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")
        return {"$ndarray": {"dtype": value.dtype.name, "shape": list(value.shape), "data": data}}
    if isinstance(value, np.generic) and value.dtype.name in NUMPY_DTYPES:
        return {"$npscalar": {"dtype": value.dtype.name, "value": encode(value.item(), keep)}}
    if isinstance(value, list):
        return [encode(v, keep) for v in value]
    if isinstance(value, tuple):  # torch.Size is a tuple too
        return {"$tuple": [encode(v, keep) for v in value]}
    if isinstance(value, dict):
        return {"$dict": [[encode(k, keep), encode(v, keep)] for k, v in value.items()]}
    if is_sympy(value):
        try:
            return {"$sympy": encode_sympy(value)}
        except Unencodable:
            pass
    handle = keep(value)
    return {"$handle": handle.id, "type": handle.type}


def decode(raw: Any) -> Any:
    """The grader's side: rebuild a value from plain data, trusting nothing."""
    if raw is None or isinstance(raw, (bool, int, float, str)):
        return raw
    if isinstance(raw, list):
        return [decode(v) for v in raw]
    if not isinstance(raw, dict) or len(raw) not in (1, 2):
        raise ValueError("malformed value")
    if "$tensor" in raw:
        return decode_tensor(raw["$tensor"])
    if "$tuple" in raw:
        return tuple(decode(v) for v in raw["$tuple"])
    if "$dict" in raw:
        return {_hashable(decode(k)): decode(v) for k, v in raw["$dict"]}
    if "$int" in raw:
        return int(raw["$int"])
    if "$float" in raw:
        return float(raw["$float"])
    if "$ndarray" in raw:
        spec = raw["$ndarray"]
        data = base64.b64decode(spec["data"])
        array = np.frombuffer(data, dtype=NUMPY_DTYPES[spec["dtype"]]).copy()
        return array.reshape(tuple(int(n) for n in spec["shape"]))
    if "$npscalar" in raw:
        spec = raw["$npscalar"]
        return NUMPY_DTYPES[spec["dtype"]].type(decode(spec["value"]))
    if "$sympy" in raw:
        return decode_sympy(raw["$sympy"])
    if "$handle" in raw:
        return Handle(int(raw["$handle"]), str(raw.get("type", "?")))
    raise ValueError(f"unknown tag in {sorted(raw)}")


def _hashable(key):
    if isinstance(key, (str, int, float, bool, tuple)) or key is None:
        return key
    raise ValueError("dict keys must be plain values")


def dumps(message: dict) -> bytes:
    return json.dumps(message, allow_nan=True, separators=(",", ":")).encode()


def loads(data: bytes) -> dict:
    message = json.loads(data.decode())
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message
