# Generated from autograder/public/feedback.py by `python -m autograder generate`.
# Do not edit: your changes would be overwritten.
"""Failure messages for the public tests, in the chapter's words.

Every failure starts with one sentence that says what was called with what and
what went wrong (the progress summary shows only that first line); the details
follow: expected next to got, a picture of two shapes, torch's own report.
Some helpers also name a common mistake when they recognise it.

This file travels with the tests, so it uses only the standard library and torch.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import re

import torch

META = (
    "meta is a device with no data that behaves like a GPU: a tensor created with "
    "torch.zeros(...) without device=... lands on the CPU instead, and on a GPU this fails"
)
SMALL = 4  # tensors up to 4 x 4 are shown in full


# --- describing values and calls ----------------------------------------------


def shape(t) -> str:
    """'(3, 1)' for a tensor or array of shape (3, 1), '(7,)' for a vector, '()' for rank 0."""
    return str(tuple(t.shape))


def shape_id(*shapes) -> str:
    """A test id for shapes: '(3,1)+(2,)'."""
    return "+".join("(" + ",".join(map(str, s)) + ("," if len(s) == 1 else "") + ")" for s in shapes)


def describe(value) -> str:
    """Short enough for one line: a shape (and device) for tensors, the value for small things."""
    if isinstance(value, torch.Tensor):
        return shape(value) + ("" if value.device.type == "cpu" else f" on {value.device.type}")
    if hasattr(value, "shape"):  # a NumPy array
        return shape(value)
    text = repr(value)
    if text.startswith("<"):  # an object without a readable repr, e.g. a Generator
        return type(value).__name__
    if len(text) > 40 and isinstance(value, list):
        return f"a list of {len(value)}"
    return text


def values(t) -> str:
    """A small tensor's values on one line: [[1, 2], [0, -1]]."""
    if t.ndim == 0:
        return _number(t.item())
    return "[" + ", ".join(values(row) for row in t) + "]"


class Call(str):
    """'dense(x (5, 784), w (10, 784), b (10,))', plus the values of its small inputs."""

    def __new__(cls, text: str, inputs: list[str]):
        call = super().__new__(cls, text)
        call.inputs = inputs
        return call


def describe_call(f, *args, **kwargs) -> Call:
    """f's name with its arguments, named as f names them (a layer as its forward does)."""
    try:
        signature = inspect.signature(getattr(f, "forward", f) if _is_instance(f) else f)
        arguments = signature.bind(*args, **kwargs).arguments
    except (TypeError, ValueError):  # the arguments do not fit f: calling it will say so
        signature = inspect.Signature([inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
                                       inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)])
        arguments = signature.bind(*args, **kwargs).arguments
    parts, inputs = [], []
    for name, value in arguments.items():
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            parts += [describe(v) for v in value]
        elif kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD):
            items = value.items() if kind is inspect.Parameter.VAR_KEYWORD else [(name, value)]
            parts += [f"{k}={describe(v)}" for k, v in items]
        elif callable(value) or describe(value) == name:
            parts.append(name)  # a function, or a sympy symbol called like its parameter
        elif _small(value) and 0 < value.numel() <= SMALL:  # tiny: its values fit on the line
            parts.append(f"{name} {describe(value)} {values(value)}")
        else:
            parts.append(f"{name} {describe(value)}")
            if _small(value) and value.ndim > 0:
                inputs.append(f"    {name} = {values(value)}")
    return Call(f"{_name(f)}({', '.join(parts)})", inputs)


def run(f, *args, **kwargs):
    """Call f(*args, **kwargs) and return (its result, the description of the call)."""
    __tracebackhide__ = True
    what = describe_call(f, *args, **kwargs)  # now: f may change its inputs
    with calling(what):
        return f(*args, **kwargs), what


class calling:  # lower case: it reads as `with feedback.calling(what):`
    """Turn an error inside the block into a failure that says `what` raised it,
    with a hint when the error is a known one. A stub's NotImplementedError passes
    through untouched, so the progress summary can report the item as not started."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, kind, err, traceback):
        __tracebackhide__ = True
        if err is None or not isinstance(err, Exception) or _from_a_stub(err):
            return False
        inputs = getattr(self.what, "inputs", [])
        raise AssertionError(_lines(f"{self.what} raised {_error(err)}", *error_hints(err), *inputs)) from err


def error_hints(err: Exception) -> list[str]:
    """What a known torch error means, in the chapter's words."""
    text = str(err)
    if "meta" in text.lower() and "item()" in text:
        return ["meta tensors hold no numbers: keep the result a tensor instead of reading it with .item()"]
    if "meta" in text.lower() or "same device" in text or "expected device" in text:
        return ["a tensor made inside the function is not on the inputs' device", META]
    if "cannot be multiplied" in text:
        return [_matmul_hint(text)]
    if "Jacobian mismatch" in text:
        return [("the gradient backward returns differs from forward's slope, which gradcheck measures "
                 "by nudging each input a little")]
    if "must match the size of tensor" in text:
        return [("two shapes that do not broadcast were combined: line them up from the right; "
                 "each pair of sizes must be equal or contain a 1")]
    return []


# --- checks -------------------------------------------------------------------


def assert_close(got, expected, what, *hints, name=None, **tolerances):
    """`what` should have returned `expected` (or, with `name`, set that tensor to it):
    a tensor of its shape, device, dtype and values.

    `hints` are sentences from the mistake recognisers below (None when they
    recognise nothing); a recognised mistake is the most useful first line.
    """
    __tracebackhide__ = True
    hints = [h for h in hints if h]

    def failure(problem: str, *details: str, why: str = "") -> str:
        inputs = getattr(what, "inputs", [])
        if hints:
            said = f"{name} has {problem}" if name else f"it returned {problem}"
            return _lines(f"{what}: {hints[0]}", *hints[1:], said, why, *inputs, *details)
        head = f"{what}: {name} has {problem}" if name else f"{what} returned {problem}"
        return _lines(head, why, *inputs, *details)

    if not isinstance(got, torch.Tensor):
        problem = f"{_returned(got)}, expected a tensor of shape {shape(expected)}"
        raise AssertionError(failure(problem))  # noqa: TRY004 - a failed test, not a bad argument
    if got.shape != expected.shape:
        both_small = _small(expected) and _small(got)
        raise AssertionError(failure(f"shape {shape(got)}, expected {shape(expected)}",
                                     *(side_by_side(expected, got) if both_small else [])))
    if got.device != expected.device:
        raise AssertionError(failure(f"device {got.device}, expected {expected.device}"))
    if got.dtype != expected.dtype:
        default = got.dtype == torch.get_default_dtype() and expected.dtype.is_floating_point
        why = "a tensor created without dtype=... gets torch's default, float32" if default else ""
        raise AssertionError(failure(f"dtype {got.dtype}, expected {expected.dtype}", why=why))
    torch.testing.assert_close(
        got, expected, **tolerances,
        msg=lambda torch_says: failure(f"wrong values{_difference(expected, got, **tolerances)}",
                                       *(side_by_side(expected, got, **tolerances) if got.ndim else []),
                                       torch_says),
    )


def assert_unchanged(x, before, what, name="x"):
    """`what` must leave its input `name` as it was (`before` is a clone taken before the call)."""
    __tracebackhide__ = True
    if not torch.equal(x, before):
        raise AssertionError(_lines(
            f"{what} changed its input {name}: methods ending in _ (like add_ or clamp_min_) "
            "work in place, on the tensor itself",
            *side_by_side(before, x, labels=(f"{name} before", f"{name} after")),
        ))


def assert_on_device(t, device, what, name="the result"):
    """`name`, which `what` returned or set, must be on `device`, like the inputs."""
    __tracebackhide__ = True
    if not isinstance(t, torch.Tensor):
        raise AssertionError(f"{what}: {name} should be a tensor, got {_returned(t)}")  # noqa: TRY004 - as above
    if t.device.type != device:
        hint = META if device == "meta" else "create new tensors on the inputs' device"
        raise AssertionError(_lines(f"{what}: {name} is on {t.device.type}, not on {device} like the inputs", hint))


def assert_raises(expected, because, f, *args, mentions=()):
    """f(*args) must raise `expected` (because ...) with each of `mentions` in its message."""
    __tracebackhide__ = True
    what = describe_call(f, *args)
    reason, *details = because.splitlines()
    should = f"{what} should raise {expected.__name__} because {reason}"
    try:
        got = f(*args)
    except expected as err:
        missing = [str(m) for m in mentions if str(m) not in str(err)]
        if missing:
            named = " and ".join(map(str, mentions))
            raise AssertionError(_lines(
                f"{what} raised {expected.__name__} as it should, but its message should name {named}",
                f"it lacks {', '.join(missing)}: {str(err)!r}",
            )) from None
        return err
    except Exception as err:
        if _from_a_stub(err):
            raise
        raise AssertionError(_lines(f"{should}, but it raised {_error(err)}", *details)) from err
    raise AssertionError(_lines(f"{should}, but it returned {_returned(got)}", *details))


@contextlib.contextmanager
def first_line(sentence: str):
    """Start a failure inside the block with `sentence` (before, say, NumPy's own report)."""
    try:
        yield
    except AssertionError as err:
        err.args = (_lines(sentence, str(err).strip()),)
        raise


@contextlib.contextmanager
def explaining(*lines: str):
    """Add `lines` (a picture, say) to a failure inside the block."""
    try:
        yield
    except AssertionError as err:
        err.args = (_lines(str(err), *lines),)
        raise


# --- pictures -----------------------------------------------------------------


def side_by_side(expected, got, labels=("expected", "got"), **tolerances) -> list[str]:
    """Expected next to got, row by row, for tensors up to 4 x 4 (rows that differ
    are marked); for larger ones the first element that differs."""
    if not (_small(expected) and _small(got)):
        return [first_mismatch(expected, got, labels, **tolerances)]
    left, right = _rows(expected), _rows(got)
    width = max(len(labels[0]), *map(len, left))
    lines = [f"    {labels[0]:<{width}}   {labels[1]}"]
    for a, b in itertools.zip_longest(left, right, fillvalue=""):
        lines.append(f"    {a:<{width}}   {b}" + ("" if a == b else "   <-"))
    return lines


def first_mismatch(expected, got, labels=("expected", "got"), rtol=1.3e-6, atol=1e-5) -> str:
    """Where two large tensors first differ: the index and both values."""
    if expected.shape != got.shape:
        return f"{labels[0]} shape {shape(expected)}, {labels[1]} {shape(got)}"
    if "meta" in (expected.device.type, got.device.type):
        return "meta tensors have no values to compare"
    e, g = expected.detach().cpu().double(), got.detach().cpu().double()
    bad = (~torch.isclose(g, e, rtol=rtol, atol=atol)).nonzero()
    if len(bad) == 0:
        return f"shape {shape(got)}: every element is close"
    at = tuple(bad[0].tolist())
    return (f"shape {shape(got)}, first mismatch at {list(at)}: {labels[0]} {_number(e[at].item())}, "
            f"{labels[1]} {_number(g[at].item())}")


def broadcast_picture(a, b, names=("a", "b")) -> list[str]:
    """How shapes a and b line up from the right, with what happens to each pair of sizes.

        a         8  1  6  1
        b            7  1  5
        result    8  7  6  5
                  |  |  |  `-- a's 1 stretches to 5
                  |  |  `----- b's 1 stretches to 6
                  |  `-------- a's 1 stretches to 7
                  `----------- only a has it (b counts as 1): 8
    """
    rank = max(len(a), len(b))
    left = [None] * (rank - len(a)) + list(a)  # None: no such dimension (it counts as 1)
    right = [None] * (rank - len(b)) + list(b)
    pairs = list(zip(left, right))
    label = max(len(names[0]), len(names[1]), len("result")) + 2
    width = max(len(str(s)) for s in [*a, *b, 1]) + 2

    def row(name, sizes):
        cells = "".join(("" if s is None else str(s)).rjust(width) for s in sizes)
        return ("    " + name.ljust(label) + cells).rstrip()

    lines = [row(names[0], left), row(names[1], right), row("result", [_pair_result(*p) for p in pairs])]
    ends = [4 + label + width * (k + 1) - 1 for k in range(rank)]  # the column of each size's last digit
    for k in reversed(range(rank)):
        marks = [" "] * ends[k]
        for j in range(k):
            marks[ends[j]] = "|"
        dashes = "-" * (width * (rank - 1 - k) + 2)
        lines.append("".join(marks) + "`" + dashes + " " + _pair_note(*pairs[k], names))
    return lines


# --- mistake recognisers: a sentence when they recognise the mistake, else None --


def column_minus_vector(output, targ, got, names=("output", "targ")):
    """output (n, 1) minus targ (n,) broadcasts to an (n, n) matrix: the chapter's mse trap."""
    if not all(isinstance(t, torch.Tensor) for t in (output, targ, got)):
        return None
    n = targ.shape[0] if targ.ndim == 1 else None
    if n is None or n < 2 or tuple(output.shape) != (n, 1) or got.device.type == "meta":
        return None
    square = tuple(got.shape[:2]) == (n, n)  # the difference itself, or a gradient built from it
    trapped = got.ndim == 0 and torch.isclose(got.double(), ((output - targ) ** 2).double().mean())
    if not (square or trapped):
        return None
    column, vector = names
    return _lines(
        f"{column} {shape(output)} minus {vector} {shape(targ)} broadcasts to ({n}, {n}): "
        f"drop {column}'s last dimension of size 1 first (as in the squeeze_last item)",
        *broadcast_picture(tuple(output.shape), tuple(targ.shape), names=names),
    )


def squeeze_everything(before, got, expected):
    """squeeze() without -1 also removes a batch dimension of size 1."""
    if not isinstance(got, torch.Tensor):
        return None
    every_one_gone = tuple(d for d in before if d != 1)
    if tuple(got.shape) != every_one_gone or every_one_gone == tuple(expected):
        return None
    batch = " (a batch of one loses its batch dimension)" if before[0] == 1 else ""
    return (f"squeeze() without -1 removes every dimension of size 1, not only the last: "
            f"{tuple(before)} became {tuple(got.shape)}{batch}")


# --- small pieces -------------------------------------------------------------


def _is_instance(f) -> bool:
    return not hasattr(f, "__name__")  # a callable object, such as a layer


def _name(f) -> str:
    """dense, Relu() for a layer, Relu().backward for its method, MyRelu.apply."""
    if _is_instance(f):
        return f"{type(f).__name__}()"
    owner = getattr(f, "__self__", None)
    if isinstance(owner, type):
        return f"{owner.__name__}.{f.__name__}"
    if owner is not None and not inspect.ismodule(owner):
        return f"{type(owner).__name__}().{f.__name__}"
    return f.__name__


def _matmul_hint(text: str) -> str:
    """torch says 'mat1 and mat2 shapes cannot be multiplied (5x784 and 10x784)'."""
    rule = "a matrix product (n, k) @ (k, m) needs the first one's columns to match the second one's rows"
    sizes = re.search(r"\((\d+)x(\d+) and (\d+)x(\d+)\)", text)
    if sizes and sizes[2] == sizes[4] != sizes[3]:  # same number of columns: the second one is on its side
        return (f"{rule}; {sizes[1]}x{sizes[2]} and {sizes[3]}x{sizes[4]} both have {sizes[2]} columns, so the "
                "second one looks transposed (a weight stored (n_out, n_in) has one row per neuron)")
    return f"{rule}: check which way round each operand is"


def _lines(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def _from_a_stub(err: Exception) -> bool:
    # torch raises NotImplementedError too, for what the meta device cannot do
    return isinstance(err, NotImplementedError) and "meta" not in str(err).lower()


def _error(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return type(err).__name__ + (f": {text[0]}" if text else "")


def _returned(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {describe(value)}" if value.ndim else f"a rank-0 tensor ({values(value)})"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _small(t) -> bool:
    return (isinstance(t, torch.Tensor) and t.device.type != "meta" and t.ndim <= 2
            and all(d <= SMALL for d in t.shape))


def _number(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _rows(t) -> list[str]:
    t = t.detach()
    cells = [_number(v) for v in t.flatten().tolist()]
    width = max(map(len, cells), default=0)
    if t.ndim < 2:
        return ["[" * t.ndim + ", ".join(c.rjust(width) for c in cells) + "]" * t.ndim]
    per_row = t.shape[1]
    rows = [", ".join(c.rjust(width) for c in cells[i:i + per_row]) for i in range(0, len(cells), per_row)]
    return [f"[{r}]" for r in rows] or ["[]"]


def _difference(expected, got, **tolerances) -> str:
    if got.ndim == 0:
        return f" ({values(got)}, expected {values(expected)})" if got.device.type != "meta" else ""
    if "meta" in (expected.device.type, got.device.type):
        return ""
    e, g = expected.detach().cpu().double(), got.detach().cpu().double()
    rtol, atol = tolerances.get("rtol", 1.3e-6), tolerances.get("atol", 1e-5)
    bad = int((~torch.isclose(g, e, rtol=rtol, atol=atol)).sum())
    return f" ({bad} of {g.numel()} elements differ)"


def _pair_result(x, y):
    if x is None or x == 1:
        return y if y is not None else x
    return x if y in (None, 1, x) else "?"


def _pair_note(x, y, names) -> str:
    a, b = names
    if x is None or y is None:
        return f"only {b if x is None else a} has it ({a if x is None else b} counts as 1): {y if x is None else x}"
    if x == y:
        return f"{x} and {y}: equal"
    if x == 1:
        return f"{a}'s 1 stretches to {y}"
    if y == 1:
        return f"{b}'s 1 stretches to {x}"
    return f"{x} vs {y}: clash, the sizes differ and neither is 1"
