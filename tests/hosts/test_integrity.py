"""Integrity flags: code that reaches for the grader, flagged for the instructor.

The reference solutions, the stubs and the released notebooks give no flag;
every attack of the bank (tests/support/attacks/) is flagged but for the few
that only break an item's rules, never the grader's; no honest twin and no
honest mistake of tests/support/bank/ is flagged, but for the one that uses
a thread pool. Each pattern is flagged with its file and line; a file the
grader would not read (a link, a FIFO, a huge file) is a flag of its own,
and reading never waits.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
from pathlib import Path

import pytest

from autograder import catalogue
from autograder.grading.submission_files import MODULE_LIMIT
from autograder.hosts.batch import integrity
from autograder.paths import EXERCISES, ROOT, SOLUTIONS
from support.attacks import bank

ATTACKS = bank()

# Attacks on the item's rules, not on the grader: the sandbox's checks catch
# them (a convolution is a product, NumPy is traced as NumPy), and nothing in
# their code reaches for the grader.
NOT_FLAGGED = {
    "time_call: rewrites the recorder's spans so that the mean passes for the median",
    "matmul_loops: computes the product as a convolution",
    "dense: turns to F.linear on inputs as large as the timing's",
    "conv2d_unfold: remembers its results by the inputs' content",
    "matmul_elementwise: computes the product in NumPy",
}
# The one honest mistake that is flagged: threads are no crime, but they are
# one way past the tracer (the bank's attack on threads), so they are shown.
FLAGGED_MISTAKES = {"relu: spreads the rows over a pool of threads"}


def module(folder: Path, code: str, name: str = "neurons") -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(code)
    return integrity.flags(folder)


def notebook(path: Path, cells: list[tuple[str | None, str]]) -> Path:
    """A notebook in nbformat 4 with (grade_id or None, source) code cells."""
    made = []
    for grade_id, source in cells:
        metadata = {"nbgrader": {"grade_id": grade_id, "solution": True}} if grade_id else {}
        made.append({"cell_type": "code", "metadata": metadata, "source": source,
                     "outputs": [], "execution_count": None})
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": made}))
    return path


def test_the_reference_the_stubs_and_the_released_notebooks_give_no_flag():
    assert integrity.flags(SOLUTIONS) == []
    assert integrity.flags(EXERCISES) == []
    assert integrity.flags(ROOT / "release" / "foundations") == []
    assert integrity.flags(ROOT / "source" / "foundations") == []  # hidden test cells are no answers


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda attack: attack.id)
def test_every_attack_on_the_grader_is_flagged_and_its_twin_is_not(attack, tmp_path):
    (tmp_path / "attack").mkdir()
    (tmp_path / "twin").mkdir()
    attack.attack.apply(tmp_path / "attack")
    attack.twin.apply(tmp_path / "twin")
    found = integrity.flags(tmp_path / "attack")
    if attack.id in NOT_FLAGGED:
        assert found == []
    else:
        assert found, "the attack was not flagged"
        assert all(flag.startswith(f"{attack.attack.module}.py:") for flag in found)
    assert integrity.flags(tmp_path / "twin") == []


def test_no_honest_mistake_is_flagged_but_threads(tmp_path):
    flagged = set()
    for name in catalogue.modules():
        mistakes_of = importlib.import_module(f"support.bank.{name}")
        for edit in mistakes_of.MISTAKES:
            folder = tmp_path / str(len(list(tmp_path.iterdir())))
            folder.mkdir()
            edit.apply(folder)
            if integrity.flags(folder):
                flagged.add(edit.id)
    assert flagged == FLAGGED_MISTAKES


# (line 1, line 2, what the flag of line 2 says)
PATTERNS = [
    ("x = 1", "import autograder.sandbox.tracer", "imports autograder.sandbox.tracer (the grader's own code)"),
    ("x = 1", "from autograder.grading import pipeline", "imports autograder.grading.pipeline"),
    ("x = 1", "import forkserver", "imports forkserver (the grader's own code)"),
    ("x = 1", "from sandbox import guards", "imports sandbox.guards (the grader's own code)"),
    ("x = 1", "import tracer", "imports tracer (the grader's own code)"),
    ("import torch", "torch._C._set_torch_function_mode(None)",
     "uses torch._C._set_torch_function_mode (switches torch's tracing or dispatch modes)"),
    ("import torch", "torch._C._push_on_torch_dispatch_stack(mode)",
     "uses torch._C._push_on_torch_dispatch_stack (switches"),
    ("import torch", "torch._C._unset_dispatch_mode(key)", "uses torch._C._unset_dispatch_mode (switches"),
    ("import torch", "with torch._C._DisableTorchDispatch(): pass", "uses torch._C._DisableTorchDispatch (switches"),
    ("import torch", "torch.Tensor._make_subclass(cls, data)",
     "uses torch.Tensor._make_subclass (a private part of torch)"),
    ("import torch._C as C", "C._set_torch_function_mode(None)", "uses torch._C._set_torch_function_mode"),
    ("from torch import _C", "_C._pop_torch_dispatch_stack()", "uses torch._C._pop_torch_dispatch_stack"),
    ("import torch", 'getattr(torch._C, "_pop_torch_dispatch_stack")(None)',
     "uses torch._C._pop_torch_dispatch_stack (switches"),
    ("x = 1", 'name = "_push_on_torch_dispatch_stack"', 'names "_push_on_torch_dispatch_stack" in a string'),
    ("import gc", "found = gc.get_objects()", "uses gc.get_objects (searches the heap for objects)"),
    ("import gc", "found = gc.get_referrers(x)", "uses gc.get_referrers (searches the heap for objects)"),
    ("x = 1", "from gc import get_objects", "imports gc.get_objects (searches the heap"),
    ("import sys", "frame = sys._getframe(1)", "uses sys._getframe (walks the call stack's frames)"),
    ("from sys import _getframe as here", "frame = here(1)", "uses sys._getframe (walks the call stack's frames)"),
    ("import inspect", "frame = inspect.currentframe()", "uses inspect.currentframe (walks the call stack's frames)"),
    ("import inspect", "frames = inspect.stack()", "uses inspect.stack (walks the call stack's frames)"),
    ("frame = None", "frame = frame.f_back", "uses .f_back (walks the call stack's frames)"),
    ("error = None", "frame = error.__traceback__.tb_frame", "uses .tb_frame (walks the call stack's frames)"),
    ("x = 1", "import socket", "imports socket (sockets)"),
    ("x = 1", "import ctypes", "imports ctypes (calls C code directly (ctypes))"),
    ("x = 1", "from ctypes import CDLL", "imports ctypes.CDLL"),
    ("x = 1", 'maps = open("/proc/self/maps").read()', "names /proc (other processes' memory and state)"),
    ("x = 1", 'path = f"/proc/{pid}/mem"', "names /proc"),
    ("import os", "pid = os.fork()", "uses os.fork (other processes)"),
    ("import os", "os._exit(0)", "uses os._exit (ends the process at once)"),
    ("import os", "os.execv(path, args)", "uses os.execv (other processes)"),
    ("import os", "os.kill(1, 9)", "uses os.kill (signals)"),
    ("x = 1", "import threading", "imports threading (other threads)"),
    ("x = 1", "from multiprocessing import Process", "imports multiprocessing.Process (other processes)"),
    ("x = 1", "import subprocess", "imports subprocess (other processes)"),
    ("x = 1", "import signal", "imports signal (signals)"),
    ("x = 1", "import importlib", "imports importlib (imports modules by name)"),
    ("import importlib", 'mod = importlib.import_module("socket")', "imports socket by name (sockets)"),
    ("x = 1", 'mod = __import__("sys")', "uses __import__ (imports modules by name)"),
    ("x = 1", "import builtins", "imports builtins (Python's builtins)"),
    ("import builtins", "builtins.len = lambda x: 0", "patches builtins.len (Python's builtins)"),
    ("x = 1", "__builtins__['len'] = None", "uses __builtins__ (Python's builtins)"),
    ("import json", "json.dumps = str", "patches json.dumps (changes what a module holds)"),
    ("import torch", "torch.relu = abs", "patches torch.relu (changes what a module holds)"),
    ("import sys", "sys.audit = print", "patches sys.audit (audit or trace hooks)"),
    ("x = 1", "exec('y = 2')", "uses exec (runs code made from text)"),
    ("x = 1", "classes = object.__subclasses__()", "uses .__subclasses__ (reaches objects it was not given)"),
    ("def f(): pass", "names = f.__globals__", "uses .__globals__"),
    ("class Odd:", "    def __torch_dispatch__(cls, func, types, args=(), kwargs=None): pass",
     "defines __torch_dispatch__ (switches torch's tracing or dispatch modes)"),
    ("class Later:", "    def __del__(self): pass", "defines __del__ (a finalizer"),
    ("x = 1", 'kind = "CallCounter"', 'names "CallCounter" in a string (the grader\'s own code)'),
]


@pytest.mark.parametrize(("first", "second", "expected"), PATTERNS, ids=[p[1] for p in PATTERNS])
def test_each_pattern_is_flagged_with_its_file_and_line(first, second, expected, tmp_path):
    found = module(tmp_path, f"{first}\n{second}\n")
    assert any(flag.startswith(f"neurons.py:2: {expected}") for flag in found), found
    # line 1 is flagged as it is alone (its imports), so the lines are right
    alone = [] if first.endswith(":") else module(tmp_path / "alone", f"{first}\n")
    assert [flag for flag in found if flag.startswith("neurons.py:1:")] == alone


def test_plain_words_and_variables_are_not_flagged(tmp_path):
    code = ('"""Uses a socket, a signal, threading and /dev/null in prose; gc.collect is fine."""\n'
            "import gc\nimport math\n\n\n"
            "def f(signal, inspect):\n"
            "    socket = signal.mean()\n"
            "    gc.collect()\n"
            "    return inspect.stack + socket + math.pi\n")
    assert module(tmp_path, code) == []


def test_a_repeated_finding_is_one_flag_that_counts_its_lines(tmp_path):
    found = module(tmp_path, "import sys\n" + "sys._getframe(0)\n" * 4)
    assert found == ["neurons.py:2: uses sys._getframe (walks the call stack's frames) (and on 3 more lines)"]


def test_a_file_that_does_not_parse_is_scanned_as_text(tmp_path):
    found = module(tmp_path, "def broken(:\n    import socket\n    return sys._getframe(1).f_back\n")
    assert found[0] == "neurons.py: does not parse as Python (line 1); scanned as text"
    assert "neurons.py:2: mentions socket (sockets)" in found
    assert any(flag.startswith("neurons.py:3: mentions sys._getframe") for flag in found)
    assert any(flag.startswith("neurons.py:3: mentions f_back") for flag in found)


def test_bytes_that_are_not_utf8_are_scanned_without_an_error(tmp_path):
    (tmp_path / "matmul.py").write_bytes(b"import ctypes\nx = '\xff\xfe'\n")
    found = integrity.flags(tmp_path)
    assert found[0].startswith("matmul.py: does not parse as Python")
    assert "matmul.py:1: mentions ctypes (calls C code directly (ctypes))" in found


def test_files_the_grader_would_not_read_are_flags_and_never_block(tmp_path, no_hang):
    sub = tmp_path / "dave"
    sub.mkdir()
    (sub / "neurons.py").symlink_to(SOLUTIONS / "neurons.py")
    os.mkfifo(sub / "matmul.py")
    with open(sub / "loss.py", "wb") as f:
        f.truncate(MODULE_LIMIT + 1)
    (sub / "einsum.py").mkdir()
    (sub / "layers.py").symlink_to("/dev/zero")
    shutil.copy(SOLUTIONS / "broadcasting.py", sub / "broadcasting.py")
    assert integrity.flags(sub) == [
        "neurons.py: not read (a symbolic link)",
        "matmul.py: not read (a FIFO (named pipe))",
        "einsum.py: not read (a folder)",
        "loss.py: not read (1,048,577 bytes, over the limit of 1,048,576 bytes)",
        "layers.py: not read (a symbolic link)",
    ]


def test_a_submission_that_is_a_link_or_a_fifo_is_a_flag(tmp_path, no_hang):
    (tmp_path / "carol").symlink_to(SOLUTIONS)
    assert integrity.flags(tmp_path / "carol") == ["carol: not read (a symbolic link)"]
    os.mkfifo(tmp_path / "erin.ipynb")
    assert integrity.flags(tmp_path / "erin.ipynb") == ["erin.ipynb: not read (a FIFO (named pipe))"]
    (tmp_path / "zero.ipynb").symlink_to("/dev/zero")
    assert integrity.flags(tmp_path / "zero.ipynb") == ["zero.ipynb: not read (a symbolic link)"]
    (tmp_path / "bad.ipynb").write_text("{not json")
    assert integrity.flags(tmp_path / "bad.ipynb") == ["bad.ipynb: not read (not valid JSON (line 1, column 2))"]
    assert integrity.flags(tmp_path / "absent") == ["absent: not read (No such file or directory)"]


def test_the_flags_are_bounded_and_cleaned(tmp_path):
    code = "import torch\n" + "".join(f"torch._C._thing{n}()\n" for n in range(120))
    found = module(tmp_path, code)
    assert len(found) == integrity.MAX_FLAGS + 1
    assert found[-1] == "and 70 more"
    assert found[0] == "neurons.py:2: uses torch._C._thing0 (a private part of torch)"
    long = module(tmp_path / "long", "import torch\ntorch._C." + "a" * 5000 + "()\n")
    assert len(long) == 1 and len(long[0]) <= integrity.FLAG_LIMIT
    assert integrity.summary(found).startswith("120 flags: neurons.py:2: uses torch._C._thing0")
    assert len(integrity.summary(found)) <= 400
    assert integrity.summary([]) == ""


def test_notebooks_flag_answer_cells_by_cell_and_line(tmp_path):
    path = notebook(tmp_path / "\x1b[31mbob.ipynb", [
        (None, "import socket  # not an answer cell: never graded"),
        ("neurons_setup", "import socket  # the setup cell: the grader uses its own"),
        ("relu", "def relu(x):\n    import socket\n    return x.clamp_min(0.0)\n"),
        ("dense", ["def dense(x, w, b):\n", "    torch._C._set_torch_function_mode(None)\n",
                   "    return x @ w.t() + b\n"]),
        ("neuron", "!pip install torch\nimport ctypes\n"),
        ("transpose", ["not", 3]),
    ])
    assert integrity.flags(path) == [
        "bob.ipynb, cell relu, line 2: imports socket (sockets)",
        "bob.ipynb, cell dense, line 2: uses torch._C._set_torch_function_mode "
        "(switches torch's tracing or dispatch modes)",
        "bob.ipynb, cell neuron: does not parse as Python (line 1); scanned as text",
        "bob.ipynb, cell neuron, line 1: runs a shell command (an IPython ! or %%bash line)",
        "bob.ipynb, cell neuron, line 2: mentions ctypes (calls C code directly (ctypes))",
        "bob.ipynb, cell transpose: not read (its source is not text)",
    ]


def test_a_folder_of_notebooks_is_read_notebook_by_notebook(tmp_path):
    notebook(tmp_path / "01_neurons.ipynb", [("relu", "import gc\nfound = gc.get_objects()\n")])
    notebook(tmp_path / "02_matmul.ipynb", [("matmul_loops", "import threading\n")])
    assert integrity.flags(tmp_path) == [
        "01_neurons.ipynb, cell relu, line 2: uses gc.get_objects (searches the heap for objects)",
        "02_matmul.ipynb, cell matmul_loops, line 1: imports threading (other threads)",
    ]
