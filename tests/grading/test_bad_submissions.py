"""Broken and hostile submissions: each costs only the items it touches, and the
grader still writes a complete report of its own."""

from __future__ import annotations

import os
import shutil
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder import catalogue
from autograder.paths import SOLUTIONS
from autograder.sandbox import landlock, syscalls
from support.grading_support import grade, scores

MATMUL = (SOLUTIONS / "matmul.py").read_text()
MATMUL_ITEMS = [item.id for item in catalogue.items_of("matmul")]
# Landlock (Linux 5.13+) keeps a child to its own folder; ABI 6 also stops its signals.
LANDLOCK = landlock.abi_version()


def inject(function: str, code: str, source: str = MATMUL) -> str:
    """Put `code` right after the shape check of a matmul variant."""
    start = source.index(f"def {function}(")
    check = source.index("    _check_shapes(a, b)\n", start) + len("    _check_shapes(a, b)\n")
    return source[:check] + textwrap.indent(textwrap.dedent(code), "    ") + source[check:]


def at_import(code: str, source: str = MATMUL) -> str:
    return source + "\n" + textwrap.dedent(code)


@dataclass
class Case:
    name: str
    files: dict[str, str]  # file name -> content, in the submission folder
    lose: dict[str, str | None]  # item -> expected status (None: any status, but points lost)
    keep: list[str] = field(default_factory=list)  # items that must keep full marks


def matmul_case(name, source, lose, **extra_files) -> Case:
    keep = [i for i in MATMUL_ITEMS if i not in lose]
    return Case(name, {"matmul.py": source, **extra_files}, lose, keep)


CASES = [
    matmul_case("syntax error", "def matmul_loops(a, b)\n    return a\n",
                dict.fromkeys(MATMUL_ITEMS, "error")),
    matmul_case("exception at import", at_import("raise RuntimeError('boom at import')"),
                dict.fromkeys(MATMUL_ITEMS, "error")),
    # Waited for once, not once per test.
    matmul_case("endless loop at import", at_import("while True:\n    pass\n"),
                dict.fromkeys(MATMUL_ITEMS, "error")),
    Case("missing module", {}, dict.fromkeys(MATMUL_ITEMS, "missing")),
    matmul_case("missing name", MATMUL.replace("def matmul_einsum(", "def matmul_einsum_renamed("),
                {"matmul_einsum": "failed", "matmul_shapes": None}),
    matmul_case("returns None", inject("matmul_broadcast", "return None\n"), {"matmul_broadcast": None}),
    matmul_case("returns a list", inject("matmul_broadcast", "return (a @ b).tolist()\n"),
                {"matmul_broadcast": None}),
    matmul_case("returns NaNs", inject("matmul_einsum", "return torch.full((a.shape[0], b.shape[1]), float('nan'))\n"),
                {"matmul_einsum": None}),
    matmul_case("infinite loop", inject("matmul_loops", "while True:\n    pass\n"),
                {"matmul_loops": "timeout"}),
    # A message that reads like the grader's own timeout is still the student's error.
    matmul_case("raises a timeout lookalike", inject("matmul_loops", """\
        raise RuntimeError("timeout: no answer within 1 s (autograder.sandbox.failures.TimedOut)")
        """), {"matmul_loops": "failed"}),
    # Where seccomp refuses signal handlers, signal.signal raises; the loop goes on.
    matmul_case("loop that ignores signals", inject("matmul_loops", """\
        import signal
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
            try:
                signal.signal(s, signal.SIG_IGN)
            except OSError:
                pass
        while True:
            pass
        """), {"matmul_loops": "timeout"}),
    matmul_case("huge allocation", inject("matmul_elementwise", "torch.empty(2**42)\n"),
                {"matmul_elementwise": None}),
    matmul_case("sys.exit", inject("matmul_einsum", "import sys; sys.exit(0)\n"), {"matmul_einsum": None}),
    matmul_case("os._exit", inject("matmul_broadcast", "import os; os._exit(0)\n"), {"matmul_broadcast": None}),
    matmul_case("KeyboardInterrupt", inject("matmul_einsum", "raise KeyboardInterrupt\n"), {"matmul_einsum": None}),
    matmul_case("monkeypatched comparisons", at_import("""\
        import numpy
        torch.allclose = lambda *a, **k: True
        torch.equal = lambda *a, **k: True
        torch.testing.assert_close = lambda *a, **k: None
        numpy.allclose = lambda *a, **k: True
        """, inject("matmul_broadcast", "return torch.zeros(a.shape[0], b.shape[1], dtype=a.dtype)\n")),
        {"matmul_broadcast": None}),
    matmul_case("tensor whose __eq__ lies", at_import("""\
        class Liar(torch.Tensor):
            def __eq__(self, other):
                return True
            def __ne__(self, other):
                return False
        """, inject("matmul_elementwise", "return torch.zeros(a.shape[0], b.shape[1], dtype=a.dtype).as_subclass(Liar)\n")),
        {"matmul_elementwise": None}),
    matmul_case("changes the default dtype", inject("matmul_einsum", "torch.set_default_dtype(torch.float64)\n"),
                {"matmul_einsum": None}),
    matmul_case("megabytes of printing", inject("matmul_loops", "for _ in range(2000):\n    print('x' * 5000)\n"), {}),
    matmul_case("a file too large", inject("matmul_broadcast", "open('big.bin', 'wb').write(b'0' * 2**26)\n"),
                {"matmul_broadcast": None}),
    matmul_case("switches tracing off to hide a matmul", inject("matmul_loops", """\
        with torch._C.DisableTorchFunction():
            return torch.mm(a, b)
        """), {"matmul_loops": None}),
    # Its parent is the fork server, not the grader: where seccomp or Landlock
    # (ABI 6) stop the signal the kill fails (and costs the item), elsewhere a
    # new server takes over.
    matmul_case("kills its parent process",
                inject("matmul_einsum", "import os, signal; os.kill(os.getppid(), signal.SIGKILL)\n"),
                {"matmul_einsum": None} if LANDLOCK >= 6 or syscalls.available() else {}),
    pytest.param(
        matmul_case("reads the reference and writes outside its folder", inject(
            "matmul_loops", f"return open({str(SOLUTIONS / 'matmul.py')!r}).read()\n", inject(
                "matmul_broadcast", "open('/tmp/escaped-from-the-sandbox', 'w').write('x')\n")),
            {"matmul_loops": None, "matmul_broadcast": None}),
        marks=pytest.mark.skipif(LANDLOCK < 1, reason="this kernel has no Landlock"),
    ),
    # A detached process started at import could outlive a call and end the
    # child during another item's: it cannot start, and the items keep their points.
    matmul_case("starts a detached process at import", at_import("""\
        import subprocess
        try:
            subprocess.Popen(["sleep", "60"], start_new_session=True)
        except (OSError, RuntimeError):
            pass
        """), {}),
    matmul_case(
        "stray conftest, sitecustomize, torch.py and numpy.py",
        MATMUL, {},
        **{name: "raise SystemExit('this file must never be loaded')\n"
           for name in ("conftest.py", "sitecustomize.py", "torch.py", "numpy.py")},
    ),
]


def write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_submission_costs_only_what_it_touches(case, tmp_path):
    folder = tmp_path / "submission"
    write(folder, case.files)
    report = grade(folder)
    assert [i["id"] for i in report["items"]] == [i.id for i in catalogue.load()]
    got = scores(report)
    for item, status in case.lose.items():
        score, max_score, actual = got[item]
        assert score < max_score, f"{case.name}: {item} kept its points"
        if status is not None:
            assert actual == status, f"{case.name}: {item} is {actual}, expected {status}"
        messages = [t["message"] for i in report["items"] if i["id"] == item for t in i["tests"]]
        assert status == "missing" or any(messages), f"{case.name}: {item} has no message"
    for item in case.keep:
        assert got[item][0] == got[item][1], f"{case.name}: {item} lost points: {got[item]}"


def test_fake_report_file_is_overwritten_by_the_grader(tmp_path):
    out = tmp_path / "submission-report.json"
    source = at_import(f"open({str(out)!r}, 'w').write('{{\"score\": 90, \"max_score\": 90, \"items\": []}}')")
    folder = tmp_path / "submission"
    write(folder, {"matmul.py": inject("matmul_einsum", "return None\n", source)})
    report = grade(folder)  # grade() writes its report to the same file
    assert len(report["items"]) == 39
    assert scores(report)["matmul_einsum"][0] == 0


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(int(entry))
    return found


def test_no_process_outlives_grading(tmp_path):
    marker = "317.25"  # an unusual sleep time names the submission's processes
    assert shutil.which("sleep")
    source = at_import(f"""\
        import os, subprocess
        subprocess.Popen(["sleep", "{marker}"])
        subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
        if os.fork() == 0:  # a daemon: fork, new session, fork again
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "{marker}"])
            os._exit(0)
        """)
    folder = tmp_path / "submission"
    write(folder, {"matmul.py": source})
    grade(folder)
    deadline = time.time() + 5
    while _processes_with(marker) and time.time() < deadline:
        time.sleep(0.1)
    assert _processes_with(marker) == []
