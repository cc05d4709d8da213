"""`python -m autograder bench`: the matmul speed ladder, through the command line.

Each run uses tiny sizes, a small budget and one or two rounds, so the three
runs together stay well under a minute; the reference runs share one fixture.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from autograder.paths import EXERCISES, ROOT, SOLUTIONS

SIZES = ["--size", "2x40x3", "--size", "3x48x12"]
FAST = [*SIZES, "--budget", "3", "--rounds", "2"]
VARIANTS = ["matmul_loops", "matmul_elementwise", "matmul_broadcast", "matmul_einsum", "@"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def bench(folder: Path, out: Path, *options: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    """Run the command as a user would; returns the process and its JSON, if written."""
    json_file = out / "bench.json"
    process = subprocess.run(
        [sys.executable, "-m", "autograder", "bench", str(folder), "--json", str(json_file), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    return process, json.loads(json_file.read_text()) if json_file.exists() else None


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-solutions")
    process, data = bench(SOLUTIONS, out, *FAST, "--plot", str(out / "ladder.png"))
    return process, data, out / "ladder.png"


def rows(data: dict, size: str) -> dict[str, dict]:
    return {row["variant"]: row for row in data["rows"] if row["size"] == size}


def test_reference_has_the_whole_ladder_for_both_sizes(reference_run):
    process, data, _ = reference_run
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stdout + process.stderr
    for size in ("2×40 by 40×3", "3×48 by 48×12"):
        ladder = rows(data, size)
        assert list(ladder) == VARIANTS
        for variant in VARIANTS:
            assert variant in process.stdout
            for side in ("student", "reference"):
                assert ladder[variant][side]["status"] == "ok", (size, variant, side)
                assert ladder[variant][side]["seconds"] > 0
                assert not ladder[variant][side]["estimated"]
    assert process.stdout.count("3×48 by 48×12") == 1  # the size labels its section once


def test_einsum_and_matmul_operator_beat_the_loops(reference_run):
    _, data, _ = reference_run
    for size in ("2×40 by 40×3", "3×48 by 48×12"):
        ladder = rows(data, size)
        loops = ladder["matmul_loops"]["student"]["seconds"]
        for fast in ("matmul_einsum", "@"):
            assert ladder[fast]["student"]["seconds"] < loops
            assert ladder[fast]["student"]["speedup"] > 1
            assert ladder[fast]["student"]["speedup_over"] == "own loops"


def test_plot_is_a_png_of_a_sensible_size(reference_run):
    _, _, png = reference_run
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(png) as image:
        image.verify()
    with Image.open(png) as image:
        width, height = image.size
    assert width >= 600 and height >= 300


def test_stubs_say_not_implemented_without_a_traceback(tmp_path):
    process, data = bench(EXERCISES, tmp_path, "--size", "2x40x3", "--budget", "2", "--rounds", "1")
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stdout + process.stderr
    ladder = rows(data, "2×40 by 40×3")
    for variant in VARIANTS[:-1]:
        assert ladder[variant]["student"]["status"] == "not implemented"
        assert ladder[variant]["student"]["seconds"] is None
        assert ladder[variant]["reference"]["status"] == "ok"
    assert process.stdout.count("not implemented") == 4
    # `@` is torch's own: it is timed, against the reference's loops since the stub has none.
    assert ladder["@"]["student"]["speedup_over"] == "reference loops"
    assert "over the reference's loops" in process.stdout


def test_missing_module_gets_a_clear_message(tmp_path):
    (tmp_path / "neurons.py").write_text("x = 1\n")  # a submission without matmul.py
    process, data = bench(tmp_path, tmp_path, "--size", "2x40x3", "--budget", "2", "--rounds", "1")
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stdout + process.stderr
    assert f"no matmul.py in {tmp_path}" in " ".join(process.stdout.split())
    assert {row["student"]["status"] for row in data["rows"]} == {"missing"}


def test_wrong_results_are_caught_before_timing(tmp_path):
    source = (SOLUTIONS / "matmul.py").read_text()
    wrong = source.replace('return torch.einsum("ik,kj->ij", a, b)', 'return torch.einsum("ik,kj->ij", a, b) + 1')
    assert wrong != source
    (tmp_path / "matmul.py").write_text(wrong)
    process, data = bench(tmp_path, tmp_path, "--size", "2x40x3", "--budget", "2", "--rounds", "1")
    assert process.returncode == 0, process.stderr
    einsum = rows(data, "2×40 by 40×3")["matmul_einsum"]["student"]
    assert einsum["status"] == "wrong result" and einsum["seconds"] is None
    assert "wrong values" in einsum["detail"]


def test_cuda_unavailable_is_a_clear_error():
    import torch
    from click.testing import CliRunner

    from autograder.cli import main

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = CliRunner().invoke(main, ["bench", str(SOLUTIONS), "--device", "cuda"])
    assert result.exit_code == 1
    assert "CUDA is not available" in result.output and "--device cpu" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("size", ["3x4", "0x5x6", "axbxc"])
def test_bad_size_is_a_usage_error(size):
    from click.testing import CliRunner

    from autograder.cli import main

    result = CliRunner().invoke(main, ["bench", str(SOLUTIONS), "--size", size])
    assert result.exit_code == 2
    assert "ROWSxINNERxCOLS" in result.output


def test_synchronised_batches_wait_for_the_device_and_stay_timed():
    """The CUDA path's batch (calls, then one element read back from the
    device) exercised on the CPU, where it must still time the calls."""
    from autograder.bench import measure as ladder
    from autograder.sandbox.client import Submission

    a, b = ladder.inputs(ladder.Size(2, 40, 3))
    child = Submission(ladder.MODULE, SOLUTIONS)
    try:
        side = ladder.Side(child, a, b, "cpu")
        side.synchronise = True
        assert set(side.kept()) == {"a", "b", "@", "sync"}
        assert side.batch("matmul_einsum", 5, timeout=10) > 0
        child.close()  # a restarted child gets its inputs (and the sync handle) again
        assert side.batch("@", 5, timeout=10) > 0
        assert child.starts == 2
    finally:
        child.close()
