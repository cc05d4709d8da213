"""The similarity report: copied code scores high, independent code low, the
stubs nothing; broken and hostile submissions are notes and escaped text."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import module_parts
from autograder.hosts.batch import similarity
from autograder.paths import EXERCISES, ROOT, SOLUTIONS

# neurons.py written again from its stub, by someone who never saw the
# reference: other checks, other loops, other library calls.
REWRITE = [
    "    total = float(bias)\n"
    "    if len(weights) - len(inputs):\n"
    "        raise ValueError('%d weights for %d inputs' % (len(weights), len(inputs)))\n"
    "    for i in range(len(inputs)):\n"
    "        total = total + inputs[i] * weights[i]\n"
    "    return total",
    "    if x < 0:\n        return 0.0\n    return x",
    "    return torch.where(x < 0, torch.zeros_like(x), x)",
    "    out = torch.matmul(x, w.T)\n    out += b\n    return out",
    "    out = []\n"
    "    for row in x:\n"
    "        line = []\n"
    "        for k in range(len(w)):\n"
    "            acc = b[k]\n"
    "            for j in range(len(row)):\n"
    "                acc += row[j] * w[k][j]\n"
    "            line.append(acc)\n"
    "        out.append(line)\n"
    "    return out",
    "    if len(m.shape) != 2:\n"
    "        raise ValueError('need a matrix, not %d dimensions, shape %s' % (len(m.shape), m.shape))\n"
    "    r, c = m.size()\n"
    "    return torch.as_strided(m, size=(c, r), stride=(m.stride()[1], m.stride()[0]),\n"
    "                            storage_offset=m.storage_offset())",
]


def notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    """A notebook in nbformat 4 with (grade_id, source) code cells."""
    made = [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": grade_id, "solution": True}},
             "source": source, "outputs": [], "execution_count": None} for grade_id, source in cells]
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": made}))
    return path


def rewritten_neurons() -> str:
    stub = (EXERCISES / "neurons.py").read_text().splitlines()
    bodies = iter(REWRITE)
    lines = [next(bodies) if line.strip().startswith("raise NotImplementedError") else line for line in stub]
    assert next(bodies, None) is None
    return "\n".join(lines) + "\n"


def copied(source: str) -> str:
    """The same code under other names, without its comments, spaced otherwise."""
    for old, new in (("inputs", "xs"), ("weights", "ws"), ("bias", "offset"), ("rows", "n_rows"),
                     ("cols", "n_cols"), ("row", "r")):
        source = re.sub(rf"\b{old}\b", new, source)
    source = re.sub(r"  # .*", "", source)
    return source.replace("\n\n\n", "\n\n\n\n")


def student(base: Path, name: str, files: dict[str, str | Path]) -> Path:
    folder = base / name
    folder.mkdir(parents=True)
    for file, content in files.items():
        if isinstance(content, Path):
            shutil.copy(content, folder / file)
        else:
            (folder / file).write_text(content)
    return folder


def report(students: list[tuple[str, Path]], out: Path, **options):
    csv_path, html_path = similarity.write_report(students, out, **options)
    assert (csv_path, html_path) == (out / "similarity.csv", out / "similarity.html")
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == similarity.HEADER
    return rows[1:], html_path.read_text(encoding="utf-8")


def find(rows, a, b, module, item=""):
    found = [row for row in rows if row[:4] == [a, b, module, item]]
    return (float(found[0][4]), float(found[0][5]), int(found[0][6])) if found else None


def test_a_copied_pair_scores_high_and_an_independent_pair_low(tmp_path):
    reference = (SOLUTIONS / "neurons.py").read_text()
    students = [(name, student(tmp_path / "subs", name, {"neurons.py": code}))
                for name, code in (("alice", reference), ("bob", copied(reference)),
                                   ("carol", rewritten_neurons()))]
    rows, page = report(students, tmp_path / "out")
    copy_a, copy_b, copy_tokens = find(rows, "alice", "bob", "neurons")
    assert copy_a >= 0.9 and copy_b >= 0.9 and copy_tokens > 200
    assert find(rows, "alice", "bob", "neurons", "dense_python")[0] >= 0.9  # item by item too
    independent = find(rows, "alice", "carol", "neurons")
    assert independent is None or max(independent[:2]) < 0.35
    # most similar first
    scores = [max(float(row[4]), float(row[5])) for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert rows[0][:2] == ["alice", "bob"]
    assert "<mark>" in page and 'id="c1"' in page


def test_the_stubs_alone_have_nothing_in_common(tmp_path):
    files = {f"{module}.py": EXERCISES / f"{module}.py" for module in ("neurons", "matmul", "loss")}
    students = [(name, student(tmp_path / "subs", name, files)) for name in ("alice", "bob", "carol")]
    rows, page = report(students, tmp_path / "out")
    assert rows == []
    assert "No two submissions have code in common beyond the stubs." in page
    # without the stubs as boilerplate, the same three would look copied
    (tmp_path / "none").mkdir()
    rows, _ = report(students, tmp_path / "out2", boilerplate=tmp_path / "none")
    assert find(rows, "alice", "bob", "neurons")[:2] == (1.0, 1.0)


def test_the_reference_and_a_stub_have_nothing_in_common(tmp_path):
    students = [("alice", student(tmp_path, "alice", {"neurons.py": SOLUTIONS / "neurons.py"})),
                ("bob", student(tmp_path, "bob", {"neurons.py": EXERCISES / "neurons.py"}))]
    rows, page = report(students, tmp_path / "out")
    assert rows == []
    assert "bob: no module code to compare" not in page  # the stub is code, all of it given


def test_hostile_names_and_code_are_escaped(tmp_path):
    code = (SOLUTIONS / "neurons.py").read_text().replace(
        "    return x.clamp_min(0.0)",
        '    note = "</pre><script>alert(2)</script><img src=x onerror=alert(3)>"\n'
        "    return x.clamp_min(0.0)")
    names = ["<script>alert(1)</script>", '=HYPERLINK("evil")', "\x1b[31mred"]
    students = [(name, student(tmp_path / "subs", name, {"neurons.py": code})) for name in names]
    rows, page = report(students, tmp_path / "out")
    assert rows
    assert not re.search(r"<script|<img|\x1b", page, re.IGNORECASE)
    tags = set(re.findall(r"<\s*/?\s*([^\s>/]+)", page))
    assert tags == {"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p",
                    "table", "thead", "tbody", "tr", "th", "td", "a", "section", "div", "pre", "mark",
                    "code"}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(2)" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    cells = {cell for row in rows for cell in row[:2]}
    assert cells == {"<script>alert(1)</script>", "'=HYPERLINK(\"evil\")", "red"}
    text = (tmp_path / "out" / "similarity.csv").read_text()
    assert "\x1b" not in text and "\n=" not in text and ",=" not in text


def test_broken_files_are_notes_and_never_block(tmp_path, no_hang):
    subs = tmp_path / "subs"
    reference = {f"{module}.py": SOLUTIONS / f"{module}.py"
                 for module in ("neurons", "matmul", "einsum", "loss", "broadcasting")}
    erin = student(subs, "erin", reference)
    dave = student(subs, "dave", {})
    (dave / "neurons.py").symlink_to(SOLUTIONS / "neurons.py")
    os.mkfifo(dave / "matmul.py")
    with open(dave / "loss.py", "wb") as f:
        f.truncate(similarity.COMPARE_LIMIT + 1)
    (dave / "einsum.py").write_bytes((SOLUTIONS / "einsum.py").read_bytes().replace(
        b"import torch\n", b"import torch  # \xff\xfe caf\xe9\n", 1))
    (dave / "broadcasting.py").write_text((SOLUTIONS / "broadcasting.py").read_text() + "\ndef broken(:\n")
    (subs / "ghost").symlink_to(erin)
    students = [("erin", erin), ("dave", dave), ("ghost", subs / "ghost"),
                ("nobody", subs / "nobody"), ("fifo.ipynb", subs / "fifo.ipynb")]
    os.mkfifo(subs / "fifo.ipynb")
    rows, page = report(students, tmp_path / "out")
    for note in ("dave/neurons.py: not compared (a symbolic link)",
                 "dave/matmul.py: not compared (a FIFO (named pipe))",
                 f"dave/loss.py: not compared ({similarity.COMPARE_LIMIT + 1:,} bytes, over the limit of "
                 f"{similarity.COMPARE_LIMIT:,} bytes)",
                 "dave/einsum.py is not UTF-8 text; its undecodable bytes were replaced",
                 "dave/broadcasting.py does not parse as Python: compared as a whole module only",
                 "ghost: not compared (a symbolic link)",
                 "nobody: not compared (No such file or directory)",
                 "fifo.ipynb: not compared (a FIFO (named pipe))"):
        assert f"<li class=\"note\">{note}</li>" in page, note
    assert find(rows, "dave", "erin", "einsum")[0] >= 0.95  # compared all the same
    assert find(rows, "dave", "erin", "broadcasting")[1] >= 0.95
    assert find(rows, "dave", "erin", "broadcasting", "broadcast_shape") is None
    assert {row[2] for row in rows} == {"einsum", "broadcasting"}


@pytest.mark.parametrize("count", [0, 1])
def test_fewer_than_two_students_is_an_empty_report_with_a_note(tmp_path, count):
    students = [("alice", student(tmp_path, "alice", {"neurons.py": SOLUTIONS / "neurons.py"}))][:count]
    rows, page = report(students, tmp_path / "out")
    assert rows == []
    assert "fewer than two students with code to compare: nothing was compared" in page


def test_a_notebook_is_compared_by_its_answer_cells(tmp_path):
    answers = module_parts.split((SOLUTIONS / "neurons.py").read_text(), "neurons").answers
    path = notebook(tmp_path / "bob.ipynb", [("neurons_setup", "import socket")]
                    + [(item, code) for item, code in answers.items()])
    alice = student(tmp_path, "alice", {"neurons.py": SOLUTIONS / "neurons.py"})
    rows, _ = report([("bob", path), ("alice", alice)], tmp_path / "out")
    assert min(find(rows, "alice", "bob", "neurons")[:2]) >= 0.9
    assert find(rows, "alice", "bob", "neurons", "transpose")[:2] == (1.0, 1.0)


def test_the_report_does_not_depend_on_the_hash_seed(tmp_path):
    reference = (SOLUTIONS / "neurons.py").read_text()
    for name, code in (("alice", reference), ("bob", copied(reference)), ("carol", rewritten_neurons())):
        student(tmp_path / "subs", name, {"neurons.py": code, "matmul.py": SOLUTIONS / "matmul.py"})
    script = ("import sys; from pathlib import Path; from autograder.hosts.batch import similarity as s\n"
              "subs = Path(sys.argv[1]); s.write_report([(p.name, p) for p in subs.iterdir()], Path(sys.argv[2]))")
    made = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        subprocess.run([sys.executable, "-c", script, str(tmp_path / "subs"), str(out)], cwd=ROOT,
                       env={**os.environ, "PYTHONHASHSEED": seed}, check=True, timeout=300)
        made.append(((out / "similarity.csv").read_bytes(), (out / "similarity.html").read_bytes()))
    assert made[0] == made[1]
    assert len(list(csv.reader(io.StringIO(made[0][0].decode())))) > 3
