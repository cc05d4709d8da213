"""Attacks on the grader never score more than the same wrong answer written honestly.

The bank is in tests/support/attacks/. Each round grades a folder of attacks (at most
one per item) and a folder of their honest twins; an attack may not beat its
twin on its item, may not keep full marks, and may not cost any item it did
not touch a point. The processes and budgets cases below need a listener or
a clock, so they are written out one by one.
"""

from __future__ import annotations

import socket
import textwrap
import threading
import time
from pathlib import Path

import pytest

from autograder import catalogue
from autograder.paths import SOLUTIONS
from support.attacks import attack_rounds, bank, introspection, problems, tampering, watched
from support.grading_support import grade, graded_round, scores

ATTACKS = bank()


def round_id(batch) -> str:
    return f"{len(batch)} attacks, first {batch[0].item}"


@pytest.mark.parametrize("batch", attack_rounds(), ids=round_id)
def test_attacks_score_no_more_than_their_honest_twins(batch, tmp_path):
    attacked = graded_round(tmp_path, [a.attack for a in batch], "attacked")
    twins = graded_round(tmp_path, [a.twin for a in batch], "twins")
    found = problems(batch, attacked, twins)
    assert not found, "\n".join(found)


def test_the_bank_covers_every_class():
    assert len(tampering.ATTACKS) >= 10 and len(watched.ATTACKS) >= 7 and len(introspection.ATTACKS) >= 7
    assert len({a.id for a in ATTACKS}) == len(ATTACKS)


# -- reaching other processes -------------------------------------------------------------

MATMUL = (SOLUTIONS / "matmul.py").read_text()
CHECK = "    _check_shapes(a, b)\n"


def with_code(code: str, function: str = "matmul_einsum") -> str:
    """The reference matmul.py with `code` run at the start of `function` (after
    its shape check); what the code tries may fail, the product stays right."""
    start = MATMUL.index(f"def {function}(")
    at = MATMUL.index(CHECK, start) + len(CHECK)
    body = "try:\n" + textwrap.indent(textwrap.dedent(code), "    ") + "except Exception:\n    pass\n"
    return MATMUL[:at] + textwrap.indent(body, "    ") + MATMUL[at:]


class Listener:
    """A UDP or Unix-stream listener on this machine that records what reaches it."""

    def __init__(self, kind: str, folder: Path):
        self.received: list[bytes] = []
        if kind == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
            self.address = self.sock.getsockname()
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.address = str(folder / "listener.sock")
            self.sock.bind(self.address)
            self.sock.listen(8)
            Path(self.address).chmod(0o777)
        self.sock.settimeout(0.2)
        self.kind, self.running = kind, True
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        while self.running:
            try:
                if self.kind == "udp":
                    self.received.append(self.sock.recv(1 << 16))
                else:
                    conn, _ = self.sock.accept()
                    self.received.append(conn.recv(1 << 16) or b"(connected)")
                    conn.close()
            except OSError:
                continue

    def close(self) -> list[bytes]:
        self.running = False
        self.thread.join(5)
        self.sock.close()
        return self.received


@pytest.mark.parametrize("kind", ["udp", "unix"])
def test_hidden_inputs_cannot_be_sent_out(kind, tmp_path):
    listener = Listener(kind, tmp_path)
    if kind == "udp":
        send = f"""\
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(a.numpy().tobytes(), {tuple(listener.address)!r})
            """
    else:
        send = f"""\
            import socket
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect({listener.address!r})
            s.sendall(a.numpy().tobytes())
            """
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "matmul.py").write_text(with_code(send))
    report = scores(grade(folder))
    received = listener.close()
    assert received == [], f"the submission reached a {kind} listener: {received[:1]}"
    # Refused, the socket raises; the code caught that and answered right.
    assert all(report[i.id][0] == report[i.id][1] for i in catalogue.items_of("matmul")), report


def test_ctypes_is_refused_and_fails_the_call(tmp_path):
    """ctypes reads and writes any memory of the child: even a call that
    catches the refusal and answers right fails, with an integrity note."""
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "matmul.py").write_text(with_code("import ctypes\nctypes.string_at(id(a), 16)\n"))
    report = grade(folder)
    einsum = next(i for i in report["items"] if i["id"] == "matmul_einsum")
    assert einsum["score"] == 0, einsum
    assert any("sandbox" in t["message"] and "ctypes" in t["message"] for t in einsum["tests"]), einsum
    got = scores(report)
    assert all(got[i.id][0] == got[i.id][1] for i in catalogue.items_of("matmul") if i.id != "matmul_einsum"), got


def test_no_child_can_reach_another_childs_connection(tmp_path):
    """At import, look for any socket the child can name or reach and speak to
    it (its own connection's peer and name, the folder they are in): there
    is no name to find and no socket to make. Before the hardening, the
    connection's peer named the fork server's folder, where the next child's
    listening socket would appear."""
    probe = """\
        import os, socket
        for fd in range(3, 64):
            try:
                own = socket.socket(fileno=os.dup(fd))
            except OSError:
                continue
            for address in (own.getpeername(), own.getsockname()):
                if isinstance(address, str) and address:
                    folder = os.path.dirname(address)
                    for name in os.listdir(folder):
                        other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                        other.connect(os.path.join(folder, name))
                        other.sendall(b'{"ok": false, "error": {"type": "Boom", "message": "hijacked"}}')
        """
    folder = tmp_path / "submission"
    folder.mkdir()
    at_import = MATMUL + "\n\ntry:\n" + textwrap.indent(textwrap.dedent(probe), "    ") + "except Exception:\n    pass\n"
    (folder / "matmul.py").write_text(at_import)
    for module in ("neurons", "loss"):
        (folder / f"{module}.py").write_text((SOLUTIONS / f"{module}.py").read_text())
    report = scores(grade(folder))
    for item in [*catalogue.items_of("neurons"), *catalogue.items_of("loss"), *catalogue.items_of("matmul")]:
        assert report[item.id][0] == report[item.id][1], (item.id, report[item.id])


def test_what_a_call_leaves_behind_cannot_touch_the_next_item(tmp_path):
    """A thread, a timer, a signal handler or a process left by one item's call
    would end the process during another item's calls: none can be started,
    and every item gets a fresh process anyway."""
    leave = """\
        import os, signal, threading, subprocess, time
        threading.Thread(target=lambda: (time.sleep(0.05), os._exit(0)), daemon=True).start()
        """
    later = """\
        import os, signal
        signal.signal(signal.SIGALRM, lambda *a: os._exit(0))
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        """
    source = with_code_into(with_code(leave, "matmul_einsum"), later, "matmul_elementwise")
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "matmul.py").write_text(source)
    report = scores(grade(folder))
    for item in catalogue.items_of("matmul"):
        assert report[item.id][0] == report[item.id][1], (item.id, report[item.id])


def with_code_into(source: str, code: str, function: str) -> str:
    start = source.index(f"def {function}(")
    at = source.index(CHECK, start) + len(CHECK)
    body = "try:\n" + textwrap.indent(textwrap.dedent(code), "    ") + "except Exception:\n    pass\n"
    return source[:at] + textwrap.indent(body, "    ") + source[at:]


# -- budgets --------------------------------------------------------------------------------


def test_a_slow_import_is_paid_once_and_a_dying_module_stops_being_restarted(tmp_path):
    """An import that sleeps under the import limit, then an exit in every
    call: without budgets, each of the module's hundreds of calls restarted it
    and paid the sleep again (over 300 s and no report). Its honest twin
    (the same sleep, right answers) keeps its points and pays the sleep once."""
    sleeping = MATMUL.replace("import torch\n", "import torch\nimport time as _time\n_time.sleep(8)\n", 1)
    dying = sleeping
    for name in ("matmul_loops", "matmul_elementwise", "matmul_broadcast", "matmul_einsum", "time_call"):
        start = dying.index(f"def {name}(")
        body = dying.index("### BEGIN SOLUTION\n", start) + len("### BEGIN SOLUTION\n")
        dying = dying[:body] + "    import os; os._exit(0)\n" + dying[body:]
    attacked, twin = tmp_path / "dying", tmp_path / "sleeping"
    for folder, source in ((attacked, dying), (twin, sleeping)):
        folder.mkdir()
        (folder / "matmul.py").write_text(source)
    started = time.monotonic()
    report = scores(grade(attacked))
    took = time.monotonic() - started
    assert took < 150, f"the dying module took {took:.0f} s to grade"
    assert all(report[i.id][0] == 0 for i in catalogue.items_of("matmul")), report
    honest = scores(grade(twin))
    assert all(honest[i.id][0] == honest[i.id][1] for i in catalogue.items_of("matmul")), honest


def test_the_grading_budget_ends_a_grading_that_would_not_end(tmp_path):
    """Every function of three modules loops for ever: each call is waited for
    once per item, which adds up; the budget stops it and the report is complete."""
    folder = tmp_path / "submission"
    folder.mkdir()
    for module in ("matmul", "broadcasting", "neurons"):
        source = (SOLUTIONS / f"{module}.py").read_text()
        source = source.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    while True:\n        pass\n")
        (folder / f"{module}.py").write_text(source)
    started = time.monotonic()
    report = grade(folder, options=("--budget", "40"))
    took = time.monotonic() - started
    assert took < 90, f"a 40 s budget took {took:.0f} s"
    assert [i["id"] for i in report["items"]] == [i.id for i in catalogue.load()]
    assert all(i["score"] == 0 for i in report["items"])


def test_an_expression_built_to_make_sympy_work_for_ever_costs_only_its_item(tmp_path):
    """chain_rule returns a small tree that sympy would expand for hours;
    the grader compared it with simplify in its own process and never wrote a
    report. Now each comparison stops at its limit: the item fails, as its
    honest twin (a plainly wrong expression) does, and the rest of the module
    keeps its points."""
    source = (SOLUTIONS / "backprop.py").read_text()
    body = "    ### BEGIN SOLUTION\n"
    start = source.index("def chain_rule(")
    at = source.index(body, start) + len(body)
    blow_up = "    return sympy.Pow(sympy.Add(*[x**i for i in range(1, 30)]), 64, evaluate=False) - x\n"
    attacked, twin = tmp_path / "attacked", tmp_path / "twin"
    for folder, line in ((attacked, blow_up), (twin, "    return x\n")):
        folder.mkdir()
        (folder / "backprop.py").write_text(source[:at] + line + source[at:])
    started = time.monotonic()
    report = scores(grade(attacked))
    took = time.monotonic() - started
    honest = scores(grade(twin))
    assert took < 200, f"grading took {took:.0f} s"
    assert report["chain_rule"][0] <= honest["chain_rule"][0] < report["chain_rule"][1], (report, honest)
    for item in catalogue.items_of("backprop"):
        if item.id != "chain_rule":
            assert report[item.id][0] == report[item.id][1], (item.id, report[item.id])
