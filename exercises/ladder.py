# Generated from autograder/public/ladder.py by `python -m autograder generate`.
# Do not edit: your changes would be overwritten.
"""`pytest exercises --ladder`: the chapter's speed ladder, on your own code.

The chapter's point is how much faster the same matrix product gets as the
work moves from Python into PyTorch's C++: three loops, then an elementwise
product per row and column, then broadcasting, then einsum. This times your
four `matmul_*` functions on the same random matrices, checks that each
gives the right product, and draws each one's speed-up over your loops, with
PyTorch's own `a @ b` as the top rung.
"""

from __future__ import annotations

import importlib
import math
import timeit

import torch

VARIANTS = ("matmul_loops", "matmul_elementwise", "matmul_broadcast", "matmul_einsum")
SIZES = (8, 16, 32)  # the loops take about a second at 32 x 32: more is a long wait
ENOUGH = 0.05  # seconds of calls per measurement
BAR = 30  # characters of the longest bar


def per_call(function, a, b) -> float:
    """The best time per call of two rounds of at least ENOUGH seconds each
    (with the standard library's timeit, not your time_call)."""
    timer = timeit.Timer(lambda: function(a, b))
    best = math.inf
    for _ in range(2):
        number, took = 1, timer.timeit(1)
        while took < ENOUGH:
            number *= 2
            took = timer.timeit(number)
        best = min(best, took / number)
    return best


def readable(seconds: float) -> str:
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def measure(matmul, n: int) -> dict[str, float | str]:
    """Time per call of each variant on n x n matrices, or why it was not timed."""
    generator = torch.Generator().manual_seed(n)
    a, b = (torch.randn(n, n, generator=generator) for _ in range(2))
    times: dict[str, float | str] = {}
    for name in VARIANTS:
        function = getattr(matmul, name, None)
        try:
            got = function(a, b)
            right = isinstance(got, torch.Tensor) and got.shape == (n, n) and torch.allclose(got, a @ b, atol=1e-4)
            times[name] = per_call(function, a, b) if right else "gives a wrong product"
        except Exception as exc:  # noqa: BLE001 - your code's error is the answer here
            times[name] = f"raised {type(exc).__name__}"
    times["a @ b (PyTorch)"] = per_call(torch.matmul, a, b)
    return times


def draw(times: dict[str, float | str], n: int) -> list[str]:
    base = times["matmul_loops"]
    lines = [f"{n} x {n} times {n} x {n}: time per call, and speed-up over your loops"]
    speedups = {k: base / v for k, v in times.items() if isinstance(v, float) and isinstance(base, float)}
    top = max(speedups.values(), default=1.0)
    for name, value in times.items():
        if not isinstance(value, float):
            lines.append(f"  {name:<20} {value}")
            continue
        if name not in speedups:
            lines.append(f"  {name:<20} {readable(value):>9}")
            continue
        # a log scale: each rung is a factor, as in the chapter
        width = round(BAR * math.log10(speedups[name]) / math.log10(top)) if top > 1 else 0
        lines.append(f"  {name:<20} {readable(value):>9}  {'#' * max(width, 1):<{BAR}} {speedups[name]:,.0f}x")
    return lines


def show() -> int:
    try:
        matmul = importlib.import_module("matmul")
    except Exception as exc:  # noqa: BLE001
        print(f"matmul.py did not import ({type(exc).__name__}: {exc}); run `pytest exercises -m matmul_loops`")
        return 1
    print("Your speed ladder (each size takes a few seconds):\n")
    for n in SIZES:
        print("\n".join(draw(measure(matmul, n), n)) + "\n", flush=True)
    print("Each rung moves work from Python into PyTorch's C++. The grader times the same steps:"
          " elementwise must be much faster than the loops, broadcasting than elementwise.")
    return 0
