"""Every speed check fails the next-slower variant (the reference passes them all:
test_grader's full marks). Right answers computed too slowly lose only these tests."""

from __future__ import annotations

import inspect
import shutil

from autograder.paths import SOLUTIONS
from autograder.sandbox import slow_variants
from support.grading_support import grade

SPEED_TESTS = {
    "matmul_elementwise": "test_speed[matmul_elementwise]",
    "matmul_broadcast": "test_speed[matmul_broadcast]",
    "matmul_einsum": "test_speed[matmul_einsum]",
    "relu": "test_relu_is_vectorised",
    "dense": "test_dense_is_vectorised",
    "conv2d_unfold": "test_conv2d_unfold_is_vectorised",
}

# Each fast variant replaced by the one below it, at the end of the module.
# The einsum item's restriction (one einsum call) is checked on the timing
# inputs too, so its slower variant makes one einsum on a scrap of the input
# and does its work as the broadcast loop: only the speed check can fail it.
MATMUL_ONE_RUNG_DOWN = """
_broadcast = matmul_broadcast


def matmul_einsum(a, b):
    torch.einsum("i->i", a[0, :1])
    return _broadcast(a, b)


matmul_broadcast = matmul_elementwise
matmul_elementwise = matmul_loops
"""


def with_slow_variants(folder):
    for module in ("matmul", "neurons", "research"):
        shutil.copy(SOLUTIONS / f"{module}.py", folder / f"{module}.py")
    with open(folder / "matmul.py", "a") as f:
        f.write(MATMUL_ONE_RUNG_DOWN)
    for module, variant, name in [("neurons", slow_variants.relu_rows, "relu"),
                                  ("neurons", slow_variants.dense_rows, "dense"),
                                  ("research", slow_variants.conv2d_positions, "conv2d_unfold")]:
        with open(folder / f"{module}.py", "a") as f:
            f.write(f"\n\n{inspect.getsource(variant)}\n{name} = {variant.__name__}\n")


def test_the_next_slower_variant_fails_every_speed_check(tmp_path):
    with_slow_variants(tmp_path)
    report = {item["id"]: item for item in grade(tmp_path)["items"]}
    for item_id, speed_test in SPEED_TESTS.items():
        results = {t["name"]: t for t in report[item_id]["tests"]}
        assert not results[speed_test]["passed"], (item_id, results[speed_test])
        assert "faster than" in results[speed_test]["message"], results[speed_test]
    # Right answers: the values still pass; only speed (and the loop rules) is lost.
    for item_id in ("relu", "dense", "conv2d_unfold"):
        results = {t["name"]: t["passed"] for t in report[item_id]["tests"]}
        assert results[f"test_{item_id}_edge_cases"], (item_id, results)
    relu = {t["name"]: t["passed"] for t in report["relu"]["tests"]}
    assert [name for name, passed in relu.items() if not passed] == [SPEED_TESTS["relu"]]
