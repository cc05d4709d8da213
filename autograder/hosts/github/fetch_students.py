"""Fetch every student's exercises from their repository, ready for `batch`.

For each roster entry: a shallow fetch of one commit into a temporary bare
repository (nothing is checked out, so nothing the student committed ever
becomes a file or a link on this machine), then the module files of
`exercises/` are read from git's objects and written to INTO/<student>/.
Only regular files named like the catalogue's modules are taken: a symbolic
link (`exercises/matmul.py -> ../../solutions/matmul.py`), a submodule, a
huge file or anything outside `exercises/` is left behind, and a note says
so. INTO/.fetched.csv records, per student, the repository, the commit
graded and what happened; one student's failure never stops the others.

The token goes to git in the environment (`GIT_CONFIG_*`: an
`http.extraHeader`), never in a URL, an argument or a file.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable

from autograder import catalogue
from autograder.hosts.batch.engines import last_lines
from autograder.hosts.batch.reports import write_atomically
from autograder.hosts.github.api import may_carry_token
from autograder.hosts.github.roster import Entry, SHA

DEFAULT_SERVER_URL = "https://github.com"
RECORD = ".fetched.csv"  # hidden: `batch` skips it
FETCHED, FAILED = "fetched", "failed"
FETCH_TIMEOUT = 300.0  # seconds for one student's fetch
LOCAL_TIMEOUT = 60.0  # seconds for reading the fetched objects
MAX_FILE = 1 << 20  # bytes: no exercise module is anywhere near this
REGULAR = {"100644", "100755"}
SYMLINK = "120000"


class FetchError(Exception):
    """One student's repository could not be fetched; the message says why."""


@dataclass
class Fetched:
    """One line of the record: what was fetched for a student, or why nothing was."""

    student: str
    repository: str
    ref: str
    sha: str = ""
    status: str = FAILED
    detail: str = ""


def repository_url(server_url: str, repository: str) -> str:
    """Where git fetches from: the server (or a local folder, for tests) and owner/name."""
    return f"{server_url.rstrip('/')}/{repository}"


def git_environment(url: str, token: str | None) -> dict[str, str]:
    """git with this machine's user settings left out and, for HTTPS, the token as a header."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    config = {"credential.helper": "", "core.askPass": "", "protocol.version": "2"}
    if token and may_carry_token(url):
        # What actions/checkout sends too: basic auth with the token as the password.
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        config["http.extraHeader"] = f"Authorization: Basic {basic}"
    env |= {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_COUNT": str(len(config))}
    for number, (key, value) in enumerate(config.items()):
        env[f"GIT_CONFIG_KEY_{number}"] = key
        env[f"GIT_CONFIG_VALUE_{number}"] = value
    return env


def git(git_dir: Path, args: list[str], *, env: dict[str, str], timeout: float = LOCAL_TIMEOUT) -> bytes:
    """Run git on `git_dir`; its output, or FetchError with the end of what it said."""
    # Its own session, so a timeout kills git's helpers (git-remote-https) with it.
    process = subprocess.Popen(["git", "--git-dir", str(git_dir), *args], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise FetchError(f"git {args[0]} took longer than {timeout:g} s and was stopped") from None
    if process.returncode != 0:
        raise FetchError(f"git {args[0]} failed: {last_lines(err.decode(errors='replace'), 3)}")
    return out


def fetch_commit(url: str, ref: str, git_dir: Path, *, token: str | None,
                 timeout: float = FETCH_TIMEOUT) -> str:
    """Fetch `ref` (default: the remote's HEAD) of `url` into a new bare repository; its commit SHA."""
    env = git_environment(url, token)
    git(git_dir, ["init", "--quiet", "--bare"], env=env)
    git(git_dir, ["fetch", "--quiet", "--depth=1", "--no-tags", "--no-write-fetch-head",
                  url, f"+{ref or 'HEAD'}:refs/graded"], env=env, timeout=timeout)
    sha = git(git_dir, ["rev-parse", "--verify", "refs/graded^{commit}"], env=env).decode().strip()
    if not SHA.fullmatch(sha):
        raise FetchError(f"git rev-parse gave {sha[:80]!r}, not a commit")
    return sha


def tree_entries(git_dir: Path, treeish: str, env: dict[str, str]) -> dict[str, tuple[str, str, str, str]]:
    """name -> (mode, type, object, size) of one tree's entries."""
    out = git(git_dir, ["ls-tree", "-z", "-l", treeish], env=env)
    entries = {}
    for record in out.decode(errors="surrogateescape").split("\0"):
        if record:
            info, _, name = record.partition("\t")
            mode, kind, obj, size = info.split()
            entries[name] = (mode, kind, obj, size)
    return entries


def exercise_files(git_dir: Path, sha: str) -> tuple[dict[str, bytes], list[str]]:
    """The regular module files of the commit's exercises/, and a note for each one left out."""
    env = git_environment("", None)
    top = tree_entries(git_dir, sha, env).get("exercises")
    if top is None:
        return {}, ["the commit has no exercises/ folder: nothing to grade"]
    if top[1] != "tree":
        return {}, ["exercises is not a folder (a file or a symbolic link): nothing to grade"]
    entries = tree_entries(git_dir, top[2], env)
    files, notes = {}, []
    for module in catalogue.modules():
        name = f"{module}.py"
        if name not in entries:
            continue  # graded as missing, like any module not handed in
        mode, kind, obj, size = entries[name]
        if mode == SYMLINK:
            notes.append(f"exercises/{name} is a symbolic link, not a file: not graded")
        elif mode not in REGULAR or kind != "blob":
            notes.append(f"exercises/{name} is not a regular file: not graded")
        elif int(size) > MAX_FILE:
            notes.append(f"exercises/{name} is larger than {MAX_FILE // 1024} KiB: not graded")
        else:
            files[name] = git(git_dir, ["cat-file", "blob", obj], env=env)
    return files, notes


def write_submission(folder: Path, files: dict[str, bytes]) -> None:
    """INTO/<student>/ holding exactly these files (whatever an earlier fetch left is gone)."""
    remove(folder)
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def fetch_one(entry: Entry, into: Path, *, server_url: str, token: str | None, timeout: float) -> Fetched:
    result = Fetched(entry.student, entry.repository, entry.ref)
    try:
        with tempfile.TemporaryDirectory(prefix="autograder-fetch-") as tmp:
            git_dir = Path(tmp) / "repository.git"
            result.sha = fetch_commit(repository_url(server_url, entry.repository), entry.ref, git_dir,
                                      token=token, timeout=timeout)
            files, notes = exercise_files(git_dir, result.sha)
        write_submission(into / entry.student, files)
    except (FetchError, OSError, ValueError) as exc:
        # No stale folder from an earlier run may be graded in its place.
        remove(into / entry.student)
        result.detail = str(exc)
        return result
    result.status, result.detail = FETCHED, "; ".join(notes)
    return result


def fetch_all(entries: list[Entry], into: Path, *, server_url: str = DEFAULT_SERVER_URL,
              token: str | None = None, timeout: float = FETCH_TIMEOUT,
              echo: Callable[[Fetched], None] = lambda fetched: None) -> list[Fetched]:
    """Fetch every entry into INTO/<student>/, in roster order; writes INTO/.fetched.csv."""
    into.mkdir(parents=True, exist_ok=True)
    results = []
    for entry in entries:
        results.append(fetch_one(entry, into, server_url=server_url, token=token, timeout=timeout))
        echo(results[-1])
    write_record(into / RECORD, results)
    return results


def write_record(path: Path, results: list[Fetched]) -> None:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=[f.name for f in fields(Fetched)])
    writer.writeheader()
    writer.writerows(asdict(result) for result in results)
    write_atomically(path, text.getvalue())


def read_record(path: Path) -> dict[str, Fetched]:
    """student -> what was fetched for them, from a record `fetch_all` wrote."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        return {row["student"]: Fetched(**{f.name: row[f.name] for f in fields(Fetched)}) for row in rows}
    except (OSError, UnicodeDecodeError, csv.Error, KeyError, TypeError) as exc:
        raise FetchError(f"{path} is not a record written by fetch-students: {exc}") from None
