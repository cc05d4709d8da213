"""Student-controlled text in every report: cleaned, bounded, escaped (autograder/safe_text.py).

A submission controls its exception messages, the type names of what it
returns and, in a batch, its folder name. Each renderer is fuzzed with such
text: its output must stay valid and quote nothing that a terminal, a
browser, a spreadsheet or GitHub would obey.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.console import Console

from autograder import catalogue, safe_text
from autograder.bench import measure, views
from autograder.hosts import notebook_kernel
from autograder.hosts.batch import course
from autograder.hosts.batch import reports as batch_reports
from autograder.hosts.gradescope import locate, run
from autograder.paths import ROOT, SOLUTIONS
from autograder.report import annotations
from autograder.report.formats import (shown_devices, shown_failure, shown_status, to_gradescope, to_json, to_junit,
                                       to_markdown, to_table)
from autograder.report.model import Report, TestResult, score_item
from autograder.safe_text import (ELLIPSIS, MESSAGE_LIMIT, NAME_LIMIT, clean, csv_cell, markdown, markdown_code,
                                  terminal)
from support import GRADESCOPE_SCHEMA
from support.grading_support import grade
from support.junit_schema import problems


# What the hostile tester sent, and what each format must not obey.
HOSTILE = [
    "\x1b[31mred\x1b[0m", "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07", "\x1b[2J\x1b[H", "\x1bc",
    "\x9b31m", "\x1bP+q\x1b\\", "[/]", "[bold red]x[/bold red]", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "<h1>", "[link](https://evil.example)", "![i](https://evil.example/i.png)",
    "# heading", "| cell | break |", "`code`", "``", "**bold**", "~~struck~~", "$x^2$", ":smile:", "@user",
    "#1", "&lt;", "&#60;", "https://evil.example", "www.evil.example", "me@evil.example",
    '=HYPERLINK("https://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\t=x", "\r=x",
    "\udc80", "\ud800", "\x00\x07\x08\x0b\x0c\x7f", "\u202eevil", "\u2028\u2029\x85", "\ufffe\uffff",
    "\n::error::forged", "%0A::error::x", "x" * 10**6, "7 " * 500_000,
]
ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates and control characters too
hostile_text = st.lists(st.one_of(st.text(ANY_CHARACTER, max_size=40), st.sampled_from(HOSTILE)),
                        max_size=5).map("".join)
FUZZ = settings(deadline=None, max_examples=60)

# Messages our checks write (from a grading with the bank's mistakes): clean() keeps them as they are.
OUR_MESSAGES = [
    "dense_python of x 1 rows of 5, w 3 rows of 5, b 3 values: wrong values ( Mismatched elements: 3 / 3 "
    "(100.0%) Greatest absolute difference: 1.3468105043462857 at index (0, 1) (up to 1e-09 allowed))",
    "add_vector of m (3, 3) float32, c (3,) float32, along='rows': wrong values ( Mismatched elements: 6 / 9 "
    "(66.7%) Greatest absolute difference: 20.0 at index (0, 2) (up to 0.0001 allowed))",
    "forward_and_backward of inp, targ, w1, b1, w2, b2 (1, 3) float32, (1,) float32, (3, 4) float32, (4,) "
    "float32, (4, 1) float32, (1,) float32: w1.g: wrong values ( Mismatched elements: 6 / 12 (50.0%) Greatest "
    "absolute difference: 36.649139404296875 at index (2, 2) (up to 0.0001 allowed))",
    "add_vector on meta tensors ((2, 3) float32, (3,) float32, str) raised RuntimeError: Attempting to "
    "broadcast a dimension of length 3 at -2! Mismatching argument at index 1 had torch.Size([3, 1]); but "
    "expected shape should be broadcastable to [2, 3] (broadcasting.py:156: return m + c[:, None] if along "
    '== "rows" else m + c)',
    "matmul_loops of (1, 1) float64, (1, 1) float64: expected dtype torch.float64, got torch.float32",
    "speed-up 3804.9x over relu with a Python loop over rows",
    "matmul_broadcast should loop over the rows of a only (torch calls: 35 for bc=2, 305 for bc=20, 35 for ac=40)",
    "time_call should return the median over the rounds, which ignores one slow round: expected about "
    "0.0046 s per call (the mean would be 0.0435 s), got 0.0435 s",
    "train_with_my_relu(x (64, 3) float64, y (64,), nh=8, epochs=60): every loss should be a finite float, "
    "got [tensor(2.5573, dtype=torch.float64), tensor(1.0686, dtype=torch.float64), tensor(0.6772, "
    "dtype=torch.float64)]",
    "conv2d_unfold(x (2, 3, 6, 6) float32, weight (4, 3, 3, 3), bias (4,) float32, stride=1, padding=1) raised "
    "RuntimeError: shape '[2, 4, 4, 4]' is invalid for input of size 288 (research.py:40: return "
    "out.reshape(n, o, h_out, w_out))",
    "expected 3.0, got 2.5",
    "test_deep_stats_shallow_values[(3, 200, 0.07071067811865475, False)-0.9-1.1]",
]


# -- clean() -------------------------------------------------------------------------------


@pytest.mark.parametrize("message", OUR_MESSAGES)
def test_our_own_messages_pass_unchanged(message):
    assert clean(message) == message


@given(hostile_text, st.sampled_from([1, 2, 10, NAME_LIMIT, MESSAGE_LIMIT]))
@FUZZ
def test_clean_gives_one_short_printable_line(text, limit):
    out = clean(text, limit)
    assert len(out) <= limit
    assert out.isprintable() and out == out.strip() and "  " not in out
    assert not re.search(r"[0-9A-Za-z+/=]{41,}", out)  # no long dump of anything
    assert clean(out, limit) == out  # cleaning twice changes nothing: every layer may clean


@given(st.lists(st.from_regex(r"[a-z]{1,12}", fullmatch=True), min_size=1, max_size=20).map(" ".join))
def test_plain_words_are_kept_or_cut_at_a_word(words):
    out = clean(words, 40)
    assert out == words if len(words) <= 40 else (out.endswith(ELLIPSIS) and words.startswith(out[:-1]))


class Hostile(str):
    """A str whose own methods all refuse."""

    def __str__(self):
        raise RuntimeError("no")

    def strip(self, *args):
        raise RuntimeError("no")

    def __len__(self):
        raise RuntimeError("no")


class Unprintable:
    def __str__(self):
        raise RuntimeError("no")


class FakeStr:
    __class__ = property(lambda self: str)  # isinstance(FakeStr(), str) is True


@pytest.mark.parametrize("value, expected", [
    (Hostile("a  message\n"), "a message"),
    (b"bytes \xff\xfe ok", "bytes \ufffd\ufffd ok"),
    (None, ""),
    (12.5, "12.5"),
    (Unprintable(), "(a value that could not be shown)"),
    (10**5000, "(a value that could not be shown)"),  # int's str() refuses over 4300 digits
], ids=["hostile-str", "bytes", "none", "float", "unprintable", "huge-int"])
def test_any_value_becomes_a_str(value, expected):
    assert clean(value) == expected and type(clean(value)) is str


def test_a_fake_str_is_not_trusted():
    assert isinstance(FakeStr(), str)
    assert type(clean(FakeStr())) is str


@pytest.mark.parametrize("text, expected", [
    ("\x1b[31mred\x1b[0m text", "red text"),
    ("go \x1b]8;;https://evil.example\x07here\x1b]8;;\x07 now", "go here now"),
    ("\x1b]0;a title\x1b\\title set", "title set"),
    ("reset\x1bc", "reset"),
    ("\x9b2Jcleared", "cleared"),
    ("\x1bP+q44\x1b\\done", "done"),
    ("bell\x07 back\x08space", "bell backspace"),
    ("lone \udc80 surrogate", "lone \ufffd surrogate"),
    ("tab\tnew\nline\r\u2028sep", "tab new line sep"),
    ("\u202eright-to-left", "right-to-left"),
    ("zero\u200bwidth", "zerowidth"),
])
def test_escapes_and_control_characters_are_dropped(text, expected):
    assert clean(text) == expected


def test_a_hex_dump_of_the_inputs_is_cut_to_a_few_characters():
    dump = bytes(range(256)).hex() * 4  # 2048 hex digits, as a message could carry
    out = clean(f"ValueError: {dump} (matmul.py:3)")
    assert out == f"ValueError: {dump[:safe_text.KEPT_OF_TOKEN]}{ELLIPSIS} (matmul.py:3)"


def test_hex_words_count_as_numbers_in_a_run():
    words = " ".join(struct.pack("<f", v).hex() for v in (0.2, -0.75, 3.1, 0.4, -1.6, 2.2, 0.05, -0.9, 1.7, 4.4))
    assert words.split()[0][0].isalpha()  # the case a digits-only rule misses: cdcc4c3e
    cleaned = safe_text.clean(f"got {words} back")
    assert len(re.findall(r"[0-9a-f]{8}", cleaned)) <= safe_text.KEPT_NUMBERS, cleaned


def test_a_long_run_of_numbers_keeps_its_first_few():
    values = ", ".join(f"{0.1 * i:.4f}" for i in range(200))
    assert clean(f"got tensor([{values}])") == f"got tensor([0.0000, 0.1000, 0.2000 {ELLIPSIS}])"
    assert clean("a (2, 3, 4, 5, 6) shape and (1, 2, 3) more") == "a (2, 3, 4, 5, 6) shape and (1, 2, 3) more"


def test_a_long_text_is_cut_at_a_word_with_an_ellipsis():
    out = clean("word " * 200, 50)
    assert out == "word " * 9 + "word" + ELLIPSIS and len(out) <= 50
    assert clean("x" * 10**7, 300) == "x" * safe_text.KEPT_OF_TOKEN + ELLIPSIS  # fast, and short


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError):
        clean("x", 0)


# -- the escapers --------------------------------------------------------------------------


def test_markdown_escapes_every_tag_link_and_cell_break():
    text = markdown('<img src=x> [a](https://e.x) `c` | **b** www.e.x me@e.x & #1')
    assert text == (r"&lt;img src=x&gt; \[a\](https\://e.x) \`c\` \| \*\*b\*\* www\.e.x me\@e.x &amp; \#1")


def test_csv_cells_never_start_a_formula():
    assert [csv_cell(t) for t in ('=HYPERLINK("x")', "+1", "-1", "@A1", "\t=1", " =1", "alice")] == [
        "'=HYPERLINK(\"x\")", "'+1", "'-1", "'@A1", "'=1", "'=1", "alice"]


def test_terminal_text_is_never_markup():
    console = Console(file=io.StringIO(), width=80)
    console.print(terminal("[/] [bold]x[/bold] \x1b[31m"))
    assert console.file.getvalue() == "[/] [bold]x[/bold]\n"


# -- every renderer, fuzzed ----------------------------------------------------------------


def raw_report(text: str) -> Report:
    """Three items whose student-controlled fields hold `text` as it is,
    set after the model cleaned them: each renderer must cope on its own."""
    items = []
    for number, item in enumerate(catalogue.load()[:3]):
        result = score_item(item, [TestResult("test_a", False, "x"), TestResult("test_b", True)])
        result.tests[0].name = result.tests[0].message = text
        result.devices = [text, "cpu"]
        if number == 2:  # an unknown item, as a hand-made report file could hold
            result.id = result.status = text
        items.append(result)
    return Report(items)


def rendered_html(text: str) -> str:
    """GitHub-flavoured Markdown, as far as markdown-it renders it (raw HTML passes through)."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


def cell_texts(rendered: str) -> list[list[str]]:
    """The text a reader sees in each cell of each row of the rendered table."""
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, re.DOTALL)
    return [[html.unescape(re.sub(r"<[^>]*>", "", cell)) for cell in re.findall(r"<t[hd]>(.*?)</t[hd]>", row)]
            for row in rows]


@given(hostile_text)
@FUZZ
def test_markdown_shows_exactly_the_cleaned_text(text):
    report = raw_report(text)
    out = to_markdown(report)
    out.encode("utf-8")  # a lone surrogate would stop the summary from being written
    assert "<" not in out
    outside_code = re.sub(r"`[\w.-]+`", "", out)  # an id in a code span is never a link
    assert not re.search(r"\w://|www\.|\w@\w", outside_code, re.IGNORECASE)  # no bare link
    rendered = rendered_html(out)
    # Each cell reads as the cleaned text, character for character: nothing in
    # it became markup (a tag, emphasis, a link, a code span, another cell).
    assert cell_texts(rendered)[1:] == [
        [clean(item.id, NAME_LIMIT), f"{item.score:g}/{item.max_score:g}", clean(shown_status(item), NAME_LIMIT),
         clean(shown_failure(item), 200), clean(shown_devices(item), NAME_LIMIT)] for item in report.items]
    assert rendered.count("<code>") == sum(markdown_code(item.id).startswith("`") for item in report.items)
    assert len(re.findall(r"<h[1-6]", rendered)) == 1  # the points


@given(hostile_text)
@FUZZ
def test_junit_stays_valid_xml_of_the_schema(text):
    out = to_junit(raw_report(text))
    out.encode("utf-8")
    assert problems(out) == []
    failures = [f.get("message") for f in ET.fromstring(out).iter("failure")]
    assert all(len(m) <= MESSAGE_LIMIT for m in failures)


@given(hostile_text)
@FUZZ
def test_json_and_gradescope_stay_valid(text):
    report = raw_report(text)
    to_json(report).encode("utf-8")
    data = json.loads(to_json(report))
    assert Report.from_dict(data).to_dict()["items"][0]["tests"][0]["message"] == clean(text)
    gradescope = to_gradescope(report)
    gradescope.encode("utf-8")
    results = json.loads(gradescope)
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert all("\x1b" not in t["output"] and len(t["output"]) < 2 * MESSAGE_LIMIT + 1000 for t in results["tests"])


@given(hostile_text)
@FUZZ
def test_the_terminal_table_renders_plain_text(text):
    console = Console(file=io.StringIO(), width=160)
    to_table(raw_report(text), console)
    out = console.file.getvalue()
    assert "\x1b" not in out and not re.search("[\ud800-\udfff]", out)


@given(hostile_text)
@FUZZ
def test_annotations_stay_one_workflow_command_each(text):
    for item in raw_report(text).items:
        command = annotations.error_command(item, "exercises")
        assert command.startswith("::error ") and command.isprintable()  # no CR, LF or escape


@given(hostile_text)
@FUZZ
def test_notebook_feedback_and_batch_lines_are_printable(text):
    item = raw_report(text).items[2]
    lines = notebook_kernel.summary(item, "a hint").splitlines()
    assert all(line.isprintable() for line in lines) and len(lines) == 3
    report = {"batch": {"student": text, "status": "error", "error": text, "seconds": 1.0}}
    assert course.log_line(report).isprintable()


@given(hostile_text, hostile_text)
@FUZZ
def test_grades_csv_round_trips_and_runs_no_formula(name, error):
    graded = {"batch": {"status": "graded", "error": ""}, "score": 1.0, "max_score": 90.0,
              "items": [{"id": i.id, "score": 0.5} for i in catalogue.load()]}
    failed = {"batch": {"status": "error", "error": error}}
    text = batch_reports.csv_text([batch_reports.row(name, graded), batch_reports.row(name, failed),
                                   batch_reports.row(name, None)])
    text.encode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 3 and rows[0]["score"] == "1" and rows[0][catalogue.load()[0].id] == "0.5"
    cells = [cell for row in rows for cell in row.values()]
    assert not any(cell.startswith(safe_text.FORMULA_STARTS) for cell in cells)


def test_gradescope_names_a_hostile_upload_folder_cleaned(tmp_path):
    folder = tmp_path / "\x1b[31mred\udce9 \n<b>"  # \udce9: a byte that is not UTF-8
    folder.mkdir()
    (folder / "neurons.py").write_text("")
    note = run.note_for(locate.work_in(tmp_path), tmp_path)
    assert note == "Graded the modules in red\ufffd <b>/ of your upload."


@given(hostile_text)
@FUZZ
def test_the_bench_table_renders_plain_text(text):
    failed = measure.Measurement("error", detail=text)
    ladder = measure.Bench([measure.Row(measure.Size.parse("2x40x3"), "matmul_loops", failed, failed)],
                         "cpu", 1.0, 1, "exercises", student_note=text)
    console = Console(file=io.StringIO(), width=160)
    views.to_table(ladder, console)
    assert "\x1b" not in console.file.getvalue()


# -- bounded in the model ------------------------------------------------------------------


@given(hostile_text)
@FUZZ
def test_the_result_model_bounds_every_name_and_message(text):
    item = catalogue.load()[0]
    result = score_item(item, [TestResult(text, False, text)] * 3)
    result = type(result)(text, result.score, result.max_score, text, result.tests, [text] * 3)
    data = Report([result]).to_dict()["items"][0]
    assert len(data["id"]) <= NAME_LIMIT and len(data["status"]) <= NAME_LIMIT
    assert all(len(d) <= NAME_LIMIT for d in data["devices"])
    assert all(len(t["name"]) <= NAME_LIMIT and len(t["message"]) <= MESSAGE_LIMIT for t in data["tests"])


# -- end to end ----------------------------------------------------------------------------

HOSTILE_MESSAGE = ('"\\x1b[31m[/] <img src=x> \\udc80 =HYPERLINK(\\"x\\") " + x.numpy().tobytes().hex() * 40'
                   ' + " \\x1b]8;;https://x\\x07link\\x1b]8;;\\x07"')


def test_a_hostile_submission_gets_a_small_clean_report(tmp_path):
    """relu raises with a hostile message that dumps its input; dense returns
    an object whose class name has a million characters."""
    source = (SOLUTIONS / "neurons.py").read_text()
    for old, new in (("    return x.clamp_min(0.0)", f"    raise ValueError({HOSTILE_MESSAGE})"),
                     ("    return x @ w.t() + b", '    return type("X" * 10**6, (), {})()')):
        assert source.count(old) == 1
        source = source.replace(old, new)
    (tmp_path / "neurons.py").write_text(source)

    data = grade(tmp_path)  # asserts the grader exited 0

    assert len(json.dumps(data, indent=2)) < 200_000
    messages = {i["id"]: [t["message"] for t in i["tests"] if not t["passed"]] for i in data["items"]}
    raised = [m for m in messages["relu"] if "raised ValueError" in m]
    assert raised and messages["dense"]
    for message in raised + messages["dense"]:
        assert message == clean(message) and len(message) <= MESSAGE_LIMIT
        assert not re.search("[0-9a-f]{40}|X{40}", message)  # neither the inputs nor the name in full
    assert "[/] <img src=x> \ufffd =HYPERLINK" in raised[0]

    report = Report.from_dict(data)
    assert "<" not in to_markdown(report) and "<img" not in rendered_html(to_markdown(report))
    assert problems(to_junit(report)) == []
    jsonschema.validate(json.loads(to_gradescope(report)), GRADESCOPE_SCHEMA)
    console = Console(file=io.StringIO(), width=160)
    to_table(report, console)
    assert "[/] <img src=x>" in console.file.getvalue()


def test_a_batch_neutralises_a_formula_in_a_folder_name(tmp_path):
    """Students whose submissions cannot be read cost no grading: the CSV and
    the log still name them, safely."""
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name in ('=HYPERLINK("x")', "\x1b[31mred", "caf\udce9"):  # the last: a name that is not UTF-8
        try:
            (submissions / f"{name}.ipynb").symlink_to(submissions / "deleted.ipynb")
        except (OSError, UnicodeEncodeError):
            pytest.skip(f"this file system refuses the name {name!r}")

    done = subprocess.run([sys.executable, "-m", "autograder", "batch", str(submissions), "--out",
                           str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-3000:]
    assert "\x1b" not in done.stdout and '=HYPERLINK("x")' in done.stdout
    with open(tmp_path / "out" / batch_reports.CSV_NAME, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["student"] for r in rows) == ["'=HYPERLINK(\"x\")", "caf\ufffd", "red"]
    assert all(r["status"] == "error" and "cannot read the submission" in r["error"] for r in rows)


# -- what a student reads ----------------------------------------------------------------


def student_report() -> Report:
    neuron, relu, dense = catalogue.load()[:3]
    stub = "neuron of 1 inputs raised NotImplementedError: neuron: not implemented yet"
    items = [score_item(neuron, [TestResult("a", False, stub), TestResult("b", False, stub)]),
             score_item(relu, [TestResult("a", True)] * 6 + [TestResult("b", False, "wrong values")]),
             score_item(dense, [TestResult("a", True)])]
    items[2].devices = ["cpu", "cuda (simulated)", "meta"]
    return Report(items)


def test_students_read_not_started_rounded_points_and_no_jargon():
    report = student_report()
    out = to_markdown(report)
    assert "| `neuron` | 0/2 | not started | still the stub (NotImplementedError) |" in out
    assert "| `relu` | 1.71/2 | partial |" in out  # 12/7, not 1.71429
    assert "CPU, GPU (simulated)" in out and "a device with no data that behaves like a GPU" in out
    assert "meta" not in out and "cuda" not in out
    assert json.loads(to_json(report))["items"][0]["status"] == "failed"  # SPEC's status stays


def test_the_table_fits_a_hundred_columns():
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    to_table(student_report(), console)
    lines = console.file.getvalue().splitlines()
    assert lines and max(len(line) for line in lines) <= 100
    assert any("not started" in line for line in lines)
