"""Hypothesis settings and strategies shared by the hidden suites.

Every property test is derandomized: the same submission always meets the
same examples, so grading it twice gives the same score.
"""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import strategies as st

# The one set of settings every hidden property test uses. Few examples: each
# one is a round trip to the child process. Quiet, with no explain phase and
# one bug reported (the smallest): a failure message must not print the
# hidden example (tensors, file paths), only what the check itself says.
graded = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    verbosity=Verbosity.quiet,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    report_multiple_bugs=False,
    print_blob=False,
)

dims = st.integers(min_value=1, max_value=5)
float_dtypes = st.sampled_from([torch.float32, torch.float64])


def randn(*shape: int, dtype=torch.float32, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=dtype)


@st.composite
def matmul_pairs(draw, max_dim: int = 5):
    """(a, b, dtype) with a (ar, ac) and b (ac, bc)."""
    ar, ac, bc = (draw(st.integers(1, max_dim)) for _ in range(3))
    dtype = draw(float_dtypes)
    seed = draw(st.integers(0, 2**16))
    return randn(ar, ac, dtype=dtype, seed=seed), randn(ac, bc, dtype=dtype, seed=seed + 1)
