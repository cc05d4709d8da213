"""Text a submission controls, made safe to quote in a report.

A student's exception messages, the type names of what their code returns,
their folder and file names all reach the reports. `clean()` turns any such
value into one short line of printable text; the escapers below then quote
a cleaned text in one output format each. Every renderer goes through them,
so no string can break a report, and a report never quotes more than a few
values of the hidden inputs (docs/grader.md, "What reports quote").

Standard library only: the students' template ships a copy next to its
progress script (.github/safe_text.py), so the students' job summary and
annotations follow the same rules as the grader's reports.
"""

from __future__ import annotations

import html
import re

MESSAGE_LIMIT = 400  # characters of a test's message (our longest own message has 322)
NAME_LIMIT = 100  # characters of a name: a test (ours reach 76), an item, a student, a device
ELLIPSIS = "…"

KEPT_NUMBERS = 3  # of a long run of numbers, the first ones stay, for the shape of the text
MAX_NUMBERS = 8  # numbers in a row beyond which a run is cut
LONG_TOKEN = 40  # characters of a word with no space (a hex or base64 dump) beyond which it is cut
KEPT_OF_TOKEN = 8

# Escape sequences a terminal obeys: CSI (colours, cursor moves), OSC and the
# other string commands (titles, hyperlinks), and ESC + one character (a reset).
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b[ -/]*[0-~]?",
    re.DOTALL,
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACE = re.compile(r"\s")
_SPACES = re.compile(" {2,}")
_LONG = re.compile(rf"[0-9A-Za-z+/=]{{{LONG_TOKEN},}}")
# A number, or a word of hex digits (a float's bytes in hex need not start with a digit).
_NUMBER = r"(?<![0-9A-Za-z_.])(?:[-+]?\.?\d[0-9A-Za-z.+-]*|[0-9A-Fa-f]{4,}(?![0-9A-Za-z_]))"
_BETWEEN_NUMBERS = r"[\s,;:()\[\]{}<>/|'\"]+"
_NUMBER_RUN = re.compile(rf"{_NUMBER}(?:{_BETWEEN_NUMBERS}{_NUMBER}){{{MAX_NUMBERS},}}")


def clean(text: object, limit: int = MESSAGE_LIMIT) -> str:
    """Any value as one line of at most `limit` printable characters.

    The one entry point for student text (the sandbox calls it too; its
    signature stays). Never raises for any value (a str subclass with a
    hostile `__str__`, bytes, None, any object); only a `limit` below 1,
    a caller's mistake, is a ValueError. Lone surrogates become U+FFFD; escape sequences and control
    characters are dropped; runs of white space become one space; a run of
    more than MAX_NUMBERS numbers keeps its first KEPT_NUMBERS and a word of
    LONG_TOKEN or more letters and digits its first KEPT_OF_TOKEN, then `…`;
    a longer text is cut at a word and ends in `…`. Idempotent:
    clean(clean(x, n), n) == clean(x, n).
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    work = 8 * limit + 1000  # what is read of a huge input: the rest is cut anyway
    text = as_str(text, work)
    cut = len(text) > work
    text = _SURROGATE.sub("\ufffd", text[:work])
    text = _SPACE.sub(" ", _ESCAPES.sub("", text))
    if not text.isprintable():
        text = "".join(char for char in text if char.isprintable())
    text = _NUMBER_RUN.sub(_elide_numbers, _LONG.sub(_elide_token, text))
    return shorten(_SPACES.sub(" ", text).strip(), limit, cut)


def as_str(value: object, most: int) -> str:
    """A plain str of (at least the first `most` characters of) `value`."""
    try:
        if value is None:
            return ""
        if issubclass(type(value), str):  # type(), not isinstance: a fake __class__ is no str
            return str.__str__(value)  # a plain copy: the subclass's methods never run
        if issubclass(type(value), (bytes, bytearray)):
            return bytes(value[: 4 * most]).decode("utf-8", "replace")
        text = str(value)
        return str.__str__(text)
    except Exception:  # noqa: BLE001 - whatever it did, the report is still written
        return "(a value that could not be shown)"


def _elide_token(match: re.Match) -> str:
    return match.group()[:KEPT_OF_TOKEN] + ELLIPSIS


def _elide_numbers(match: re.Match) -> str:
    numbers = list(re.finditer(_NUMBER, match.group()))
    return match.group()[: numbers[KEPT_NUMBERS - 1].end()] + " " + ELLIPSIS


def shorten(text: str, limit: int, cut: bool = False) -> str:
    """`text` in at most `limit` characters, cut at a word where one is near;
    it ends in `…` when anything was left out (`cut`: already, before)."""
    if len(text) <= limit and not cut:
        return text
    kept = text[: limit - 1]
    if len(text) >= limit and text[limit - 1] != " ":
        space = kept.rfind(" ")
        if space >= limit * 2 // 3:
            kept = kept[:space]
    kept = kept.rstrip()
    return kept if kept.endswith(ELLIPSIS) else kept + ELLIPSIS


# -- one escaper per format ----------------------------------------------------------------

# Markdown's specials that could start emphasis, a code span, a link or an
# image, a table cell, strikethrough, an emoji, a mention, an issue link or
# math on GitHub; `:` and `@` also stop bare URLs and e-mail addresses from
# becoming links (as does `www\.`). One line never starts a heading or a list.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]|~#:@$])")
_WWW = re.compile(r"(?i)(www)\.")
_PLAIN_NAME = re.compile(r"[\w.-]+", re.ASCII)


def markdown(text: object, limit: int = MESSAGE_LIMIT) -> str:
    """Inline text for GitHub Markdown (a job summary, a table cell): no tag,
    entity, link, image, heading, code span or cell break can be made of it."""
    text = html.escape(clean(text, limit), quote=False)
    return _WWW.sub(r"\1\\.", _MARKDOWN_SPECIALS.sub(r"\\\1", text))


def markdown_code(text: object, limit: int = NAME_LIMIT) -> str:
    """A name as a code span when it is a plain identifier, else as escaped text."""
    text = clean(text, limit)
    return f"`{text}`" if _PLAIN_NAME.fullmatch(text) else markdown(text, limit)


def terminal(text: object, limit: int = MESSAGE_LIMIT, style: str = ""):
    """A rich `Text` (never markup: `[/]` stays two characters) for a terminal."""
    from rich.text import Text

    return Text(clean(text, limit), style=style)


def escape_data(text: str) -> str:
    """A GitHub workflow command's message: `%`, CR and LF are encoded, so it stays one command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (file=, title=): `:` and `,` would end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as a formula


def csv_cell(text: object, limit: int = MESSAGE_LIMIT) -> str:
    """A text cell of a CSV file: cleaned, and a would-be formula made text by a `'`."""
    text = clean(text, limit)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
