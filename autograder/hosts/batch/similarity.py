"""Similarity between students' submissions, for the instructor's eyes only.

`write_report(students, out)` compares every pair of students, module by
module and item by item, with copydetect's fingerprints (winnowing over the
token stream, names replaced by placeholders, comments and white space
dropped), and writes

- `out/similarity.csv`: one row per pair and module (item empty) or item
  whose code overlaps, most similar first; and
- `out/similarity.html`: the same rows in a table, then the most similar
  comparisons side by side with the overlapping code highlighted.

What every student was given does not count: the stubs of `exercises/`
(signatures, docstrings, `raise NotImplementedError`) are boilerplate, whose
fingerprints are removed before comparing, so two untouched stubs overlap in
nothing. Every k-gram is a fingerprint (window 1), so the result does not
depend on Python's hash seed: the same submissions always give the same
report.

A similarity is a share of one side's code: `similarity_a_to_b` is the part
of a's tokens (after removing boilerplate) that b's code has too, and the
other way round; `matched_tokens` counts a's tokens in matches. A match is
at least `NOISE` characters of filtered code; a row needs some match and a
similarity of at least `MIN_SIMILARITY` on one side (there is no other
threshold: deciding what is too similar is the instructor's call).

Files are read through `submission_files.read_regular` (no links, FIFOs or
devices; at most `COMPARE_LIMIT` bytes a module file); notebooks' answer
cells (grade ids are item ids) with the grader's notebook limit, a module's
cells joined in course order. Bytes that are not UTF-8 are replaced. What
cannot be read or compared becomes a note at the top of the HTML page, and
never stops the report. Student names and code are text the students
control: every CSV cell goes through `safe_text.csv_cell`, and the HTML page
escapes all of it, holds no script and forbids any (its Content Security
Policy allows inline styles only), so opening it runs nothing of a
submission. Flags and similarity never change a score.
"""

from __future__ import annotations

import csv
import html
import io
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from autograder import catalogue
from autograder.course import module_parts
from autograder.grading import from_notebooks, submission_files
from autograder.grading.submission_files import MODULE_LIMIT, SubmissionFileError
from autograder.hosts.batch import integrity, reports
from autograder.paths import EXERCISES
from autograder.safe_text import MESSAGE_LIMIT, NAME_LIMIT, clean, csv_cell

CSV_NAME = "similarity.csv"
HTML_NAME = "similarity.html"
HEADER = ("student_a", "student_b", "module", "item",
          "similarity_a_to_b", "similarity_b_to_a", "matched_tokens")

NOISE = 25  # characters of filtered code a match needs at least (copydetect's default)
MIN_SIMILARITY = 0.01  # a row needs this share of one side's code in matches
COMPARE_LIMIT = MODULE_LIMIT // 4  # bytes of a module file or answer cell that is compared
MAX_TABLE = 500  # rows in the HTML table (the CSV has them all)
MAX_SHOWN = 40  # comparisons shown side by side
MAX_NOTES = 200
CONTEXT = 6  # lines of code kept around a highlighted part


@dataclass(frozen=True)
class Part:
    """One student's code of one module (item '') or one item."""

    code: str
    fingerprint: object  # copydetect.CodeFingerprint


@dataclass
class Student:
    name: str
    parts: dict[tuple[str, str], Part] = field(default_factory=dict)  # (module, item) -> code


@dataclass(frozen=True)
class Row:
    student_a: str
    student_b: str
    module: str
    item: str  # '' for the whole module
    similarity_a: float
    similarity_b: float
    tokens: int
    slices: tuple  # copydetect's (slices of a, slices of b)
    pair: tuple[int, int]  # the two students' places in Comparison.students

    @property
    def score(self) -> float:
        return max(self.similarity_a, self.similarity_b)


@dataclass
class Comparison:
    students: list[Student]
    rows: list[Row]
    notes: list[str]


# -- reading -------------------------------------------------------------------------------


def _decode(data: bytes, where: str, notes: list[str]) -> str:
    """Text to compare: UTF-8 (undecodable bytes replaced, with a note), one
    kind of line end, and every other unprintable character as U+FFFD (one
    character for one, so copydetect's offsets stay right)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        notes.append(f"{where} is not UTF-8 text; its undecodable bytes were replaced")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isprintable():
        text = "".join(char if char.isprintable() or char in "\n\t" else "\ufffd" for char in text)
    return text


def _module_sources(folder: Path, who: str, notes: list[str]) -> dict[str, str]:
    """module -> text of each module file of a folder that could be read."""
    sources = {}
    for name, data in integrity.module_files(folder, COMPARE_LIMIT):
        if isinstance(data, Exception):
            notes.append(f"{who}{'/' + name if name else ''}: not compared ({integrity.short_reason(data)})")
        else:
            sources[name.removesuffix(".py")] = _decode(data, f"{who}/{name}", notes)
    return sources


def _notebook_cells(path: Path, who: str, notes: list[str]) -> dict[str, str]:
    """item id -> text of each answer cell of a student's notebooks (the last
    cell of an id counts, as in grading)."""
    cells: dict[str, str] = {}
    for notebook in from_notebooks.notebooks_in(path):
        where = f"{who}/{notebook.name}" if notebook != path else who
        found, problem = integrity.answer_cells(notebook)
        if problem:
            notes.append(f"{where}: not compared ({problem})")
            continue
        if not found:
            notes.append(f"{where}: no answer cells to compare")
        for item_id, source in found:
            if source is None:
                notes.append(f"{where}, cell {item_id}: not compared (its source is not text)")
            elif len(source.encode("utf-8", "surrogatepass")) > COMPARE_LIMIT:
                notes.append(f"{where}, cell {item_id}: not compared (over {COMPARE_LIMIT:,} bytes)")
            else:
                cells[item_id] = _decode(source.encode("utf-8", "replace"), f"{where}, cell {item_id}",
                                         notes)
    return cells


def _items_of(source: str, module: str, who: str, notes: list[str]) -> dict[str, str]:
    """item id -> code of its functions and classes in a module file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return module_parts.split(source, module).answers
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        notes.append(f"{who}/{module}.py does not parse as Python: compared as a whole module only")
        return {}


def read_student(name: str, path: Path, notes: list[str], boilerplate: frozenset) -> Student:
    """A student's code, module by module and item by item, fingerprinted."""
    who = clean(name, NAME_LIMIT)
    student = Student(name)
    path = Path(path)
    try:
        info = os.lstat(path)
    except OSError as exc:
        notes.append(f"{who}: not compared ({integrity.short_reason(exc)})")
        return student
    texts: dict[tuple[str, str], str] = {}
    if stat.S_ISLNK(info.st_mode):
        notes.append(f"{who}: not compared (a symbolic link)")
        return student
    if stat.S_ISDIR(info.st_mode) and not from_notebooks.is_notebook_submission(path):
        for module, source in _module_sources(path, who, notes).items():
            texts[(module, "")] = source
            for item_id, code in _items_of(source, module, who, notes).items():
                texts[(module, item_id)] = code
    elif stat.S_ISDIR(info.st_mode) or path.suffix == ".ipynb":
        cells = _notebook_cells(path, who, notes)
        for module in catalogue.modules():
            mine = [(item.id, cells[item.id]) for item in catalogue.items_of(module) if item.id in cells]
            if mine:
                texts[(module, "")] = "\n\n\n".join(code.rstrip("\n") for _, code in mine) + "\n"
                texts.update(((module, item_id), code) for item_id, code in mine)
    else:
        notes.append(f"{who}: not compared ({submission_files.kind(info.st_mode)}, "
                     "not a folder or a notebook)")
        return student
    for key, text in texts.items():
        if text.strip():
            student.parts[key] = Part(text, fingerprint(text, boilerplate))
    if not any(item == "" for _, item in student.parts):
        notes.append(f"{who}: no module code to compare")
    return student


# -- fingerprints ----------------------------------------------------------------------------


def fingerprint(code: str, boilerplate: frozenset = frozenset()):
    """copydetect's fingerprint of Python code, every k-gram kept (window 1),
    without the k-grams of `boilerplate` (a set of fingerprint hashes)."""
    from copydetect import CodeFingerprint  # imported here: it pulls in matplotlib
    from copydetect.utils import get_token_coverage

    found = CodeFingerprint("code.py", NOISE, 1, fp=io.StringIO(code), language="python")
    if boilerplate:
        # Removed here rather than by CodeFingerprint's own `boilerplate`,
        # whose np.intersect1d(assume_unique=True) also drops a k-gram that
        # merely occurs twice in the student's code.
        found.hashes = {value for value in found.hashes if value not in boilerplate}
        found.hash_idx = {value: places for value, places in found.hash_idx.items()
                          if value not in boilerplate}
        found.token_coverage = get_token_coverage(found.hash_idx, NOISE, len(found.filtered_code))
    return found


def boilerplate_hashes(folder: Path = EXERCISES) -> frozenset:
    """The fingerprints of every stub module in `folder` (the code given to all)."""
    hashes: set = set()
    for module in catalogue.modules():
        try:
            data = submission_files.read_regular(Path(folder) / f"{module}.py", limit=MODULE_LIMIT)
        except (FileNotFoundError, SubmissionFileError, OSError):
            continue
        hashes |= fingerprint(_decode(data, module, [])).hashes
    return frozenset(hashes)


# -- comparing -----------------------------------------------------------------------------


def compare(students: list[tuple[str, Path]], *, boilerplate: Path = EXERCISES) -> Comparison:
    """Every pair of students, per module and per item: the rows with an
    overlap, most similar first, and notes on what could not be compared."""
    from copydetect import compare_files

    notes: list[str] = []
    given = boilerplate_hashes(boilerplate)
    if not given:
        notes.append("no stubs were found to remove as boilerplate: code every student was given "
                     "counts as code in common")
    ordered = sorted(students, key=lambda pair: (str(pair[0]), str(pair[1])))
    read = [read_student(str(name), path, notes, given) for name, path in ordered]
    if sum(1 for student in read if student.parts) < 2:
        notes.append("fewer than two students with code to compare: nothing was compared")
    items = {item.id: index for index, item in enumerate(catalogue.load())}
    modules = {module: index for index, module in enumerate(catalogue.modules())}
    rows = []
    for first, a in enumerate(read):
        for second in range(first + 1, len(read)):
            b = read[second]
            for key in sorted(a.parts.keys() & b.parts.keys(),
                              key=lambda k: (modules.get(k[0], 0), items.get(k[1], -1))):
                tokens, (share_a, share_b), slices = compare_files(a.parts[key].fingerprint,
                                                                   b.parts[key].fingerprint)
                share_a, share_b = round(float(share_a), 4), round(float(share_b), 4)
                if int(tokens) > 0 and max(share_a, share_b) >= MIN_SIMILARITY:
                    rows.append(Row(a.name, b.name, key[0], key[1], share_a, share_b, int(tokens),
                                    slices, (first, second)))
    rows.sort(key=lambda row: (-row.score, -row.tokens, row.student_a, row.student_b,
                               modules.get(row.module, 0), items.get(row.item, -1)))
    return Comparison(read, rows, notes)


# -- writing -------------------------------------------------------------------------------


def write_report(students: list[tuple[str, Path]], out: Path, *,
                 boilerplate: Path = EXERCISES) -> tuple[Path, Path]:
    """Compare the students ((name, submission) pairs) and write
    `out/similarity.csv` and `out/similarity.html`; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = compare(students, boilerplate=boilerplate)
    csv_path, html_path = out / CSV_NAME, out / HTML_NAME
    reports.write_atomically(csv_path, to_csv(result.rows))
    reports.write_atomically(html_path, to_html(result))
    return csv_path, html_path


def to_csv(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([csv_cell(row.student_a, NAME_LIMIT), csv_cell(row.student_b, NAME_LIMIT),
                         row.module, row.item, f"{row.similarity_a:.3f}", f"{row.similarity_b:.3f}",
                         row.tokens])
    return buffer.getvalue()


def _e(text: object, limit: int = NAME_LIMIT) -> str:
    """Student text for HTML: cleaned to one line, then escaped."""
    return html.escape(clean(text, limit), quote=True)


STYLE = """
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 85%; white-space: pre; }
mark { background: #ffd27f; }
.note { color: #7a4b00; }
"""


def _side_by_side(row: Row, a: Part, b: Part) -> str:
    from copydetect.utils import highlight_overlap

    shown = []
    for part, slices in ((a, row.slices[0]), (b, row.slices[1])):
        if getattr(slices, "ndim", 0) == 2 and slices.shape[1] > 0:
            text, _ = highlight_overlap(part.code, slices.astype(int), "<mark>", "</mark>",
                                        truncate=CONTEXT, escape_html=True)
        else:
            text = html.escape(part.code)
        shown.append(f"<pre>{text}</pre>")
    return f'<div class="pair">{"".join(shown)}</div>'


def to_html(result: Comparison) -> str:
    """The report page: notes, the table of rows, the top comparisons side by side."""
    rows = result.rows
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">",
        "<title>Similarity between submissions</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Similarity between submissions</h1>",
        f"<p>{len(result.students)} students, {len(rows)} comparisons (a module or an item of two "
        "students) with code in common, most similar first. A similarity is the share of one "
        "side's code found in the other's, after removing the stubs every student was given. "
        "This report is for the instructor: it changes no score, and a high similarity is a "
        "reason to look, not a verdict.</p>",
    ]
    if result.notes:
        out.append("<h2>Notes</h2><ul>")
        out += [f'<li class="note">{_e(note, MESSAGE_LIMIT)}</li>' for note in result.notes[:MAX_NOTES]]
        if len(result.notes) > MAX_NOTES:
            out.append(f'<li class="note">and {len(result.notes) - MAX_NOTES} more</li>')
        out.append("</ul>")
    if not rows:
        out.append("<p>No two submissions have code in common beyond the stubs.</p>")
    else:
        # Rows shown side by side, and where each row's code is shown: an item
        # whose whole module is already shown for the same pair links there.
        sections: list[int] = []
        anchor: dict[int, int] = {}
        for index, row in enumerate(rows):
            if len(sections) >= MAX_SHOWN:
                break
            whole = next((shown for shown in sections if not rows[shown].item and row.item
                          and (rows[shown].pair, rows[shown].module) == (row.pair, row.module)), None)
            if whole is None:
                sections.append(index)
            anchor[index] = index if whole is None else whole
        out.append("<h2>All comparisons</h2><table><thead><tr><th>#</th>"
                   + "".join(f"<th>{name}</th>" for name in HEADER) + "</tr></thead><tbody>")
        for index, row in enumerate(rows[:MAX_TABLE]):
            number = (f'<a href="#c{anchor[index] + 1}">{index + 1}</a>' if index in anchor
                      else str(index + 1))
            out.append(f"<tr><td>{number}</td><td>{_e(row.student_a)}</td><td>{_e(row.student_b)}</td>"
                       f"<td>{_e(row.module)}</td><td>{_e(row.item)}</td>"
                       f'<td class="number">{row.similarity_a:.3f}</td>'
                       f'<td class="number">{row.similarity_b:.3f}</td>'
                       f'<td class="number">{row.tokens}</td></tr>')
        out.append("</tbody></table>")
        if len(rows) > MAX_TABLE:
            out.append(f"<p>and {len(rows) - MAX_TABLE} more rows in {CSV_NAME}.</p>")
        out.append("<h2>Side by side</h2><p>The highlighted code is what the two have in common "
                   f"(with {CONTEXT} lines of context; <code>...</code> marks code left out).</p>")
        for index in sections:
            row = rows[index]
            a, b = (result.students[place] for place in row.pair)
            key = (row.module, row.item)
            what = f"{row.module}, item {row.item}" if row.item else f"{row.module} (whole module)"
            out.append(f'<section id="c{index + 1}"><h3>{index + 1}. {_e(row.student_a)} and '
                       f"{_e(row.student_b)}: {_e(what)}: {row.similarity_a:.3f} and "
                       f"{row.similarity_b:.3f}, {row.tokens} tokens</h3>")
            out.append(_side_by_side(row, a.parts[key], b.parts[key]))
            out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
