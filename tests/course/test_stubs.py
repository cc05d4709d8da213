"""The stub generator on small made-up modules."""

from __future__ import annotations

import textwrap

import pytest

from autograder import catalogue
from autograder.course.stubs import StubError, make_stub, regions

SOURCE = textwrap.dedent('''\
    """A made-up neurons module."""


    def neuron(inputs, weights, bias):
        """Weighted sum plus bias."""
        ### BEGIN SOLUTION
        secret_answer = sum(x * w for x, w in zip(inputs, weights))
        return secret_answer + bias
        ### END SOLUTION


    class Helper:
        def relu(self, x):
            ### BEGIN SOLUTION
            return max(x, 0.0)
            ### END SOLUTION
''')


def test_regions_know_their_items():
    # `Helper` is no catalogue name, so the generator refuses the second region.
    with pytest.raises(StubError, match="Helper"):
        regions(SOURCE, "neurons")
    found = regions(SOURCE.replace("class Helper", "class relu"), "neurons")
    assert [(r.item.id, r.indent) for r in found] == [("neuron", "    "), ("relu", "        ")]


def test_stub_replaces_each_region_with_its_items_error():
    stub = make_stub(SOURCE.replace("class Helper", "class relu"), "neurons")
    assert "secret_answer" not in stub and "max(x" not in stub and "BEGIN" not in stub
    assert '    raise NotImplementedError("neuron: not implemented yet")' in stub
    assert '        raise NotImplementedError("relu: not implemented yet")' in stub
    assert '"""Weighted sum plus bias."""' in stub
    compile(stub, "stub.py", "exec")


def test_stub_has_a_banner_per_item():
    stub = make_stub(SOURCE.replace("class Helper", "class relu"), "neurons")
    neuron = catalogue.by_id()["neuron"]
    assert f"# Item neuron (Q1, 2 points): {neuron.title}" in stub
    assert stub.index("# Item neuron") < stub.index("def neuron")
    assert "pytest exercises -m relu" in stub


def test_only_stubs_the_chosen_items_and_drops_markers():
    stub = make_stub(SOURCE.replace("class Helper", "class relu"), "neurons", only={"relu"})
    assert "secret_answer" in stub and "BEGIN" not in stub and "# Item" not in stub
    assert 'raise NotImplementedError("relu: not implemented yet")' in stub
    compile(stub, "stub.py", "exec")


@pytest.mark.parametrize(
    "broken, message",
    [
        ("### END SOLUTION", "without"),
        ("### BEGIN SOLUTION\n    ### BEGIN SOLUTION", "nested"),
    ],
)
def test_unbalanced_markers_are_refused(broken, message):
    source = SOURCE.replace("### BEGIN SOLUTION", broken, 1)
    with pytest.raises(StubError, match=message):
        regions(source, "neurons")


def test_unclosed_region_is_refused():
    source = "def neuron():\n    ### BEGIN SOLUTION\n    return 1\n"
    with pytest.raises(StubError, match="without"):
        regions(source, "neurons")
