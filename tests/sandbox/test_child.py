"""How a child puts the grader's arguments on a device (autograder/sandbox/child.py).

On the simulated devices (`fake-cuda`, `meta`) a tensor argument keeps its
shape, dtype, view and `requires_grad`, and nothing else: its values are not
read there (decoding them under FakeTensorMode cost about 4 ms of a device check's
first call). A module of our own reports what it was given.
"""

from __future__ import annotations

import pytest
import torch

from autograder.sandbox import client

REPORTER = '''
import torch

def given(*tensors):
    return [[str(x.device), list(x.shape), str(x.dtype), x.is_contiguous(), x.requires_grad] for x in tensors]

def doubled(x):
    return x * 2
'''


@pytest.fixture(scope="module")
def child(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reporter")
    (folder / "reporter.py").write_text(REPORTER)
    submission = client.Submission("reporter", folder)
    yield submission
    submission.close()


@pytest.mark.parametrize("device, seen", [("fake-cuda", "cuda:0"), ("meta", "meta"), ("cpu", "cpu")])
def test_an_argument_keeps_its_shape_dtype_view_and_grad(child, device, seen):
    x = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    outcome = child.call("given", client.Transposed(x), client.Grad(x), device=device, trace=False)
    assert outcome.ok, outcome.error_text
    assert outcome.value == [[seen, [3, 2], "torch.float64", False, False],
                             [seen, [2, 3], "torch.float64", True, True]]


@pytest.mark.parametrize("device", ["fake-cuda", "meta"])
def test_a_simulated_result_has_no_values_and_stays_there(child, device):
    outcome = child.call("doubled", torch.ones(4, 5), device=device, trace=False)
    assert outcome.ok, outcome.error_text
    assert outcome.device == ("cuda:0" if device == "fake-cuda" else "meta")
    assert tuple(outcome.value.shape) == (4, 5) and outcome.value.dtype == torch.float32


def test_on_the_cpu_the_values_arrive(child):
    outcome = child.call("doubled", torch.tensor([[1.0, -2.0]]), trace=False)
    assert outcome.ok and outcome.value.tolist() == [[2.0, -4.0]]
