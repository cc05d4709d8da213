"""Checks the hidden suites share: values, errors, purity, restrictions, devices.

Each check takes an `Outcome` (what came back from the student's child) and
raises `AssertionError` with a message a student can act on: the input
shapes, what was expected and what came back, never the hidden inputs
wholesale.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import torch

from autograder.sandbox import cuda, tracer, wire
from autograder.sandbox.client import ChildGone, Outcome, Remote, StudentError, Submission, Transposed
from autograder.sandbox.failures import ChildTimedOut, TimedOut

# One tolerance for the whole grader, as in micrograd's tests.
ATOL = {torch.float32: 1e-4, torch.float64: 1e-9, torch.float16: 1e-2}
RTOL = {torch.float32: 1e-4, torch.float64: 1e-7, torch.float16: 1e-2}

# Leaving torch for NumPy (or anything that reads a tensor's memory): a
# product computed there cannot be seen, so where the matmul family is
# forbidden, so is handing the tensors to another library. The names are
# the tracer's, which also knows each by identity.
MATMUL_FAMILY = (*tracer.PRODUCT_FUNCTIONS, *tracer.LEAVES_TORCH)
MATMUL_KERNELS = tracer.PRODUCT_KERNELS


def describe_shape(value) -> str:
    if isinstance(value, (torch.Tensor, wire.TensorInfo)):
        return f"{tuple(value.shape)} {str(value.dtype).removeprefix('torch.')}"
    if isinstance(value, Transposed):
        return f"{tuple(value.base.t().shape)} (a transposed view)"
    return type(value).__name__


def shapes(args: Sequence) -> str:
    return ", ".join(describe_shape(a) for a in args)


def returned(outcome: Outcome, what: str = "the call"):
    """The value of a call that had to succeed."""
    if outcome.timed_out:
        raise TimedOut(f"{what} did not finish in time ({outcome.error.get('message', '')})")
    assert outcome.ok, f"{what} raised {outcome.error_text}"
    return outcome.value


def assert_tensor(outcome: Outcome, expected: torch.Tensor, *, what: str = "the result",
                  atol: float | None = None, rtol: float | None = None) -> torch.Tensor:
    """A tensor with the expected shape, dtype and values."""
    got = returned(outcome, what)
    assert isinstance(got, torch.Tensor), (
        f"{what} should be a tensor of shape {tuple(expected.shape)}, got {type(got).__name__}"
        + (f" {got.type}" if isinstance(got, Remote) else "")
    )
    assert got.shape == expected.shape, (
        f"{what}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
    )
    assert got.dtype == expected.dtype, (
        f"{what}: expected dtype {expected.dtype}, got {got.dtype}"
    )
    close(got, expected, what=what, atol=atol, rtol=rtol)
    return got


def assert_right(outcome: Outcome, expected, *, what: str) -> object:
    """The call answered, and answered right.

    A test of something else about a call (its purity, its restrictions,
    its style) counts only for a right answer: a body that does nothing, or
    returns a wrong value, earns nothing there and is told what the value
    test would tell it. `expected` is a tensor (shape, dtype and values), a
    float (close), or any other value (equal; nested lists of floats close).
    """
    if isinstance(expected, torch.Tensor):
        return assert_tensor(outcome, expected, what=what)
    got = returned(outcome, what)
    if isinstance(expected, float):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), (
            f"{what} should return a float, got {type(got).__name__}"
        )
        assert math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9), f"{what}: expected {expected:.6g}, got {got:.6g}"
    elif isinstance(expected, list) and expected and isinstance(expected[0], list):
        assert isinstance(got, list) and all(isinstance(row, list) for row in got), (
            f"{what} should return a list of lists, got {type(got).__name__}"
        )
        assert [len(r) for r in got] == [len(r) for r in expected], f"{what}: the result has the wrong shape"
        close(torch.tensor(got, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64), what=what)
    else:
        assert got == expected, f"{what}: expected {expected!r}, got {got!r}"
    return got


def describe_placement(info) -> str:
    """A probe's [device, shape, dtype] of a tensor (or its type name) in words."""
    if info is None:
        return "nothing"
    if isinstance(info, list):
        return f"a {info[2]} {tuple(info[1])} tensor on {info[0]}"
    return f"a {info}"


def close(got: torch.Tensor, expected: torch.Tensor, *, what: str, atol=None, rtol=None) -> None:
    atol = ATOL.get(expected.dtype, 0) if atol is None else atol
    rtol = RTOL.get(expected.dtype, 0) if rtol is None else rtol
    try:
        torch.testing.assert_close(got, expected, atol=atol, rtol=rtol, equal_nan=True,
                                   check_dtype=False, check_device=False)
    except AssertionError as exc:
        detail = " ".join(line.strip() for line in str(exc).splitlines()[1:4])
        raise AssertionError(f"{what}: wrong values ({detail})") from None


def assert_raises(outcome: Outcome, error: str, *numbers, what: str = "the call") -> None:
    """The call raised `error`, and its message names every offending number."""
    if outcome.timed_out:
        raise TimedOut(f"{what} did not finish in time ({outcome.error.get('message', '')})")
    assert not outcome.ok, f"{what} should raise {error}, but returned normally"
    assert outcome.raised(error), f"{what} should raise {error}, raised {outcome.error_text}"
    message = outcome.error.get("message", "")
    missing = [n for n in numbers if str(n) not in message]
    assert not missing, (
        f"{what}: the {error} message should name {', '.join(map(str, numbers))}; "
        f"it says {message!r}"
    )


def assert_raises_naming_the_rank(outcome: Outcome, error: str, shape: tuple, *, what: str) -> None:
    """The call raised `error` and its message names the tensor's rank or
    its shape (every size of it), in any wording: "got a 1-D tensor",
    "got shape (5,)" and "rank 1" all do; "not 2-D" alone does not."""
    assert_raises(outcome, error, what=what)
    message = outcome.error.get("message", "")
    numbers = re.findall(r"\d+", message)
    names_rank = str(len(shape)) in numbers
    names_shape = all(numbers.count(str(n)) >= list(shape).count(n) for n in set(shape))
    assert names_rank or names_shape, (
        f"{what}: the {error} message should name the rank ({len(shape)}) or the shape {shape}; "
        f"it says {message!r}"
    )


def error_text(error: dict) -> str:
    """A student's exception, as a probe reports it, in one line."""
    text = f"{error.get('type')}: {error.get('message', '')}".strip()
    return f"{text} ({error['where']})" if error.get("where") else text


def probe(sub: Submission, name: str, *args, what: str, errors: bool = False):
    """A probe's data; the student's failure inside it becomes a readable
    assertion (unless `errors`: then the data comes back with its error)."""
    try:
        data = sub.probe(name, *args)
    except StudentError as exc:
        raise AssertionError(f"{what} failed: {exc.outcome.error_text}") from None
    except ChildGone as exc:
        if isinstance(exc, ChildTimedOut):
            raise TimedOut(f"{what} did not finish: {exc}") from None
        raise AssertionError(f"{what} crashed the process: {exc}") from None
    if isinstance(data, dict) and data.get("error") and not errors:
        raise AssertionError(f"{what} raised {error_text(data['error'])}")
    return data


def probe_packages(sub: Submission, name: str, args: list, what: str) -> dict:
    """The packages `name` called (probes.packages_called), whether or not it raised."""
    return probe(sub, "packages_called", name, args, what=what, errors=True)


def assert_pure(outcome: Outcome, args: Sequence, what: str = "the call") -> None:
    changed = outcome.mutated()
    assert not changed, (
        f"{what} changed its input{'s' if len(changed) > 1 else ''} in place "
        f"(argument {', '.join(str(i + 1) for i in changed)}: {shapes([args[i] for i in changed])})"
    )
    assert not outcome.state_changed, (
        f"{what} changed torch's global state: {', '.join(outcome.state_changed)}"
    )


def assert_grads_pure(outcome: Outcome, names: Sequence[str], what: str = "the call") -> None:
    """A backward function sets `.g` on the tensors it is asked to and leaves
    alone every gradient it was given (changed in place or replaced), and
    each `.g` it sets is a tensor of its own, not another argument's memory
    (`inp.g = out.g` after zeroing `out.g` looks right once, and is wrong)."""
    changed = [names[i] for i, arg in enumerate(outcome.args) if arg.get("g_changed") and i < len(names)]
    assert not changed, f"{what} changed {', '.join(n + '.g' for n in changed)}, the gradient it was given"
    aliased = [(names[i], names[j]) for i, j in outcome.grads_aliased() if i < len(names) and j < len(names)]
    assert not aliased, (
        f"{what} set {aliased[0][0]}.g to memory it shares with "
        + (f"{aliased[0][1]}.g" if aliased[0][0] != aliased[0][1] else aliased[0][1])
        + ": a gradient should be a new tensor"
    )


def assert_no_matmul(outcome: Outcome, what: str = "the call") -> None:
    used = {n: c for n, c in (outcome.trace or {}).get("calls", {}).items() if n in MATMUL_FAMILY}
    assert not used, f"{what} may not use the matmul family, but called {', '.join(sorted(used))}"
    kernels = outcome.kernels(*MATMUL_KERNELS)
    assert kernels == 0, f"{what} ran {kernels} matrix-product kernels (a hidden matmul?)"


def assert_traced(outcome: Outcome, what: str = "the call") -> None:
    """Work was seen: a result that appears with no torch call behind it is suspect."""
    assert outcome.trace is not None and outcome.kernels() > 0, (
        f"{what} returned a result but no torch operation was seen (tracing switched off?)"
    )


def assert_no_torch(outcome: Outcome, what: str = "the call") -> None:
    calls = outcome.calls()
    assert calls == 0 and outcome.kernels() == 0, (
        f"{what} must be plain Python, but made {calls} torch calls "
        f"({', '.join(sorted((outcome.trace or {}).get('calls', {}))[:5])})"
    )


def assert_only_calls(outcome: Outcome, allowed: set[str], what: str = "the call") -> None:
    extra = sorted(set((outcome.trace or {}).get("calls", {})) - allowed)
    assert not extra, f"{what} may only call {', '.join(sorted(allowed))}; it also called {', '.join(extra)}"


# -- devices -------------------------------------------------------------------------

QUERIES = {"shape.get", "ndim.get", "dim", "size", "dtype.get", "device.get", "is_cuda.get",
           "__len__", "numel", "stride", "is_contiguous", "__hash__"}


# Torch calls and kernels that only autograd makes.
AUTOGRAD_CALLS = {"backward", "grad", "requires_grad_", "requires_grad.set", "retain_grad",
                  "grad.get", "grad.set", "register_hook"}


def autograd(f, *tensors) -> tuple:
    """The value of f and its gradients by torch.autograd, in float64, here."""
    leaves = [t.detach().double().requires_grad_() for t in tensors]
    value = f(*leaves)
    return value.detach(), torch.autograd.grad(value, leaves)


def assert_no_autograd(outcome: Outcome, what: str, kept: dict[str, Remote] | None = None) -> None:
    """The traced call used no autograd, and no tensor in `kept` (name -> the
    child's object) came back needing or holding a gradient."""
    assert_traced(outcome, what=what)
    calls = sorted(n for n in outcome.trace["calls"] if n in AUTOGRAD_CALLS)
    kernels = sorted(n for n in outcome.trace["kernels"] if "backward" in n)
    assert not calls and not kernels, f"{what} may not use autograd, but called {', '.join(calls + kernels)}"
    for name, remote in (kept or {}).items():
        requires, grad = remote.get("requires_grad"), remote.get("grad")
        assert not requires and grad is None, (
            f"{what} may not use autograd, but {name} came back with "
            + ("requires_grad set" if requires else "a .grad")
        )


def run_on_devices(sub: Submission, ref: Submission, name: str, args: Sequence,
                   record=None, **kwargs) -> list[str]:
    """Run `name` on simulated (and, if present, real) CUDA; outputs must stay there.

    Fake CUDA tensors cannot be indexed on a CPU-only torch build, so where
    the reference itself fails on them, both run on the `meta` device instead.
    Returns the devices that ran.
    """
    ran = []
    expected = ref.call(name, *args, device="fake-cuda", trace=False, **kwargs)
    got = sub.call(name, *args, device="fake-cuda", trace=False, **kwargs) if expected.ok else None
    device = "fake-cuda"
    if not expected.ok or not (got.ok or not cannot_index_fake_cuda(got)):
        # A CPU-only build cannot index fake CUDA tensors: fall back to meta for both.
        device = "meta"
        expected = ref.call(name, *args, device="meta", trace=False, **kwargs)
        got = sub.call(name, *args, device="meta", trace=False, **kwargs)
    if expected.ok:
        _same_placement(got, expected, f"{name} on {device} tensors ({shapes(args)})")
        ran.append(device_label(device))
    if cuda.available():
        want = ref.call(name, *args, device="cuda", trace=False, **kwargs)
        if want.ok:  # where the reference cannot run there, the grader's device is at fault: not checked
            got = sub.call(name, *args, device="cuda", trace=False, **kwargs)
            _same_placement(got, want, f"{name} on CUDA tensors ({shapes(args)})")
            ran.append("cuda")
    if record is not None:
        record("devices", ",".join(ran))
    return ran


NO_FAKE_CUDA = "not linked with support for cuda"
SAME_DEVICE = "create new tensors on the inputs' device"  # what to do about a tensor on the wrong device


def device_label(device: str) -> str:
    """How a report names a device a check ran on."""
    return "cuda (simulated)" if device == "fake-cuda" else device


def cannot_index_fake_cuda(outcome: Outcome) -> bool:
    return NO_FAKE_CUDA in (outcome.error or {}).get("message", "")


def probe_on_devices(sub, ref_child, name: str, args: list, describe_run) -> list:
    """Run probe `name` (its first argument the device) for the reference and
    the submission on simulated CUDA, or meta where fake CUDA cannot run the
    code, and on real CUDA when present. Returns (device, expected, got, what)
    for each device; the submission's data may carry an error."""
    runs = []
    devices = ["fake-cuda"] + (["cuda"] if cuda.available() else [])
    for device in devices:
        expected = ref_child.probe(name, device, *args)
        if device == "fake-cuda" and expected.get("error"):
            device, expected = "meta", ref_child.probe(name, "meta", *args)
        got = probe(sub, name, device, *args, what=describe_run(device), errors=True)
        if device == "fake-cuda" and NO_FAKE_CUDA in (got.get("error") or {}).get("message", ""):
            device, expected = "meta", ref_child.probe(name, "meta", *args)
            got = probe(sub, name, device, *args, what=describe_run(device), errors=True)
        what = describe_run(device)
        if got.get("error"):
            raise AssertionError(f"{what} raised {error_text(got['error'])}")
        runs.append((device, expected, got, what))
    return runs


def _same_placement(got: Outcome, expected: Outcome, what: str) -> None:
    value = returned(got, what)
    want = expected.value
    if isinstance(want, (torch.Tensor, wire.TensorInfo)):
        assert isinstance(value, (torch.Tensor, wire.TensorInfo)), (
            f"{what}: expected a tensor, got {type(value).__name__}"
        )
        assert got.device == expected.device, (
            f"{what}: the result is on {got.device}, expected {expected.device} "
            f"({SAME_DEVICE})"
        )
        assert tuple(value.shape) == tuple(want.shape) and value.dtype == want.dtype, (
            f"{what}: expected {describe_shape(want)}, got {describe_shape(value)}"
        )


# -- timing --------------------------------------------------------------------------


def assert_faster(sub: Submission, ref: Submission, name: str, slower: str | Remote, args: Sequence,
                  *, factor: float, budget: float = 20.0, rounds: int = 7, record=None,
                  slower_name: str | None = None, restriction=None) -> float:
    """`name` of the submission must beat the reference's `slower` by `factor`.

    `slower` is a function of the reference module, or a callable in the
    reference's child (a slow variant, see sandbox/slow_variants.py) that
    `slower_name` describes.

    Timed calls are traced exactly as checked calls are, so the code cannot
    tell them apart: the value check on the timing inputs is traced and must
    pass the item's `restriction` (a check of an Outcome) on those inputs,
    and every timed batch must have made exactly the calls that single
    checked call made, times the batch's size. Code that behaves differently
    when it is timed (a result remembered from an earlier call, a forbidden
    fast path after the first few calls) fails here.

    Each side runs in batches sized so that a batch takes about `BATCH`
    seconds, timed from here (the child could lie about its own clock) as
    the CPU time the kernel counts for the child, so time spent waiting for
    a busy CPU does not count. Rounds alternate between the two sides and
    the best time per call of each is compared; the batch that sized each
    side counts as its first round. Timing stops early once the ratio is
    `CLEAR` times the factor after `MIN_ROUNDS`: more rounds could not turn
    that into a failure. A ratio near the factor gets all `rounds`.
    A submission that is hopelessly slow runs out of `budget` and loses only
    this check.
    """
    # Speed counts only for right answers: a fast wrong result earns nothing.
    expected = returned(ref.call(name, *args, trace=False), f"the reference {name}")
    checked = sub.call(name, *args, timeout=budget)
    assert_tensor(checked, expected, what=f"{name} of {shapes(args)}")
    if restriction is not None:
        restriction(checked, what=f"{name} of {shapes(args)}")
    timed = _timer(sub, name, args, budget, checked.trace)
    # The reference's side is traced too: the tracer's cost for every torch
    # call then weighs on both sides alike, as before it was on neither.
    slow_number, best_slow = _calls_per_batch(lambda n: ref.repeat(slower, args, n, timeout=60).seconds)
    sub_number, best_sub = _calls_per_batch(timed)
    for done in range(1, rounds):
        if done >= MIN_ROUNDS and best_slow / best_sub >= CLEAR * factor:
            break
        best_slow = min(best_slow, ref.repeat(slower, args, slow_number, timeout=60).seconds / slow_number)
        best_sub = min(best_sub, timed(sub_number) / sub_number)
    ratio = best_slow / best_sub
    slower_name = slower_name or slower
    if record is not None:
        record("speedup", f"{ratio:.1f}x over {slower_name}")
    assert ratio >= factor, (
        f"{name} should be at least {factor:g}x faster than {slower_name} on {shapes(args)}; "
        f"it was {ratio:.1f}x"
    )
    return ratio


BATCH = 0.02  # seconds a timed batch of calls should take
# A check may stop after MIN_ROUNDS when the ratio is CLEAR times the factor:
# to fail, the slow side would then have to run 3x faster than in any batch so far.
MIN_ROUNDS = 2
CLEAR = 3.0


def _timer(sub: Submission, name: str, args: Sequence, budget: float, single: dict | None):
    """seconds(number) for the submission's `name`, all calls sharing one
    `budget`; each batch must have made `number` times the calls of `single`."""
    spent = 0.0

    def seconds(number: int) -> float:
        nonlocal spent
        if spent >= budget:
            raise TimedOut(f"{name} was too slow: timing it took over {budget:g} s")
        try:
            timed = sub.repeat(name, args, number, timeout=budget - spent)
        except StudentError as exc:
            raise AssertionError(f"{name} raised {exc} while being timed") from None
        except ChildGone as exc:
            if isinstance(exc, ChildTimedOut):
                raise TimedOut(f"{name} was too slow: {number} calls took over {budget:g} s") from None
            raise AssertionError(f"{name} crashed while being timed: {exc}") from None
        different = trace_difference(single, timed.trace, number)
        assert not different, (
            f"{name} behaved differently while it was timed: {number} calls should make {number} times "
            f"the torch calls of one, but {different}"
        )
        spent += timed.seconds
        return timed.seconds
    return seconds


def trace_difference(single: dict | None, batch: dict | None, number: int) -> str:
    """'' when `batch` is `number` times `single`, else the first difference in words."""
    single, batch = single or {}, batch or {}
    for level, word in (("calls", "calls"), ("kernels", "kernels")):
        one, many = single.get(level, {}), batch.get(level, {})
        for op in sorted(set(one) | set(many)):
            if many.get(op, 0) != number * one.get(op, 0):
                return (f"{op} was {word[:-1]}ed {many.get(op, 0)} times in {number} calls "
                        f"(once it was {one.get(op, 0)})" if level == "calls" else
                        f"the {op} kernel ran {many.get(op, 0)} times in {number} calls "
                        f"(once it ran {one.get(op, 0)} times)")
    return ""


def _calls_per_batch(seconds, most: int = 100_000) -> tuple[int, float]:
    """Enough calls that a batch takes about BATCH seconds, found by growing
    it; with the seconds per call of that last batch (a round of its own)."""
    number = 1
    while True:
        took = seconds(number)
        if took >= BATCH or number >= most:
            return number, took / number
        # Grow by at most 10x a step: one call's time is mostly the round trip.
        number = min(most, number * min(10, max(2, int(BATCH / max(took, 1e-6)))))




# -- sympy ---------------------------------------------------------------------------

SYMPY_SECONDS = 10.0  # for one comparison; an honest answer takes milliseconds


def equal_expressions(got, expected, symbol, points: Sequence[float], seconds: float = SYMPY_SECONDS):
    """Whether two sympy expressions are equal (simplify, else numerically at
    `points` of `symbol`), and `got` at points[0] as text: (equal, text).

    A student's expression can be built to make sympy work for ever
    (`(x + 1)**64 - ...` simplified, a power substituted), so the comparison
    runs in a forked process with a time limit; past it the answer is
    (False, "..."): an expression too costly to compare is not accepted.
    An expression as small as a right answer (a few operations, small
    integers) is compared here, without the fork (a fork costs a cold sympy).
    """
    import os
    import select
    import signal

    if _small(got) and _small(expected):
        return _compare(got, expected, symbol, points), _value_at(got, symbol, points[0])
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the comparison; its only way out is the pipe
        try:
            os.close(read)
            equal = _compare(got, expected, symbol, points)
            text = _value_at(got, symbol, points[0])
            os.write(write, ("1" if equal else "0").encode() + text.encode("utf-8", "replace"))
        finally:
            os._exit(0)
    os.close(write)
    try:
        ready, _, _ = select.select([read], [], [], seconds)
        data = os.read(read, 200) if ready else b""
    finally:
        os.close(read)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    if not data:
        return False, f"(not compared: sympy took over {seconds:g} s on this expression)"
    return data[:1] == b"1", data[1:].decode("utf-8", "replace")


SMALL_OPERATIONS = 40  # a right answer of the chapter has at most about a dozen
SMALL_INTEGER = 64  # nor integers larger than this: no power sympy would expand for long


def _small(expr) -> bool:
    """Cheap to compare in any way sympy tries: few operations, small numbers."""
    import sympy

    try:
        return sympy.count_ops(expr) <= SMALL_OPERATIONS and all(
            abs(int(r.p)) <= SMALL_INTEGER and int(r.q) <= SMALL_INTEGER for r in expr.atoms(sympy.Rational))
    except Exception:  # noqa: BLE001 - whatever it is, the fork will decide
        return False


def _value_at(expr, symbol, point) -> str:
    try:
        return str(expr.subs(symbol, point).evalf(6))[:80]
    except Exception:  # noqa: BLE001 - the value is only for the message
        return "?"


def _compare(got, expected, symbol, points) -> bool:
    import sympy

    try:
        if sympy.simplify(got - expected) == 0:
            return True
    except Exception:  # noqa: BLE001 - an equal form sympy cannot simplify: try numbers
        pass
    try:
        return all(abs(complex(got.subs(symbol, v).evalf()) - complex(expected.subs(symbol, v).evalf())) < 1e-9
                   for v in points)
    except Exception:  # noqa: BLE001
        return False
