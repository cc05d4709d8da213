"""A structural check of JUnit XML, after Jenkins' junit-10.xsd.

No XSD validator is among the project's pinned packages, so the rules of
that schema which matter to GitLab and Jenkins are checked here with
xml.etree: which element may hold which, the attributes each must carry,
and counts that agree with what the file holds.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

# element -> the elements it may hold (junit-10.xsd)
CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"testsuite", "properties", "testcase", "system-out", "system-err"},
    "properties": {"property"},
    "property": set(),
    "testcase": {"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure",
                 "flakyError", "system-out", "system-err"},
    "failure": set(), "error": set(), "skipped": set(), "system-out": set(), "system-err": set(),
}
# element -> its required attributes (junit-10.xsd)
REQUIRED = {
    "testsuite": ("name", "tests", "failures", "errors"),
    "property": ("name", "value"),
    "testcase": ("name",),
}
COUNTS = ("tests", "failures", "errors", "skipped")
# report.to_junit writes no `errors` count yet (a strict xfail in tests/report/test_junit_xml.py says so)
REQUIRED_BUT_ERRORS = dict(REQUIRED, testsuite=("name", "tests", "failures"))


def problems(text: str, required: dict[str, tuple[str, ...]] = REQUIRED) -> list[str]:
    """What in `text` breaks the schema's rules; empty when nothing does."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return [f"not XML: {exc}"]
    found = [] if root.tag == "testsuites" else [f"the root is <{root.tag}>, not <testsuites>"]
    for element in root.iter():
        if element.tag not in CHILDREN:
            found.append(f"unknown element <{element.tag}>")
            continue
        found += [f"<{child.tag}> inside <{element.tag}>" for child in element
                  if child.tag not in CHILDREN[element.tag]]
        found += [f"<{element.tag}> without {name}=" for name in required.get(element.tag, ())
                  if name not in element.attrib]
        found += [f"<{element.tag}> {name}={element.get(name)!r} is not a count" for name in COUNTS
                  if name in element.attrib and not element.get(name).isdigit()]
    for suite in root.iter("testsuite"):
        found += counts_disagree(suite)
    return found


def counts_disagree(suite: ET.Element) -> list[str]:
    cases = suite.findall("testcase")
    actual = {"tests": len(cases), "failures": sum(c.find("failure") is not None for c in cases)}
    return [f"testsuite {suite.get('name')!r} says {key}={suite.get(key)}, holds {value}"
            for key, value in actual.items() if suite.get(key, "").isdigit() and int(suite.get(key)) != value]
