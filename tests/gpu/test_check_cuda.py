"""The GPU script (tests/gpu/check_cuda.py) where there is no GPU: it says so
and stops; its judging is right on made-up reports; its steps run end to end
on the CPU (--cpu-rehearsal); its mistakes are in the bank and fit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.paths import ROOT, SOLUTIONS
from gpu import check_cuda
from support.grading_support import grade, rounds, scores

SCRIPT = ROOT / "tests" / "gpu" / "check_cuda.py"


def run_script(tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "summary.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), *options], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    return done, json.loads(out.read_text())


def test_without_cuda_it_says_so_and_exits_2(tmp_path):
    done, summary = run_script(tmp_path)
    assert done.returncode == check_cuda.NO_CUDA, done.stderr
    assert "no CUDA: torch" in done.stderr and "built without CUDA" in done.stderr
    assert summary["ok"] is False and summary["environment"]["cuda_used"] is False
    assert summary["environment"]["torch"] and summary["no_cuda"]


def test_a_torch_that_lacks_what_the_grader_uses_is_named(tmp_path, monkeypatch):
    def missing():
        raise check_cuda.Unsupported("AttributeError: module 'torch' has no attribute 'accelerator'")

    monkeypatch.setattr(check_cuda, "preflight", missing)
    out = tmp_path / "summary.json"
    assert check_cuda.main(["--out", str(out)]) == check_cuda.OLD_TORCH
    assert json.loads(out.read_text()) == {
        "ok": False, "unsupported": "AttributeError: module 'torch' has no attribute 'accelerator'"}


# -- judging, on made-up reports -----------------------------------------------------------------


def item(name, score, max_score=2.0, devices=(), messages=()):
    tests = [{"name": f"test_{i}", "passed": False, "message": m} for i, m in enumerate(messages)]
    return {"id": name, "score": score, "max_score": max_score, "status": "x", "tests": tests,
            "devices": list(devices)}


def graded(*items, edits=()):
    return {"report": {"items": list(items)}, "exit": 0, "stderr": "", "seconds": 1.0, "edits": list(edits)}


def test_the_reference_must_score_full_and_reach_the_device():
    good = graded(item("relu", 2, devices=["cuda", "cuda (simulated)"]), item("neuron", 2))
    assert check_cuda.judge_reference(good, {"cuda"}) == []
    bad = graded(item("relu", 2, devices=["cuda (simulated)"]), item("dense", 1, messages=["dense broke"]))
    assert check_cuda.judge_reference(bad, {"cuda"}) == [
        "relu: checked on ['cuda (simulated)'], never on cuda", "dense: 1/2.0: dense broke"]
    lost = {"report": None, "exit": 3, "stderr": "Traceback ... grader failed", "seconds": 1.0}
    assert check_cuda.judge_reference(lost, {"cuda"})[0].startswith("the reference was not graded (exit 3)")


def test_the_stubs_must_score_nothing():
    assert check_cuda.judge_stubs(graded(item("relu", 0), item("dense", 0))) == []
    assert check_cuda.judge_stubs(graded(item("relu", 0), item("dense", 0.5))) == ["dense: 0.5 points for a stub"]


EDITS = [{"item": "relu", "module": "neurons", "why": "zeros on the CPU"}]
OWNERS = {"neurons": ["neuron", "relu", "dense"]}


def test_a_device_mistake_must_cost_its_item_with_a_device_message_and_nothing_else():
    caught = graded(item("relu", 1, messages=["expected float64", "relu on cuda tensors: output is on cpu"]),
                    item("neuron", 2), item("dense", 2), edits=EDITS)
    assert check_cuda.judge_mistakes(caught, OWNERS) == []
    missed = graded(item("relu", 2), item("neuron", 2), item("dense", 2), edits=EDITS)
    assert check_cuda.judge_mistakes(missed, OWNERS) == ["relu: not caught: zeros on the CPU"]
    silent = graded(item("relu", 1, messages=["expected 3.0, got 2.0"]), item("neuron", 2), item("dense", 2),
                    edits=EDITS)
    assert check_cuda.judge_mistakes(silent, OWNERS) == [
        "relu: caught, but no message names a device: expected 3.0, got 2.0"]
    spread = graded(item("relu", 1, messages=["on cuda"]), item("neuron", 2), item("dense", 0), edits=EDITS)
    assert check_cuda.judge_mistakes(spread, OWNERS) == ["dense: lost points to an edit of another item of neurons"]


def test_the_bench_must_measure_something():
    assert check_cuda.judge_bench({"exit": 0, "rows": [{"variant": "@"}], "stderr": ""}) == []
    assert check_cuda.judge_bench({"exit": 0, "rows": [], "stderr": ""}) == ["bench measured nothing"]
    assert check_cuda.judge_bench({"exit": 1, "rows": [], "stderr": "Error: CUDA is not available"}) == [
        "bench failed (exit 1): Error: CUDA is not available"]


def test_the_table_names_the_machine_and_each_problem():
    summary = {"environment": {"python": "3.12.1", "torch": "2.11.0+cu130", "torch_cuda": "13.0",
                               "driver": "580.1", "device": "NVIDIA H200", "cuda_used": True, "cuda_why": "ok"},
               "steps": [{"name": "grade solutions/", "problems": [], "seconds": 20.5},
                         {"name": "grade the stubs", "problems": ["dense: 0.5 points for a stub"], "seconds": 9}],
               "ok": False}
    text = check_cuda.table(summary)
    assert "torch 2.11.0+cu130 (CUDA 13.0), driver 580.1, device NVIDIA H200" in text
    assert "grade solutions/" in text and "1 problem(s)" in text and "- dense: 0.5 points for a stub" in text
    assert text.endswith("SOME CHECKS FAILED")
    assert check_cuda.table(summary | {"ok": True, "steps": summary["steps"][:1]}).endswith("all checks held")


# -- the bank and the whole run --------------------------------------------------------------------


def test_its_mistakes_are_in_the_bank_and_those_only_a_gpu_catches_pass_here(tmp_path):
    """Each chosen mistake fits the reference. The GPU-only ones score full
    marks on the CPU: that is why tests/grading/test_grader.py leaves them out."""
    edits = check_cuda.device_mistakes(real_gpu=True)
    for edit in edits:
        assert edit.fits((SOLUTIONS / f"{edit.module}.py").read_text()), edit.id
    gpu_only = [e for e in edits if e not in check_cuda.device_mistakes(real_gpu=False)]
    assert gpu_only
    for batch in rounds(gpu_only):
        folder = tmp_path / "gpu-only"
        folder.mkdir()
        for edit in batch:
            edit.apply(folder)
        report = scores(grade(folder))
        for edit in batch:
            assert report[edit.item][0] == report[edit.item][1], (edit.id, report[edit.item])


@pytest.mark.slow
def test_a_rehearsal_on_the_cpu_runs_every_step(tmp_path):
    done, summary = run_script(tmp_path, "--cpu-rehearsal")
    assert done.returncode == check_cuda.OK, done.stdout + done.stderr[-3000:]
    names = [step["name"] for step in summary["steps"]]
    assert names[:3] == ["sandboxed calls", "grade solutions/", "grade the stubs"]
    assert names[-1] == "bench --device cpu" and any(n.startswith("mistakes in") for n in names)
    assert all(not step["problems"] for step in summary["steps"])
    assert "all checks held" in done.stdout


def answers(hook=(True, False), relu_device="cuda:0"):
    return {"relu0": {"ok": True, "value": relu_device}, "relu1": {"ok": True, "value": relu_device},
            "linear642": {"ok": True, "value": relu_device}, "hook_on3": {"ok": True, "value": list(hook)},
            "pinned4": {"ok": False, "error": "no"}, "more_memory5": {"ok": True, "value": 0}}


def test_the_sandboxed_calls_must_run_on_the_device_inside_every_layer():
    locked = {"landlock": True, "seccomp": True, "cuda": True}
    assert check_cuda.judge_sandbox({"layers": locked, "answers": answers()}, "cuda") == []
    assert check_cuda.judge_sandbox({"layers": {"landlock": True, "seccomp": False}, "answers": answers()},
                                    "cuda") == ["the seccomp layer is not in force (is pyseccomp on the path?)"]
    assert check_cuda.judge_sandbox({"layers": locked, "answers": answers(hook=(False, True))}, "cuda") == [
        "a backward hook on cuda read a private file (ran on the calling thread: False)"]
    wrong = check_cuda.judge_sandbox({"layers": locked, "answers": answers(relu_device="cpu")}, "cuda")
    assert wrong[0] == "relu on cuda answered on cpu" and len(wrong) == 3


def test_the_layer_diagnosis_tries_each_stage():
    assert check_cuda.diagnose_layers("cpu") == {stage: "ok" for stage in check_cuda.STAGES}
