"""The speed ladder: the submission's four matmul variants and `@`, timed.

The chapter times its matmul variants one after the other and shows how each
step of vectorisation pays. Here the submission's `matmul.py` and the
reference run in two sandboxed children (`sandbox.client.Submission`), the
inputs are kept inside each child, and every batch of calls is timed in this
process, around the request: a child could lie about its own clock.

For each size and variant both sides are first checked against `a @ b`
computed here (speed counts only for right answers), then timed in batches
of about `BATCH` seconds, the two sides alternating, best batch per call
kept. Each side has a time budget per variant; the loops, whose cost grows
with ar × ac × bc, are not even started when the time measured on a smaller
size says they would not fit, and their time is then shown as an estimate.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from autograder.grading import submission_files
from autograder.paths import SOLUTIONS
from autograder.sandbox import cuda
from autograder.sandbox.client import ChildGone, Outcome, Remote, StudentError, Submission
from autograder.sandbox.failures import ChildTimedOut

MODULE = "matmul"
VARIANTS = ("matmul_loops", "matmul_elementwise", "matmul_broadcast", "matmul_einsum", "@")
LOOPS = VARIANTS[0]
BATCH = 0.03  # seconds a timed batch of calls should last
MOST_CALLS = 100_000  # per batch, whatever the batch time
SEED = 17
RTOL, ATOL = 1e-4, 1e-3  # float32 sums of up to a few thousand products


@dataclass(frozen=True)
class Size:
    """`a` (rows, inner) by `b` (inner, cols)."""

    rows: int
    inner: int
    cols: int

    @classmethod
    def parse(cls, text: str) -> "Size":
        """'5x784x10' means 5×784 by 784×10."""
        match = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*[x×]\s*(\d+)\s*", text)
        if not match or 0 in (sizes := tuple(int(g) for g in match.groups())):
            raise ValueError(f"a size is ROWSxINNERxCOLS with positive numbers, like 5x784x10; got {text!r}")
        return cls(*sizes)

    @property
    def steps(self) -> int:
        """Scalar multiply-adds of the product: what the triple loop pays for."""
        return self.rows * self.inner * self.cols

    def __str__(self) -> str:
        return f"{self.rows}×{self.inner} by {self.inner}×{self.cols}"


CHAPTER = Size(5, 784, 10)  # a batch of five MNIST images by a 784×10 layer
LARGER = Size(64, 784, 256)
DEFAULT_SIZES = (CHAPTER, LARGER)


@dataclass
class Measurement:
    """One side's result for one variant and size."""

    status: str = "ok"  # ok, too slow, not implemented, wrong result, error, crashed, missing
    seconds: float | None = None  # best time per call
    estimated: bool = False  # `seconds` extrapolated from a smaller size, not measured
    detail: str = ""
    calls: int = 0  # calls timed

    @property
    def timed(self) -> bool:
        return self.seconds is not None


@dataclass
class Row:
    size: Size
    variant: str
    student: Measurement
    reference: Measurement


@dataclass
class Bench:
    rows: list[Row]
    device: str
    budget: float
    rounds: int
    student_folder: str
    student_note: str = ""  # why the submission's side is empty, if it is

    def row(self, size: Size, variant: str) -> Row:
        return next(r for r in self.rows if r.size == size and r.variant == variant)

    def speedup(self, row: Row, side: str) -> tuple[float | None, str]:
        """`side`'s time for this row against its own loops on the same size,
        or against the reference's loops when its own have no time; and which."""
        loops = self.row(row.size, LOOPS)
        mine, theirs = getattr(row, side), getattr(loops, side)
        base = "own loops"
        if not theirs.timed:
            theirs, base = loops.reference, "reference loops"
        if not (mine.timed and theirs.timed):
            return None, ""
        if theirs.estimated:
            base = f"estimated {base}"
        return theirs.seconds / mine.seconds, base

    def to_dict(self) -> dict:
        rows = []
        for row in self.rows:
            entry = {"size": str(row.size), "shape": asdict(row.size), "variant": row.variant}
            for side in ("student", "reference"):
                speedup, base = self.speedup(row, side)
                entry[side] = {**asdict(getattr(row, side)), "speedup": speedup, "speedup_over": base}
            rows.append(entry)
        return {"device": self.device, "budget_s": self.budget, "rounds": self.rounds,
                "batch_s": BATCH, "student_folder": self.student_folder,
                "student_note": self.student_note, "rows": rows}


class CudaUnavailable(RuntimeError):
    pass


def check_device(device: str) -> None:
    if device == "cuda":
        works, why = cuda.status()
        if not works:
            raise CudaUnavailable(f"CUDA is not available on this machine ({why}, torch {torch.__version__}); "
                                  "run with --device cpu")


# -- one side: a child with the inputs kept in it ------------------------------------------


class Side:
    """One child (the submission's or the reference's) with one size's inputs in it.

    The inputs are sent once and kept in the child, so a timed batch carries
    no tensor data; they are sent again whenever the child had to restart.
    """

    def __init__(self, child: Submission, a: torch.Tensor, b: torch.Tensor, device: str):
        self.child, self.a, self.b, self.device = child, a, b, device
        self.synchronise = device == "cuda"  # kernels run asynchronously there
        self._kept_at = None
        self._kept: dict[str, Remote] = {}

    def kept(self) -> dict[str, Remote]:
        self.child.ensure_started()
        if self._kept_at != self.child.starts:
            a = self.child.keep(self.a, self.device)
            b = self.child.keep(self.b, self.device)
            self._kept = {"a": a, "b": b, "@": self.child.get(a, "__matmul__")}
            if self.synchronise:
                # Reading one element back waits for every kernel queued before it.
                one = self.child.keep(torch.zeros(1), self.device)
                self._kept["sync"] = self.child.get(one, "item")
            self._kept_at = self.child.starts
        return self._kept

    def target(self, variant: str):
        """What to call, and with what: `@` is `a.__matmul__(b)`."""
        kept = self.kept()
        if variant == "@":
            return kept["@"], [kept["b"]]
        return variant, [kept["a"], kept["b"]]

    def call(self, variant: str, timeout: float):
        target, args = self.target(variant)
        return self.child.call(target, *args, trace=False, timeout=timeout)

    def batch(self, variant: str, number: int, timeout: float) -> float:
        """Wall-clock seconds for `number` calls, timed here; on CUDA the batch
        ends only once the device has finished them."""
        target, args = self.target(variant)
        sync = self._kept.get("sync")
        start = time.perf_counter()
        self.child.repeat(target, args, number, timeout=timeout, trace=False)
        if sync is not None:
            self.child.repeat(sync, [], 1, timeout=timeout, trace=False)
        return time.perf_counter() - start


# -- one variant on one side ---------------------------------------------------------------


class Timing:
    """Check, calibrate and time one variant on one side, within `budget` seconds."""

    def __init__(self, side: Side | None, variant: str, budget: float, absent: Measurement | None = None):
        self.side, self.variant, self.budget = side, variant, budget
        self.result = absent or Measurement()
        self.number = 0
        self.spent = 0.0
        self.rounds = 0

    @property
    def running(self) -> bool:
        return self.result.status == "ok" and self.spent < self.budget

    def check(self, expected: torch.Tensor) -> None:
        """Call once (within the budget) and compare with `expected`."""
        if self.result.status != "ok":
            return
        try:
            self.side.kept()  # a (re)start of the child is not the variant's time
        except (ChildGone, StudentError) as exc:
            self.fail("crashed", str(exc))
            return
        start = time.perf_counter()
        try:
            outcome = self.side.call(self.variant, timeout=self.budget)
        except (ChildGone, StudentError) as exc:
            self.fail("crashed", str(exc))
            return
        finally:
            self.spent += time.perf_counter() - start
        if not outcome.ok:
            self.fail(*classify_error(outcome, self.budget))
        else:
            problem = compare(outcome.value, outcome.device, expected, self.side.device)
            if problem:
                self.fail("wrong result", problem)

    def calibrate(self) -> None:
        """Grow the batch until it lasts about BATCH seconds; every batch counts."""
        number = 1
        while self.running:
            took = self.time(number)
            if took is None or took >= BATCH or number >= MOST_CALLS:
                self.number = number
                return
            number = min(MOST_CALLS, number * min(10, max(2, int(BATCH / max(took, 1e-6)))))

    def round(self) -> None:
        if self.running and self.number:
            self.time(self.number)
            self.rounds += 1

    def time(self, number: int) -> float | None:
        try:
            took = self.side.batch(self.variant, number, timeout=max(self.budget - self.spent, 0.1))
        except ChildGone as exc:
            self.spent = self.budget
            if not self.result.timed:
                status = "too slow" if isinstance(exc, ChildTimedOut) else "crashed"
                self.fail(status, f"over the {self.budget:g} s budget" if status == "too slow" else str(exc))
            return None
        except StudentError as exc:
            self.fail("error", f"raised while being timed: {exc}")
            return None
        self.spent += took
        per_call = took / number
        if not self.result.timed or per_call < self.result.seconds:
            self.result.seconds = per_call
        self.result.calls += number
        return took

    def finish(self) -> Measurement:
        if self.result.status == "ok" and not self.result.timed:
            self.fail("too slow", f"the {self.budget:g} s budget ran out before a timed batch")
        return self.result

    def fail(self, status: str, detail: str) -> None:
        self.result = Measurement(status=status, detail=detail)


def classify_error(outcome: Outcome, budget: float) -> tuple[str, str]:
    """A row status for a call that failed in a child."""
    error = outcome.error or {}
    kind, message = error.get("type", ""), error.get("message", "")
    if outcome.timed_out:
        return "too slow", f"one call took over the {budget:g} s budget"
    if outcome.crashed:
        return "crashed", message
    if "NotImplementedError" in [kind, *error.get("bases", [])]:
        return "not implemented", message
    if "did not import" in message:
        return "error", message
    if kind == "AttributeError" and "has no attribute" in message:
        return "not defined", message
    where = f" ({error['where']})" if error.get("where") else ""
    return "error", f"{kind}: {message}{where}"


def compare(value, device: str | None, expected: torch.Tensor, wanted_device: str) -> str:
    """What is wrong with a result, or '' when it matches `expected`."""
    if not isinstance(value, torch.Tensor):
        return f"returned {type(value).__name__}, not a tensor"
    if device is not None and torch.device(device).type != torch.device(wanted_device).type:
        return f"the result is on {device}, the inputs on {wanted_device}"
    if tuple(value.shape) != tuple(expected.shape):
        return f"shape {tuple(value.shape)}, expected {tuple(expected.shape)}"
    got = value.detach().double()
    if not torch.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=False):
        error = (got - expected).abs().nan_to_num(math.inf)
        at = tuple(int(i) for i in torch.unravel_index(error.argmax(), error.shape))
        return f"wrong values: at {at} got {got[at].item():.4g}, expected {expected[at].item():.4g}"
    return ""


# -- the whole ladder ----------------------------------------------------------------------


def inputs(size: Size) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(SEED)
    a = torch.randn(size.rows, size.inner, generator=generator)
    b = torch.randn(size.inner, size.cols, generator=generator)
    return a, b


def student_problem(child: Submission, folder: Path) -> str:
    """Why the submission's module cannot be timed at all, or ''."""
    if not child.present:
        return f"no {MODULE}.py in {folder}"
    try:
        child.ensure_started()
    except ChildGone as exc:
        return f"{MODULE}.py could not be started: {exc}"
    error = child.import_error
    if error is not None:
        where = f" ({error['where']})" if error.get("where") else ""
        return f"{MODULE}.py did not import: {error['type']}: {error['message']}{where}"
    return ""


def loops_estimate(done: list[Row], side: str, size: Size) -> tuple[float, Size] | None:
    """The loops' time per call on `size`, scaled from the largest size timed so far."""
    timed = [r for r in done if r.variant == LOOPS and getattr(r, side).timed
             and not getattr(r, side).estimated]
    if not timed:
        return None
    base = max(timed, key=lambda r: r.size.steps)
    return getattr(base, side).seconds * size.steps / base.size.steps, base.size


def run(folder: Path, *, sizes=DEFAULT_SIZES, device: str = "cpu", budget: float = 10.0,
        rounds: int = 5, progress=None) -> Bench:
    """Time the ladder of `folder`/matmul.py next to the reference's."""
    check_device(device)
    # The student's file read safely, once, into a folder of our own (as grading does).
    staged = Path(tempfile.mkdtemp(prefix="bench-"))
    refused = submission_files.stage_modules(Path(folder), [MODULE], staged).get(MODULE)
    student = Submission(MODULE, staged, call_timeout=max(budget, 10.0))
    reference = Submission(MODULE, SOLUTIONS, call_timeout=max(budget, 10.0))
    bench = Bench([], device, budget, rounds, str(folder))
    try:
        bench.student_note = refused or student_problem(student, Path(folder))
        try:
            reference.ensure_started()  # both children up before any clock starts
        except ChildGone:
            pass  # every reference row will say so
        for size in sizes:
            a, b = inputs(size)
            expected = a.double() @ b.double()
            sides = {"student": Side(student, a, b, device), "reference": Side(reference, a, b, device)}
            for variant in VARIANTS:
                if progress:
                    progress(f"{size}: {variant}")
                timings = {}
                for name, side in sides.items():
                    absent = None
                    if name == "student" and bench.student_note:
                        absent = Measurement("missing" if not (student.present or refused) else "error",
                                             detail=bench.student_note)
                    elif variant == LOOPS:
                        absent = skip_loops(bench.rows, name, size, budget)
                    timings[name] = Timing(side, variant, budget, absent)
                ladder_step(list(timings.values()), expected, rounds)
                bench.rows.append(Row(size, variant, timings["student"].finish(), timings["reference"].finish()))
    finally:
        student.close()
        reference.close()
        shutil.rmtree(staged, ignore_errors=True)
    return bench


def skip_loops(done: list[Row], side: str, size: Size, budget: float) -> Measurement | None:
    """A 'too slow' estimate for the loops when a smaller size says they would not fit."""
    estimate = loops_estimate(done, side, size)
    if estimate is None or estimate[0] <= budget:
        return None
    seconds, base = estimate
    return Measurement("too slow", seconds=seconds, estimated=True,
                       detail=f"not run: about {seconds:.3g} s a call, scaled from {base} "
                              f"(over the {budget:g} s budget)")


def ladder_step(timings: list[Timing], expected: torch.Tensor, rounds: int) -> None:
    """Check every side, calibrate each, then alternate their rounds (fair under load)."""
    for timing in timings:
        timing.check(expected)
    for timing in timings:
        timing.calibrate()
    for _ in range(rounds):
        for timing in timings:
            timing.round()
