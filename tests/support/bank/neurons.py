"""Mistakes and alternatives for neurons.py."""

from support.grading_support import Edit

NEURON_CHECK = (
    "    if len(inputs) != len(weights):\n"
    '        raise ValueError(f"got {len(inputs)} inputs but {len(weights)} weights")\n'
)
NEURON_SUM = "    return float(sum(x * w for x, w in zip(inputs, weights)) + bias)"
RELU = "    return x.clamp_min(0.0)"
RELU_SCALAR = "    return x if x >= 0 else 0.0"
DENSE = "    return x @ w.t() + b"
DENSE_PYTHON = "        [sum(xi * wi for xi, wi in zip(row, weights)) + bias for weights, bias in zip(w, b)]"
TRANSPOSE_BODY = (
    "    rows, cols = m.shape\n"
    "    # Same memory, read with the two strides swapped: no element is copied.\n"
    "    return m.as_strided((cols, rows), (m.stride(1), m.stride(0)), m.storage_offset())"
)
TRANSPOSE_CHECK = (
    "    if m.ndim != 2:\n"
    '        raise ValueError(f"expected a 2-D tensor, got {m.ndim}-D with shape {tuple(m.shape)}")\n'
)

MISTAKES = [
    Edit("relu", "neurons", RELU,
         "    from concurrent.futures import ThreadPoolExecutor\n"
         "    with ThreadPoolExecutor(2) as pool:\n"
         "        return torch.stack(list(pool.map(lambda row: row.clamp_min(0.0), x))) if x.dim() else x.clamp_min(0.0)",
         "spreads the rows over a pool of threads"),
    Edit("neuron", "neurons", NEURON_CHECK, "",
         "no length check: zip silently drops the extra inputs"),
    Edit("neuron", "neurons", NEURON_SUM,
         "    return float(sum(x * w + bias for x, w in zip(inputs, weights)))",
         "adds the bias once per input"),
    Edit("neuron", "neurons", NEURON_SUM,
         "    import numpy as np\n\n    return float(np.dot(inputs, weights) + bias)",
         "NumPy's dot instead of plain Python"),
    Edit("neuron", "neurons", 'f"got {len(inputs)} inputs but {len(weights)} weights"',
         '"inputs and weights must have the same length"', "the message names neither length"),
    Edit("relu", "neurons", RELU, "    return x.clamp_min_(0.0)", "clamps in place"),
    Edit("relu", "neurons", RELU, "    return torch.relu(x)", "PyTorch's own relu"),
    Edit("relu", "neurons", RELU,
         "    return torch.stack([row.clamp_min(0.0) for row in x]) if x.dim() > 1 else x.clamp_min(0.0)",
         "a Python loop over rows: right, but slow"),
    Edit("relu", "neurons", RELU, "    return torch.where(x > 0, x, torch.zeros(x.shape))",
         "zeros without the input's device"),
    Edit("relu", "neurons", RELU_SCALAR, "    return max(0, x)",
         "max(0, x) returns the int 0 for negative inputs"),
    Edit("dense", "neurons", DENSE, "    return x @ w + b", "forgets to transpose w"),
    Edit("dense", "neurons", DENSE, "    return torch.nn.functional.linear(x, w, b)",
         "nn.functional.linear"),
    Edit("dense", "neurons", DENSE, "    return torch.stack([row @ w.t() + b for row in x])",
         "a Python loop over the batch"),
    Edit("dense", "neurons", DENSE, "    return x @ w.t()", "forgets the bias"),
    Edit("dense_python", "neurons", DENSE_PYTHON,
         DENSE_PYTHON.replace("zip(w, b)", "zip(zip(*w), b)"),
         "zips the columns of w instead of its rows"),
    Edit("dense_python", "neurons", DENSE_PYTHON,
         DENSE_PYTHON.replace("for weights, bias in zip(w, b)", "for weights in w for bias in b"),
         "pairs every neuron with every bias"),
    Edit("dense_python", "neurons", "    return [\n" + DENSE_PYTHON,
         "    return (torch.tensor(x) @ torch.tensor(w).t() + torch.tensor(b)).tolist()\n    return [\n"
         + DENSE_PYTHON, "tensors instead of plain Python"),
    Edit("transpose", "neurons", TRANSPOSE_BODY, "    return m.t()", "calls .t()"),
    Edit("transpose", "neurons", TRANSPOSE_BODY, "    return m.T", "uses .T"),
    Edit("transpose", "neurons", TRANSPOSE_BODY,
         "    rows, cols = m.shape\n    return m.reshape(cols, rows)", "reshape instead of a transpose"),
    Edit("transpose", "neurons", TRANSPOSE_CHECK + TRANSPOSE_BODY,
         "    return torch.stack([m[:, j] for j in range(m.shape[1])])",
         "stacks the columns but never checks the rank"),
]

ALTERNATIVES = [
    Edit("transpose", "neurons", TRANSPOSE_CHECK,
         "    if m.ndim != 2:\n        raise ValueError(f\"transpose needs a 2-D tensor, got shape {tuple(m.shape)}\")\n",
         "the message names the shape, not the rank"),
    Edit("neuron", "neurons", NEURON_SUM,
         "    total = bias\n    for x, w in zip(inputs, weights):\n        total += x * w\n    return float(total)",
         "an explicit loop"),
    Edit("relu", "neurons", RELU, "    return torch.where(x > 0, x, 0.0)", "torch.where with a scalar"),
    Edit("relu", "neurons", RELU_SCALAR, "    return max(x, 0.0)", "max with the float 0.0"),
    Edit("relu", "neurons", RELU, "    return x * (x > 0)", "multiplies by a mask"),
    # The standard library's helpers that look at their caller's frame (for a
    # module name or a line) are honest code the sandbox must let through.
    Edit("dense", "neurons", DENSE,
         "    import collections, logging, typing\n"
         "    Shape = collections.namedtuple('Shape', 'rows cols', defaults=(1,))\n"
         "    typing.TypeVar('T')\n"
         "    logging.getLogger('dense').warning('shape %s', Shape(*x.shape))\n"
         "    return x @ w.t() + b",
         "a namedtuple with a default, a TypeVar and a logging call (each reads its caller's frame)"),
    Edit("dense", "neurons", DENSE, "    return (x[:, None, :] * w[None, :, :]).sum(dim=-1) + b",
         "broadcasting instead of a matrix product"),
    Edit("dense", "neurons", DENSE, "    return torch.matmul(x, w.T) + b", "torch.matmul and .T"),
    Edit("dense_python", "neurons", DENSE_PYTHON,
         "        [sum(map(lambda p: p[0] * p[1], zip(row, ws))) + bi for ws, bi in zip(w, b)]",
         "map over the pairs"),
    Edit("transpose", "neurons", TRANSPOSE_BODY,
         "    return torch.stack([m[:, j] for j in range(m.shape[1])])", "stacks the columns"),
    Edit("transpose", "neurons", TRANSPOSE_BODY,
         "    rows, cols = m.shape\n"
         "    i = torch.arange(cols, device=m.device)[:, None]\n"
         "    j = torch.arange(rows, device=m.device)[None, :]\n"
         "    return m[j, i]", "advanced indexing with broadcast index tensors"),
]
