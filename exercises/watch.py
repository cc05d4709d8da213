# Generated from autograder/public/watch.py by `python -m autograder generate`.
# Do not edit: your changes would be overwritten.
"""`pytest exercises --watch`: run the tests, then again for every file you save.

This process imports torch (and the other heavy libraries) once and then
only waits. Every run is a fresh fork of it, so a module you changed is
really imported again, and code of yours that crashes Python or never
returns cannot take the watcher down: a run still going when you save again
is stopped and replaced. Ctrl-C stops watching.

The watching itself (watchfiles) is a second fork: watchfiles runs a thread,
and forking a process that has threads can deadlock. Both forks end when
this process ends, however it ends.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import os
import select
import signal
import sys
from pathlib import Path

import pytest

import progress  # this folder is on sys.path, as for conftest.py

HERE = Path(__file__).parent
WARM = ("torch", "torch.testing", "numpy", "sympy")  # what the exercises import: paid once, here
TICK_MS = 250  # how often a finished run is noticed while nothing is saved
WATCHED = ("items.json",)  # besides the .py files; not --progress-json's output, which each run writes


def tests_for(saved: set[Path]) -> list[str] | None:
    """The test files that check the saved files; None for all of them (a
    file that is not one module's, like items.json or conftest.py)."""
    tests = set()
    for path in saved:
        if path.name.startswith("test_") and path.suffix == ".py":
            tests.add(path.name)
        elif path.suffix == ".py" and (HERE / f"test_{path.name}").is_file():
            tests.add(f"test_{path.name}")
        else:
            return None
    return sorted(tests)


def arguments(config) -> tuple[list[str], list[str]]:
    """(the options given, the paths given) of this command line, without --watch."""
    paths = [str(p) for p in (config.option.file_or_dir or [])]
    options = [a for a in config.invocation_params.args if a != "--watch" and a not in paths]
    return options, paths


def end_with_parent(parent: int) -> None:
    """In a fork: be killed when `parent` dies (Linux); elsewhere the watcher
    notices on its own (watcher) and a run ends when it is done."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the line above
        os._exit(0)


def start(args: list[str]) -> int:
    """A fresh fork that runs pytest on `args` and exits with its code."""
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            end_with_parent(parent)
            os.setpgid(0, 0)  # Ctrl-C is the watcher's to handle: it stops this run itself
            # no faulthandler: a crash is told in one line below, not in a page of pytest's frames
            code = int(pytest.main([*args, "-p", "no:faulthandler"]))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


def finished(pid: int | None, block: bool = False, quiet: bool = False) -> bool:
    """Whether the run `pid` is over (reaping it); says so, and whether it crashed."""
    if pid is None:
        return True
    try:
        done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return True
    if done == 0:
        return False
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    if not quiet and not killed:
        if os.WIFSIGNALED(status):
            print(f"\nThe run crashed (signal {os.WTERMSIG(status)}: your code stopped Python itself).")
        print("\nWatching for saved files (Ctrl-C to stop).", flush=True)
    return True


def stop(pid: int | None, quiet: bool = False) -> None:
    if pid is not None and not finished(pid, quiet=quiet):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        finished(pid, block=True, quiet=True)


def warm_up() -> None:
    for name in WARM:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    import torch

    # Its first call imports torch.distributed.tensor (0.4 s): once here, not in every run.
    torch.testing.assert_close(torch.zeros(1), torch.zeros(1))
    # What is imported now lives as long as the watcher: the collections a
    # run makes (pytest makes two at its end) need not scan it (0.4 s each time).
    gc.freeze()


def watcher() -> tuple[int, int]:
    """(pid, fd): a process that watches this folder and writes the paths of
    saved files to fd, a batch at a time."""
    read, write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            end_with_parent(parent)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it
            import watchfiles

            def wanted(change, path: str) -> bool:
                return path.endswith(".py") or os.path.basename(path) in WATCHED

            for changes in watchfiles.watch(HERE, watch_filter=wanted, debounce=400, step=30,
                                            rust_timeout=1000, yield_on_timeout=True):
                if os.getppid() != parent:  # the watcher went without telling (no PR_SET_PDEATHSIG)
                    break
                saved = sorted({path for _, path in changes if Path(path).is_file()})
                if saved:
                    os.write(write, ("\n".join(saved) + "\0").encode())
        except BaseException:  # noqa: BLE001 - the parent sees the pipe close and says so
            pass
        finally:
            os._exit(0)
    os.close(write)
    return pid, read


def saved_files(fd: int, buffer: bytearray) -> set[Path] | None:
    """The files saved since the last call (an empty set when none); None when the watcher has gone."""
    ready, _, _ = select.select([fd], [], [], TICK_MS / 1000)
    if not ready:
        return set()
    chunk = os.read(fd, 1 << 16)
    if not chunk:
        return None
    buffer += chunk
    *batches, rest = bytes(buffer).split(b"\0")
    buffer[:] = rest
    return {Path(line) for batch in batches for line in batch.decode().splitlines()}


def only_selected(tests: list[str] | None, config) -> list[str] | None:
    """Under `-m`, the saved modules' tests that hold a selected item."""
    markexpr = config.getoption("markexpr", "")
    modules = progress.selected_modules(markexpr) if markexpr else None
    if tests is None or modules is None:
        return tests
    return [t for t in tests if progress.module_of(t) in modules]


def run(config) -> int:
    warm_up()
    options, paths = arguments(config)
    watching = child = None
    previous = signal.getsignal(signal.SIGINT)
    buffer = bytearray()
    try:
        watching, fd = watcher()
        child = start(options + paths)
        while True:
            saved = saved_files(fd, buffer)
            if child is not None and finished(child):
                child = None
            if saved is None:
                print("The watcher stopped; run the command again.", file=sys.stderr)
                return 1
            if not saved:
                continue
            names = ", ".join(sorted(p.name for p in saved))
            tests = only_selected(tests_for(saved), config)
            if tests == []:
                print(f"\n--- saved {names}: none of its items is selected by -m ---", flush=True)
                continue
            stop(child)
            print(f"\n--- saved {names}: running {', '.join(tests) if tests else 'all the tests'} ---", flush=True)
            child = start(options + ([str(HERE / t) for t in tests] if tests else paths))
    except KeyboardInterrupt:
        print("\nStopped watching.")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        stop(child, quiet=True)
        stop(watching, quiet=True)
        signal.signal(signal.SIGINT, previous)
