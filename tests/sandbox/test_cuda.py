"""Real CUDA, decided without starting the driver, and started in a child
inside its lock-down (autograder/sandbox/cuda.py). There is no GPU here: these
tests cover the decisions and the plumbing; tests/gpu/check_cuda.py covers a
real device."""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import sys

import pytest
import torch

from autograder.paths import ROOT, SOLUTIONS
from autograder.sandbox import client, cuda


@pytest.fixture
def fresh_status():
    """status() decided again, with the switch unset, and forgotten after the test
    (with the switch status() itself sets: it must not reach later tests' graders)."""
    before = os.environ.pop(cuda.SWITCH, None)
    cuda.status.cache_clear()
    yield
    cuda.status.cache_clear()
    os.environ.pop(cuda.SWITCH, None)
    if before is not None:
        os.environ[cuda.SWITCH] = before


def test_a_cpu_build_never_uses_cuda(fresh_status):
    assert torch.version.cuda is None  # the pinned CPU build
    assert cuda.status() == (False, f"torch {torch.__version__} is built without CUDA")
    assert cuda.possible_devices() == 0


@pytest.mark.parametrize("switch, expected", [("0", False), ("1", True)])
def test_the_switch_decides(fresh_status, monkeypatch, switch, expected):
    monkeypatch.setenv(cuda.SWITCH, switch)
    assert cuda.available() is expected


def test_visible_devices_that_do_not_work_are_not_used(fresh_status, monkeypatch):
    """NVML sees a device but CUDA cannot start (here: a CPU build): the throwaway
    process says why, this process stays unstarted, and its children inherit the answer."""
    monkeypatch.setattr(cuda, "built_with_cuda", lambda: True)
    monkeypatch.setattr(cuda, "possible_devices", lambda: 1)
    works, why = cuda.status()
    assert not works and why.startswith("CUDA does not work here:") and "CUDA" in why[25:], why
    assert not torch.cuda.is_initialized()
    assert os.environ[cuda.SWITCH] == "0"


def test_a_probe_that_hangs_is_given_up(fresh_status, monkeypatch):
    monkeypatch.setattr(cuda, "PROBE", "import time; time.sleep(30)")
    monkeypatch.setattr(cuda, "PROBE_TIMEOUT", 0.5)
    assert cuda.probe() == (False, "CUDA did not start within 0.5 s")


def test_a_cuda_child_bounds_writable_memory_not_address_space():
    wanted = {"RLIMIT_AS": 8 * 2**30, "RLIMIT_CPU": 600}
    assert cuda.limits(wanted, 3 * 2**30) == {"RLIMIT_DATA": 11 * 2**30, "RLIMIT_CPU": 600}
    assert cuda.limits({"RLIMIT_CPU": 600}, 2**30) == {"RLIMIT_CPU": 600}
    assert hasattr(resource, "RLIMIT_DATA")
    assert 0 < cuda.data_in_use() < 64 * 2**30


def test_a_child_that_cannot_start_cuda_says_so(fresh_status, monkeypatch):
    """The grader asks for CUDA in a child (as on a GPU machine) and it cannot start:
    the module's checks fail with the grader's reason, not as the student's import."""
    monkeypatch.setenv(cuda.SWITCH, "1")
    child = client.Submission("neurons", SOLUTIONS)
    try:
        outcome = child.call("relu", torch.tensor([-1.0, 2.0]))
    finally:
        child.close()
    assert not outcome.ok
    assert "the grader could not start CUDA in the sandbox" in outcome.error_text, outcome.error_text


def test_without_cuda_a_child_starts_as_before(fresh_status):
    child = client.Submission("neurons", SOLUTIONS)
    try:
        outcome = child.call("relu", torch.tensor([-1.0, 2.0]))
    finally:
        child.close()
    assert outcome.ok and outcome.value.tolist() == [0.0, 2.0]


def test_memory_maps_are_refused(tmp_path):
    """A CUDA child's memory is bounded by RLIMIT_DATA, which a shared anonymous
    map would escape: no child may make one through Python's mmap."""
    (tmp_path / "neurons.py").write_text(
        "import mmap\n\ndef relu(x):\n    mmap.mmap(-1, 1 << 20)\n    return x.clamp_min(0.0)\n")
    child = client.Submission("neurons", tmp_path)
    try:
        outcome = child.call("relu", torch.tensor([-1.0, 2.0]))
    finally:
        child.close()
    assert not outcome.ok and "does not allow mmap.__new__" in outcome.error_text, outcome.error_text


def test_seccomp_holds_for_threads_made_before_it():
    """A CUDA child has the driver's and autograd's threads before its filter is
    loaded: the filter is loaded into all of them (TSYNC), so none can fork."""
    script = (
        "import os, threading\n"
        "from autograder.sandbox import syscalls\n"
        "go, seen = threading.Event(), []\n"
        "def other():\n"
        "    go.wait()\n"
        "    try:\n"
        "        os.fork() or os._exit(0)\n"
        "        seen.append('forked')\n"
        "    except OSError as exc:\n"
        "        seen.append(exc.errno)\n"
        "thread = threading.Thread(target=other)\n"
        "thread.start()\n"
        "in_force = syscalls.restrict(syscalls.compile_filter())\n"
        "go.set()\n"
        "thread.join()\n"
        "print(in_force, seen)\n")

    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "[1]"], done.stdout + done.stderr


def test_possible_devices_asks_nvml_then_whether_a_driver_is_installed(monkeypatch):
    """What the fork server asks before warming up fake tensors: NVML's count, or
    where NVML cannot tell, -1 if the driver's library is there (then no warm-up)."""
    monkeypatch.setattr(cuda, "built_with_cuda", lambda: True)
    monkeypatch.setattr(torch.cuda, "_device_count_nvml", lambda: 2, raising=False)
    assert cuda.possible_devices() == 2
    monkeypatch.setattr(torch.cuda, "_device_count_nvml", lambda: -1, raising=False)
    assert cuda.possible_devices() == 0  # no libcuda.so.1 on this machine

    def a_driver(name, *args, **kwargs):
        if name != "libcuda.so.1":
            raise AssertionError(name)

    monkeypatch.setattr(ctypes, "CDLL", a_driver)
    assert cuda.possible_devices() == -1


def test_the_helpers_get_the_path_made_absolute(monkeypatch):
    """The fork server starts in a folder of its own: a `.` on PYTHONPATH (as on
    the GPU machine, `PYTHONPATH=.:.gpu-extra`) must still mean where it was typed."""
    from autograder.sandbox.forkserver_client import grader_environment

    monkeypatch.setenv("PYTHONPATH", f".{os.pathsep}.gpu-extra{os.pathsep}")
    assert grader_environment()["PYTHONPATH"].split(os.pathsep) == [
        str(ROOT), os.path.abspath("."), os.path.abspath(".gpu-extra")]
