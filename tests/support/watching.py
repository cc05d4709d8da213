"""`pytest --watch` in a folder, read as it writes: for the watch tests and
tests/benchmark_student_loop.py."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path


class Watched:
    """`pytest --watch` in a folder, read line by line."""

    def __init__(self, folder: Path, *args: str):
        self.process = subprocess.Popen([sys.executable, "-m", "pytest", "--watch", "-q", *args], cwd=folder,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.seen = b""

    def until(self, marker: str, timeout: float = 120) -> str:
        """The output up to the next `marker`."""
        deadline = time.monotonic() + timeout
        while marker.encode() not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {marker!r} in {self.seen.decode()[-3000:]}"
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            chunk = os.read(self.process.stdout.fileno(), 1 << 16) if ready else b""
            assert chunk or not ready, f"the watcher ended: {self.seen.decode()[-3000:]}"
            self.seen += chunk
        text, _, self.seen = self.seen.partition(marker.encode())
        return text.decode()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(20)
        finally:
            self.process.kill()


# What the watcher prints when a run is over and it waits for the next save.
END = "Watching for saved files"
