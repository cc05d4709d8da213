"""The hidden suites' comparison of sympy expressions (checks.equal_expressions)."""

from __future__ import annotations

import time

import sympy

from autograder.hidden import checks
from autograder.sandbox import wire

N = sympy.Symbol("n", positive=True)


def test_equal_forms_are_equal_and_others_are_not():
    assert checks.equal_expressions(sympy.sqrt(2) / sympy.sqrt(N), sympy.sqrt(2 / N), N, (50, 1))[0]
    assert checks.equal_expressions(sympy.sqrt(2 / N) * 1.0, sympy.sqrt(2 / N), N, (50, 1, 3.5))[0]
    equal, at_50 = checks.equal_expressions(1 / N, sympy.sqrt(2 / N), N, (50, 1))
    assert not equal and at_50 == "0.0200000"


def test_an_expression_too_costly_to_compare_is_refused_within_the_limit():
    x = sympy.Symbol("x")
    huge = sympy.Pow(sympy.Add(*[x**i for i in range(1, 30)]), 64, evaluate=False)
    started = time.monotonic()
    equal, text = checks.equal_expressions(huge, x, x, (1.0,), seconds=1)
    assert time.monotonic() - started < 5
    assert not equal and "not compared" in text


def test_a_number_too_large_to_build_is_refused_when_decoded():
    tree = wire.encode_sympy(sympy.Pow(sympy.Integer(10**30), 64, evaluate=False))
    try:
        wire.decode_sympy(tree)
    except ValueError as exc:
        assert "too large" in str(exc)
    else:
        raise AssertionError("a 6,000-bit number was rebuilt")
