"""Real CUDA in the sandbox: found without touching the driver, started in each child inside its lock-down.

Five facts about the CUDA driver and torch shape this module:

- A process that forks after the driver started cannot use CUDA in the fork
  (torch: "Cannot re-initialize CUDA in forked subprocess"). The fork server
  and every grader process that forks must therefore never start it, and
  `torch.cuda.is_available()` does (it calls cuInit). `available()` asks NVML
  for the devices and lets a separate, throwaway process try CUDA for real.
- The driver opens /dev/nvidia*, maps memory and starts threads of its own
  when a context is made, and torch's autograd starts one thread per device
  at the first backward pass on it. A locked-down child may start no thread
  (seccomp), and a thread made before Landlock or before dropping to nobody
  would escape both (they hold per thread). So `start` runs in the child
  after Landlock (which lets it open the NVIDIA devices, `device_files`)
  and the drop to nobody, and before seccomp, which is then loaded into
  every thread (child.lock_down, syscalls.restrict).
- The driver reserves tens of GiB of address space, so RLIMIT_AS cannot bound
  a CUDA child; `limits` bounds its writable memory with RLIMIT_DATA instead
  (the reservation is not writable memory, so it does not count).
- On a CUDA build, once a fake CUDA tensor was made, torch's autograd starts
  its device threads (eight where there is no device) at the first backward
  pass even on the CPU: `start_autograd` makes them at the same point of
  every child of a CUDA build, GPU or not.
- Device memory is bounded by torch's caching allocator
  (`set_per_process_memory_fraction`), a limit torch keeps, not the kernel.

Without a CUDA build of torch or a device, nothing here starts anything, and
the grader runs on the CPU with simulated CUDA only.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time

import torch

SWITCH = "AUTOGRADER_REAL_CUDA"  # "0": never use a real device; "1": use it without trying first
# What a CUDA child keeps of the grader's environment: which devices, in what order.
ENVIRONMENT = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES")
READABLE = ["/proc/driver/nvidia"]  # the driver reads its parameters there
PROBE_TIMEOUT = 120.0  # seconds: a GPU without persistence mode can take long to wake
DEVICE_MEMORY = 8 * 2**30  # bytes of device memory one child may hold
# What a throwaway process does to show CUDA works: start the driver, run a
# kernel, a cuBLAS product and a backward pass, and name the device.
PROBE = """
import json, torch
torch.cuda.init()
x = torch.ones(8, 8, device="cuda", requires_grad=True)
(x @ x).sum().backward()
torch.cuda.synchronize()
print(json.dumps({"device": torch.cuda.get_device_name(0), "count": torch.cuda.device_count()}))
"""


def built_with_cuda() -> bool:
    return torch.version.cuda is not None


def possible_devices() -> int:
    """How many devices NVML sees (CUDA_VISIBLE_DEVICES honoured), without
    starting the CUDA driver; -1 where NVML cannot tell but a driver is
    installed, 0 where there is no driver at all."""
    if not built_with_cuda():
        return 0
    count = getattr(torch.cuda, "_device_count_nvml", None)
    found = count() if count is not None else -1
    if found >= 0:
        return found
    import ctypes

    try:
        ctypes.CDLL("libcuda.so.1")  # loading the driver's library starts nothing
    except OSError:
        return 0
    return -1


@functools.cache
def status() -> tuple[bool, str]:
    """(whether the grader uses a real CUDA device, why), decided once per
    process and handed to the processes it starts through the environment."""
    switch = os.environ.get(SWITCH)
    if switch == "0":
        return False, f"real CUDA turned off ({SWITCH}=0)"
    if switch == "1":
        return True, f"real CUDA assumed ({SWITCH}=1)"
    if not built_with_cuda():
        return False, f"torch {torch.__version__} is built without CUDA"
    if possible_devices() == 0:
        return False, "no CUDA device is visible"
    works, why = probe()
    os.environ[SWITCH] = "1" if works else "0"  # processes started from here need not try again
    return works, why


def available() -> bool:
    return status()[0]


def probe() -> tuple[bool, str]:
    """Try CUDA in a fresh process (never here: this process must stay forkable)."""
    from autograder.sandbox.forkserver_client import grader_environment  # the path made absolute

    started = time.monotonic()
    try:
        # -P and /: the current folder is not on the path, where a stray torch.py could stand
        done = subprocess.run([sys.executable, "-P", "-c", PROBE], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL, cwd="/",
                              env=grader_environment())
    except subprocess.TimeoutExpired:
        return False, f"CUDA did not start within {PROBE_TIMEOUT:g} s"
    except OSError as exc:
        return False, f"could not start a process to try CUDA: {exc}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return False, f"CUDA does not work here: {last[:300]}"
    return True, f"{done.stdout.strip()[:300]} (started in {time.monotonic() - started:.1f} s)"


def start(device_memory: int = DEVICE_MEMORY) -> None:
    """In a fresh child, inside its lock-down but before seccomp: start the
    driver, cuBLAS and autograd's device thread now, while the child may
    still start threads, and bound the device memory it may take."""
    torch.cuda.init()
    torch.cuda.device_count()  # kept from now on: asking NVML again later would load a library
    x = torch.ones(8, 8, device="cuda", requires_grad=True)
    (x @ x).sum().backward()
    big = torch.ones(1024, 1024, dtype=torch.float64)  # a staged copy each way, float64 and a Linear
    bias = torch.ones(1024, device="cuda", dtype=torch.float64)
    torch.nn.functional.linear(big.to("cuda"), big.to("cuda"), bias).cpu()
    torch.cuda.synchronize()
    total = torch.cuda.mem_get_info()[1]
    torch.cuda.set_per_process_memory_fraction(min(1.0, device_memory / total))
    # Backward passes then run on this thread, as on the CPU: one thread to trace.
    torch.autograd.set_multithreading_enabled(False)


def device_files() -> list[str]:
    """The NVIDIA device files a CUDA child may open for reading, writing and ioctl."""
    import glob

    return sorted(glob.glob("/dev/nvidia*") + glob.glob("/dev/nvidia-caps/*"))


def start_autograd() -> None:
    """One backward pass on the CPU, so that autograd's device threads exist
    before seccomp refuses new threads (a CUDA build only; others start none)."""
    if built_with_cuda():
        x = torch.ones(1, requires_grad=True)
        (x * 1).sum().backward()


def limits(wanted: dict, data_in_use: int) -> dict:
    """A CUDA child's resource limits: RLIMIT_AS's bound, on writable memory
    beyond what the child already holds, as RLIMIT_DATA."""
    out = dict(wanted)
    address_space = out.pop("RLIMIT_AS", None)
    if address_space is not None:
        out["RLIMIT_DATA"] = address_space + data_in_use
    return out


def data_in_use() -> int:
    """Bytes of writable private memory this process holds (VmData)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
