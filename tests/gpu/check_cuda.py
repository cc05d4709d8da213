"""The GPU half of the grader, run on a real GPU: one script, one JSON summary.

On a machine with CUDA, from the repository's root, with no install (the
grader's code on PYTHONPATH; torch, pytest, hypothesis, sympy, numpy, rich and
click are all it needs, no nbformat or nbgrader):

    PYTHONPATH=. python tests/gpu/check_cuda.py --out gpu-summary.json

In order, each step's figures going into the summary:

1. what the machine is: Python, torch and its CUDA, the driver, the device,
   and whether the grader will use it (autograder/sandbox/cuda.py);
2. calls into one sandboxed child on the device: relu (traced), a large
   copy, float64 and a Linear, a backward pass whose hook tries to read a
   private file, pinned memory and a raised memory fraction. Landlock and
   seccomp must be in force. If this step fails, the script stops after
   finding which layer of the lock-down stops CUDA (one fork per layer);
   the gradings would only repeat the failure;
3. `grade solutions/`: full marks, and every item checked on a device lists
   the real `cuda`;
4. `grade` of the untouched stubs: nothing;
5. the bank's device mistakes: each loses points on its own item only, and
   one of its failed checks names the device;
6. `bench --device cuda` on the reference: the speed ladder on the GPU.

Exit status: 0 all held; 1 a check failed (the summary says which); 2 no
usable CUDA here; 3 this torch lacks something the grader uses. The summary
is written after every step, and the run stops starting steps after
DEADLINE seconds.

`--cpu-rehearsal` runs the same steps on the CPU with simulated CUDA (the
mistakes only a real GPU catches are left out), so that the script itself is
tested where there is no GPU (tests/gpu/test_check_cuda.py).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
for folder in (ROOT, TESTS):  # the grader and tests/support, without an install
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

DEADLINE = 420.0  # seconds from the start: steps not started by then are skipped
HARD_END = 540.0  # seconds from the start: every process still running then is given up
STARTED = time.monotonic()
TOGETHER = 16  # children alive at once in step 2, as in a grading (each has the driver's threads)
GRADING_BUDGET = 150  # seconds a `grade` run may take (its --budget): it still writes its report
GRADING_TIMEOUT = 200  # seconds before a `grade` or `bench` process is given up
BENCH_BUDGET = 3.0  # seconds per variant, side and size: the loops are estimated past it
DEVICE_WORDS = ("cuda", "gpu", "meta")  # a device mistake's message names the device it ran on
# The bank's mistakes of placement, by (item, what it does): tests/support/bank.
DEVICE_MISTAKES = [
    ("relu", "zeros without the input's device"),
    ("matmul_loops", "torch.zeros without the inputs' device and dtype"),
    ("matmul_broadcast", "torch.tensor built from Python lists, on the CPU"),
    ("mse", "a .cpu() in the middle: the loss comes back on the CPU"),
]
OK, FAILED, NO_CUDA, OLD_TORCH = 0, 1, 2, 3


class Unsupported(Exception):
    """This torch (or Python) lacks something the grader uses."""


# -- the machine -----------------------------------------------------------------------------


def preflight() -> None:
    """Import what a grading imports, so that a missing piece is named here."""
    try:
        import torch  # noqa: F401

        from autograder import cli  # noqa: F401  (click)
        from autograder.bench import measure  # noqa: F401
        from autograder.grading import pipeline  # noqa: F401
        from autograder.report import formats  # noqa: F401  (rich)
        from autograder.hidden import checks  # noqa: F401
        from autograder.sandbox import child, forkserver  # noqa: F401
    except (ImportError, AttributeError, SyntaxError) as exc:
        raise Unsupported(f"{type(exc).__name__}: {exc}") from None


def environment() -> dict:
    import torch

    from autograder.sandbox import cuda

    works, why = cuda.status()
    found = {"python": platform.python_version(), "torch": torch.__version__,
             "torch_cuda": torch.version.cuda, "cuda_used": works, "cuda_why": why,
             "device": None, "driver": None}
    if works and why.startswith("{"):  # the probe's answer: {"device": ..., "count": ...} (started in ...)
        found["device"] = json.loads(why[:why.index("}") + 1]).get("device")
    smi = shutil.which("nvidia-smi")
    try:
        done = subprocess.run([smi, "--query-gpu=driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30) if smi else None
    except (subprocess.TimeoutExpired, OSError):
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        found["driver"] = done.stdout.strip().splitlines()[0]  # torch's CUDA 13 wants a driver of 580 or later
    return found


# -- the steps -------------------------------------------------------------------------------


# Calls a sandboxed child answers on the device (sandbox_calls): what a grading
# asks of CUDA, and what a hostile submission would try there.
PROBES = '''
import threading
import torch


def relu(x):
    return x.clamp_min(0.0)


def linear64(x):
    w = torch.randn(x.shape[1], 64, dtype=x.dtype, device=x.device, generator=None)
    return torch.nn.functional.linear(x, w.t(), torch.ones(64, dtype=x.dtype, device=x.device))


def hook_on(x, path):
    """[backward ran on this thread, a private file could be read from its hook]"""
    seen = []

    def hook(grad):
        seen.append(threading.get_ident())
        try:
            with open(path) as f:
                seen.append(bool(f.read(1)))
        except OSError:
            seen.append(False)
        return grad

    y = x.detach().clone().requires_grad_(True)
    y.register_hook(hook)
    (y * 2).sum().backward()
    return [seen[0] == threading.get_ident(), seen[1]]


def pinned(x):
    return int(torch.empty(1 << 22, pin_memory=True).numel())


def more_memory(x):
    if x.is_cuda:
        torch.cuda.set_per_process_memory_fraction(1.0)
        return int(torch.empty(16 * 2**30, dtype=torch.uint8, device=x.device).numel())
    return 0
'''


def sandbox_calls(device: str, work: Path) -> dict:
    """The PROBES in one sandboxed child on `device`: its layers, results and errors."""
    import torch

    from autograder.paths import SOLUTIONS
    from autograder.sandbox.client import Submission

    (work / "gpu_probe.py").write_text(PROBES)
    started = time.monotonic()
    child = Submission("gpu_probe", work)
    calls = [("relu", torch.tensor([-1.0, 2.0])), ("relu", torch.randn(1024, 1024)),
             ("linear64", torch.randn(256, 128, dtype=torch.float64)),
             ("hook_on", torch.randn(8), str(SOLUTIONS / "neurons.py")), ("pinned", torch.zeros(1)),
             ("more_memory", torch.zeros(1))]
    answers = {}
    try:
        for name, *args in calls:
            outcome = child.call(name, *args, device=device, trace=name == "relu")
            raw = outcome.raw_value
            value = raw.get("$tensor", {}).get("device") if isinstance(raw, dict) else outcome.value
            answers[f"{name}{len(answers)}"] = ({"ok": True, "value": value} if outcome.ok
                                               else {"ok": False, "error": outcome.error_text[:300]})
    finally:
        layers = dict(child.layers)
        child.close()
    return {"seconds": round(time.monotonic() - started, 2), "layers": layers, "answers": answers,
            "together": together(device, work)}


def together(device: str, work: Path) -> list[str]:
    """TOGETHER children alive at once, each asked for relu on the device: the errors."""
    import torch

    from autograder.sandbox.client import Submission

    children = [Submission("gpu_probe", work) for _ in range(TOGETHER)]
    errors = []
    try:
        for child in children:
            outcome = child.call("relu", torch.tensor([1.0]), device=device)
            if not outcome.ok:
                errors.append(outcome.error_text[:200])
    finally:
        for child in children:
            child.close()
    return errors


def judge_sandbox(calls: dict, device: str) -> list[str]:
    """The grading's calls work on the device inside every layer; a hook can
    read no private file. Pinned memory and a raised memory fraction are
    reported in the summary, not judged: torch, not the kernel, bounds them."""
    if not calls["layers"]:
        problems = ["the layers are unknown: the child never answered"]
    else:
        problems = [f"the {layer} layer is not in force"
                    f"{' (is pyseccomp on the path?)' if layer == 'seccomp' else ''}"
                    for layer in ("landlock", "seccomp") if calls["layers"].get(layer) is not True]
    problems += [f"{len(calls.get('together', []))} of {TOGETHER} children alive at once failed: {error}"
                 for error in calls.get("together", [])[:1]]
    answers = calls["answers"]
    for key in ("relu0", "relu1", "linear642"):
        answer = answers.get(key, {"ok": False, "error": "not run"})
        if not answer["ok"]:
            problems.append(f"{key[:-1]} on {device}: {answer['error']}")
        elif not str(answer["value"]).startswith(device):
            problems.append(f"{key[:-1]} on {device} answered on {answer['value']}")
    hook = answers.get("hook_on3", {"ok": False, "error": "not run"})
    if not hook["ok"]:
        problems.append(f"a backward pass with a hook on {device}: {hook['error']}")
    elif hook["value"][1]:
        problems.append(f"a backward hook on {device} read a private file (ran on the calling thread: "
                        f"{hook['value'][0]})")
    return problems


def grade(folder: Path, out: Path) -> dict:
    """`python -m autograder grade folder` in a fresh process: its report, time and errors."""
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--format", "json",
                               "--output", str(out), "--budget", str(GRADING_BUDGET)], cwd=ROOT,
                              capture_output=True, text=True, timeout=limit())
        code, tail = done.returncode, done.stderr[-2000:]
    except subprocess.TimeoutExpired:
        code, tail = None, "no report in the time left"
    seconds = round(time.monotonic() - started, 1)
    report = json.loads(out.read_text()) if code == 0 and out.is_file() else None
    return {"seconds": seconds, "exit": code, "stderr": tail if report is None else "", "report": report}


def bench(device: str, out: Path) -> dict:
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "autograder", "bench", "solutions", "--device", device,
                               "--budget", str(BENCH_BUDGET), "--json", str(out)],
                              cwd=ROOT, capture_output=True, text=True, timeout=limit())
    except subprocess.TimeoutExpired:
        done = subprocess.CompletedProcess([], None, "", "no answer in the time left")
    found = {"seconds": round(time.monotonic() - started, 1), "exit": done.returncode, "table": done.stdout,
             "stderr": done.stderr[-2000:] if done.returncode else ""}
    found["rows"] = json.loads(out.read_text())["rows"] if done.returncode == 0 and out.is_file() else []
    return found


def device_mistakes(real_gpu: bool) -> list:
    """The Edits of DEVICE_MISTAKES, and on a real GPU those only it can catch."""
    from support.bank import autograd_function, loss, matmul, neurons

    bank = [e for m in (neurons, matmul, loss) for e in m.MISTAKES]
    chosen = []
    for item, why in DEVICE_MISTAKES:
        found = [e for e in bank if e.item == item and e.why == why]
        if len(found) != 1:
            raise LookupError(f"the bank has no single mistake {item}: {why}")
        chosen += found
    return chosen + (list(autograd_function.CUDA_MISTAKES) if real_gpu else [])


def graded_mistakes(edits: list, work: Path):
    """Each round of edits (one per item) graded as one submission, one round
    at a time as the caller asks (it may stop between rounds)."""
    from support.grading_support import edited_source, rounds

    for number, batch in enumerate(rounds(edits)):
        folder = work / f"mistakes-{number}"
        shutil.copytree(ROOT / "solutions", folder)
        for module in {edit.module for edit in batch}:
            (folder / f"{module}.py").write_text(edited_source(batch, module))
        yield {"edits": [{"item": e.item, "module": e.module, "why": e.why} for e in batch],
               **grade(folder, work / f"mistakes-{number}.json")}


# -- judging (pure: tested with made-up reports) -------------------------------------------------


def limit() -> float:
    """Seconds a process started now may take: GRADING_TIMEOUT, or less before HARD_END."""
    return max(1.0, min(GRADING_TIMEOUT, HARD_END - (time.monotonic() - STARTED)))


def items_of(report: dict | None) -> dict[str, dict]:
    return {item["id"]: item for item in (report or {}).get("items", [])}


def failures(item: dict) -> list[str]:
    return [t["message"] for t in item.get("tests", []) if not t["passed"]]


def first_failure(item: dict) -> str:
    return next(iter(failures(item)), "")


def judge_reference(graded: dict, devices: set[str]) -> list[str]:
    """Full marks, and one of `devices` among the devices of every item checked on one."""
    if graded["report"] is None:
        return [f"the reference was not graded (exit {graded['exit']}): {graded['stderr'][-300:]}"]
    problems = []
    for name, item in items_of(graded["report"]).items():
        if item["score"] != item["max_score"]:
            problems.append(f"{name}: {item['score']}/{item['max_score']}: {first_failure(item)[:200]}")
        if item.get("devices") and not devices & set(item["devices"]):
            problems.append(f"{name}: checked on {item['devices']}, never on {' or '.join(sorted(devices))}")
    return problems


def judge_stubs(graded: dict) -> list[str]:
    if graded["report"] is None:
        return [f"the stubs were not graded (exit {graded['exit']}): {graded['stderr'][-300:]}"]
    return [f"{name}: {item['score']} points for a stub" for name, item in items_of(graded["report"]).items()
            if item["score"] != 0]


def judge_mistakes(graded: dict, module_items: dict[str, list[str]]) -> list[str]:
    """Each edited item loses points with a message naming the device; the
    other items of an edited module keep full marks."""
    if graded["report"] is None:
        return [f"round {[e['item'] for e in graded['edits']]} was not graded (exit {graded['exit']}): "
                f"{graded['stderr'][-300:]}"]
    items = items_of(graded["report"])
    problems = []
    edited = {edit["item"] for edit in graded["edits"]}
    for edit in graded["edits"]:
        item = items.get(edit["item"])
        if item is None:
            problems.append(f"{edit['item']}: not in the report")
        elif item["score"] >= item["max_score"]:
            problems.append(f"{edit['item']}: not caught: {edit['why']}")
        elif not any(word in message.lower() for message in failures(item) for word in DEVICE_WORDS):
            problems.append(f"{edit['item']}: caught, but no message names a device: {first_failure(item)[:200]}")
    for module in {edit["module"] for edit in graded["edits"]}:
        for name in module_items.get(module, []):
            item = items.get(name)
            if name not in edited and item is not None and item["score"] != item["max_score"]:
                problems.append(f"{name}: lost points to an edit of another item of {module}")
    return problems


def judge_bench(measured: dict) -> list[str]:
    if measured["exit"] != 0:
        return [f"bench failed (exit {measured['exit']}): {measured['stderr'][-300:]}"]
    return [] if measured["rows"] else ["bench measured nothing"]


def table(summary: dict) -> str:
    """A short text table of the summary."""
    env = summary["environment"]
    lines = [f"python {env['python']}, torch {env['torch']} (CUDA {env['torch_cuda']}), "
             f"driver {env['driver']}, device {env['device']}",
             f"real CUDA: {'yes' if env['cuda_used'] else 'no'} ({env['cuda_why']})", ""]
    lines.append(f"{'step':<52} {'seconds':>8}  result")
    for step in summary["steps"]:
        result = "ok" if not step["problems"] else f"{len(step['problems'])} problem(s)"
        lines.append(f"{step['name']:<52} {step.get('seconds', 0):>8}  {result}")
        lines += [f"    - {problem}" for problem in step["problems"][:10]]
    lines.append("")
    lines.append("all checks held" if summary["ok"] else "SOME CHECKS FAILED")
    return "\n".join(lines)


def module_items() -> dict[str, list[str]]:
    from autograder import catalogue

    return {module: [item.id for item in catalogue.items_of(module)] for module in catalogue.modules()}


# -- the run ---------------------------------------------------------------------------------


def run(rehearsal: bool, work: Path, out: Path) -> dict:
    """Every step in order, the summary written after each (a run cut short
    keeps what it found); after DEADLINE the remaining steps are skipped."""
    device = "cpu" if rehearsal else "cuda"
    # Where fake CUDA cannot run the code (a CPU build), the simulated device is meta.
    expected = {"cuda (simulated)", "meta"} if rehearsal else {"cuda"}
    summary = {"environment": environment(), "rehearsal": rehearsal, "steps": [], "ok": False}

    def step(name: str, problems: list[str], seconds: float, **figures) -> None:
        summary["steps"].append({"name": name, "problems": problems, "seconds": seconds, **figures})
        summary["ok"] = not any(s["problems"] for s in summary["steps"])
        write(out, summary)
        print(f"{name}: {'ok' if not problems else problems[0]}", file=sys.stderr, flush=True)

    def time_left() -> bool:
        if time.monotonic() - STARTED < DEADLINE:
            return True
        step("deadline", [f"{DEADLINE:g} s passed: the remaining steps were skipped"], 0)
        return False

    calls = sandbox_calls(device, work)
    step("sandboxed calls", judge_sandbox(calls, device), calls["seconds"], calls=calls)
    if not all(calls["answers"].get(key, {}).get("ok") for key in ("relu0", "relu1", "linear642", "hook_on3")):
        # the gradings would only repeat it: find which layer breaks CUDA
        layers = diagnose_layers(device)
        step("layers, one by one", [f"{stage}: {why}" for stage, why in layers.items() if why != "ok"], 0,
             layers=layers)
        return summary
    reference = grade(ROOT / "solutions", work / "solutions.json")
    step("grade solutions/", judge_reference(reference, expected), reference["seconds"],
         items={name: {"score": i["score"], "max_score": i["max_score"], "devices": i.get("devices", [])}
                for name, i in items_of(reference["report"]).items()})
    if not time_left():
        return summary
    stubs = grade(ROOT / "exercises", work / "stubs.json")
    step("grade the stubs", judge_stubs(stubs), stubs["seconds"], score=(stubs["report"] or {}).get("score"))
    if not time_left():
        return summary
    owners = module_items()
    for graded in graded_mistakes(device_mistakes(real_gpu=not rehearsal), work):
        step(f"mistakes in {', '.join(sorted({e['item'] for e in graded['edits']}))}",
             judge_mistakes(graded, owners), graded["seconds"],
             scores={e["item"]: items_of(graded["report"]).get(e["item"], {}).get("score")
                     for e in graded["edits"]})
        if not time_left():  # before the next round, or the bench
            return summary
    measured = bench(device, work / "bench.json")
    print(measured["table"], file=sys.stderr)
    step(f"bench --device {device}", judge_bench(measured), measured["seconds"], rows=measured["rows"])
    return summary


# -- which layer of the lock-down stops CUDA --------------------------------------------------------

STAGES = ("nothing", "limits", "limits, landlock", "limits, landlock, nobody", "limits, landlock, nobody, seccomp")
STAGE_TIMEOUT = 60.0  # seconds one stage may take before its fork is killed


def diagnose_layers(device: str) -> dict[str, str]:
    """In a fresh process (this one may have started CUDA), one fork per stage:
    the stage's layers, then CUDA started and used. Stage -> "ok" or the error."""
    try:
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--diagnose-layers", device],
                              cwd=ROOT, capture_output=True, text=True, timeout=limit())
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        return {"diagnosis": f"did not finish: {exc}"}


def _stage_in_fork(stage: str, device: str, work: str) -> str:
    import os
    import resource
    import signal

    import torch

    from autograder.sandbox import child, client, cuda, landlock, syscalls

    program = syscalls.compile_filter()
    torch.set_num_threads(1)  # as in a child: OpenMP may start no thread under seccomp
    pid = os.fork()
    if pid == 0:
        code, why = 0, "ok"
        try:
            if "limits" in stage:  # a CUDA child's: client.LIMITS with RLIMIT_DATA for RLIMIT_AS
                wanted = cuda.limits(client.LIMITS, cuda.data_in_use()) if device == "cuda" else client.LIMITS
                for name, value in wanted.items():
                    resource.setrlimit(getattr(resource, name), (value, value))
            if "landlock" in stage:
                extra = (cuda.READABLE, cuda.device_files()) if device == "cuda" else ([], [])
                if not landlock.restrict(child.readable_paths() + extra[0], [work], extra[1]):
                    raise RuntimeError("Landlock is not available here")
            if "nobody" in stage and os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            if device == "cuda":
                cuda.start()
            if "seccomp" in stage and not syscalls.restrict(program):
                raise RuntimeError("seccomp is not available here (pyseccomp, libseccomp)")
            x = torch.randn(64, 64, device=device, requires_grad=True)
            (x @ x).relu().sum().backward()
            float(x.grad.sum())
        except BaseException as exc:  # noqa: BLE001 - whatever it is, it is the answer
            code, why = 1, f"{type(exc).__name__}: {str(exc)[:300]}"
        with open(os.path.join(work, f"{os.getpid()}.txt"), "w") as f:
            f.write(why)
        os._exit(code)
    waited = time.monotonic()
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() - waited > STAGE_TIMEOUT:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return f"no answer within {STAGE_TIMEOUT:g} s"
        time.sleep(0.05)
    try:
        return Path(work, f"{pid}.txt").read_text()
    except OSError:
        return "the fork died without a word"


def diagnose(device: str) -> None:
    with tempfile.TemporaryDirectory(prefix="gpu-layers-") as work:
        Path(work).chmod(0o777)  # writable once a stage drops to nobody
        print(json.dumps({stage: _stage_in_fork(stage, device, work) for stage in STAGES}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("gpu-summary.json"), help="where the JSON summary goes")
    parser.add_argument("--cpu-rehearsal", action="store_true",
                        help="run every step on the CPU with simulated CUDA (to test this script)")
    parser.add_argument("--diagnose-layers", metavar="DEVICE", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.diagnose_layers:
        diagnose(options.diagnose_layers)
        return OK
    started = time.monotonic()
    try:
        preflight()
    except Unsupported as exc:
        print(f"the grader cannot run with this torch or Python: {exc}", file=sys.stderr)
        write(options.out, {"ok": False, "unsupported": str(exc)})
        return OLD_TORCH
    if not options.cpu_rehearsal:
        from autograder.sandbox import cuda

        works, why = cuda.status()
        if not works:
            print(f"no CUDA: {why}", file=sys.stderr)
            write(options.out, {"ok": False, "environment": environment(), "no_cuda": why})
            return NO_CUDA
    try:
        with tempfile.TemporaryDirectory(prefix="gpu-check-") as work:
            summary = run(options.cpu_rehearsal, Path(work), options.out)
    except Exception:  # noqa: BLE001 - the steps so far are on disk; add how it ended
        import traceback

        summary = json.loads(options.out.read_text()) if options.out.is_file() else {"steps": []}
        summary.update(ok=False, crashed=traceback.format_exc()[-3000:])
        write(options.out, summary)
        print(f"the check itself failed:\n{summary['crashed']}", file=sys.stderr)
        return FAILED
    summary["seconds"] = round(time.monotonic() - started, 1)
    write(options.out, summary)
    print(table(summary))
    print(f"({summary['seconds']} s in all; summary in {options.out})")
    return OK if summary["ok"] else FAILED


def write(path: Path, summary: dict) -> None:
    path.write_text(json.dumps(summary, indent=1, default=str) + "\n")


if __name__ == "__main__":
    sys.exit(main())
