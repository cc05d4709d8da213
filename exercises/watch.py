# Generated from autograder/public/watch.py by `python -m autograder generate`.
# Do not edit: your changes would be overwritten.
"""`pytest exercises --watch`: run the tests, then again for every file you save.

This process imports torch (and the other heavy libraries) once and then
only watches the folder. Every run is a fresh fork of it, so a module you
changed is really imported again, and code of yours that crashes Python or
never returns cannot take the watcher down: a run still going when you save
again is stopped and replaced. Ctrl-C stops watching.
"""

from __future__ import annotations

import gc
import importlib
import os
import select
import signal
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
WARM = ("torch", "torch.testing", "numpy", "sympy")  # what the exercises import: paid once, here
TICK_MS = 250  # how often a finished run is noticed while nothing is saved


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


def start(args: list[str]) -> int:
    """A fresh fork that runs pytest on `args` and exits with its code."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            # no faulthandler: a crash is told in one line below, not in a page of pytest's frames
            code = int(pytest.main([*args, "-p", "no:faulthandler"]))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


def finished(pid: int | None, block: bool = False) -> bool:
    """Whether the run `pid` is over (reaping it); says so if it crashed."""
    if pid is None:
        return True
    try:
        done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return True
    if done == 0:
        return False
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) != signal.SIGKILL:
        print(f"\nThe run crashed (signal {os.WTERMSIG(status)}: your code stopped Python itself).")
    if not os.WIFSIGNALED(status) or os.WTERMSIG(status) != signal.SIGKILL:
        print("\nWatching for saved files (Ctrl-C to stop).", flush=True)
    return True


def stop(pid: int | None) -> None:
    if pid is not None and not finished(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        finished(pid, block=True)


def stop_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


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
    saved files to fd, a batch at a time. It is a process of its own because
    watchfiles runs a thread, and forking a process with threads can deadlock."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            import watchfiles

            only = watchfiles.PythonFilter(extra_extensions=(".json",))
            for changes in watchfiles.watch(HERE, watch_filter=only, debounce=400, step=30):
                saved = sorted({path for _, path in changes if Path(path).is_file()})
                if saved:
                    os.write(write, ("\n".join(saved) + "\0").encode())
        except KeyboardInterrupt:
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


def run(config) -> int:
    warm_up()
    options, paths = arguments(config)
    watching, fd = watcher()
    child = start(options + paths)
    buffer = bytearray()
    try:
        while True:
            saved = saved_files(fd, buffer)
            if child is not None and finished(child):
                child = None
            if saved is None:
                print("The watcher stopped; run the command again.", file=sys.stderr)
                return 1
            if not saved:
                continue
            stop(child)
            tests = tests_for(saved)
            names = ", ".join(sorted(p.name for p in saved))
            print(f"\n--- saved {names}: running {', '.join(tests) if tests else 'all the tests'} ---", flush=True)
            child = start(options + ([str(HERE / t) for t in tests] if tests else paths))
    except KeyboardInterrupt:
        print("\nStopped watching.")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        stop(child)
        stop_quietly(watching)
