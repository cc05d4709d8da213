"""Mistakes and alternatives for matmul.py."""

from support.grading_support import Edit

LOOPS_INIT = "    c = a.new_zeros(ar, bc)\n    for i in range(ar):\n        for j in range(bc):\n            for k"

BROADCAST_START = ("    _check_shapes(a, b)\n    ar, bc = a.shape[0], b.shape[1]\n    c = a.new_zeros(ar, bc)\n"
                   "    for i in range(ar):\n        # (ac, 1)")

MISTAKES = [
    Edit("matmul_shapes", "matmul", BROADCAST_START,
         "    ar, ac = a.shape\n    br, bc = b.shape\n    if ac != br:\n"
         '        raise ValueError(f"cannot multiply {tuple(a.shape)} by {tuple(b.shape)}")\n'
         "    c = a.new_zeros(ar, bc)\n    for i in range(ar):\n        # (ac, 1)",
         "its own check in matmul_broadcast: a 3-D or 1-D input dies unpacking, naming no shape"),
    Edit("time_call", "matmul", "return statistics.median(per_call)", "return min(per_call)",
         "the minimum instead of the median"),
    Edit("matmul_elementwise", "matmul", "            c[i, j] = (a[i] * b[:, j]).sum()",
         "            c[i, j] = float(a[i].numpy() @ b[:, j].numpy())", "each dot product in NumPy"),
    Edit("matmul_loops", "matmul", LOOPS_INIT,
         LOOPS_INIT.replace("a.new_zeros(ar, bc)", "torch.zeros(ar, bc)"),
         "torch.zeros without the inputs' device and dtype"),
    Edit("matmul_loops", "matmul", "            for k in range(ac):\n                c[i, j] += a[i, k] * b[k, j]",
         "            c[i, j] = a[i] @ b[:, j]", "a dot product instead of the inner loop"),
    Edit("matmul_shapes", "matmul", "if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:",
         "if a.shape[1] != b.shape[0]:", "does not check that both inputs are 2-D"),
    Edit("matmul_shapes", "matmul", 'raise ValueError(f"cannot multiply {tuple(a.shape)} by {tuple(b.shape)}")',
         'raise ValueError("the shapes do not match")', "the message names neither shape"),
    Edit("time_call", "matmul", "return statistics.median(per_call)",
         "return statistics.mean(per_call)", "the mean instead of the median"),
    Edit("time_call", "matmul", "per_call.append((time.perf_counter() - start) / number)",
         "per_call.append(time.perf_counter() - start)", "time per round, not per call"),
    Edit("matmul_elementwise", "matmul", "            c[i, j] = (a[i] * b[:, j]).sum()",
         "            for k in range(a.shape[1]):\n                c[i, j] += a[i, k] * b[k, j]",
         "keeps the inner loop"),
    Edit("matmul_elementwise", "matmul", "            c[i, j] = (a[i] * b[:, j]).sum()",
         "            c[i, j] = (a[i] * b[:, j]).mean()", "mean instead of sum"),
    Edit("matmul_broadcast", "matmul", BROADCAST_START,
         BROADCAST_START.replace("a.new_zeros(ar, bc)", "torch.tensor([[0.0] * bc for _ in range(ar)])"),
         "torch.tensor built from Python lists, on the CPU"),
    Edit("matmul_broadcast", "matmul", "        c[i] = (a[i][:, None] * b).sum(dim=0)",
         "        for j in range(bc):\n            c[i, j] = (a[i] * b[:, j]).sum()",
         "a second loop over the columns"),
    Edit("matmul_broadcast", "matmul", "        c[i] = (a[i][:, None] * b).sum(dim=0)",
         "        c[i] = (a[i][None] * b.t()).sum(dim=0)", "sums over the wrong dimension"),
    Edit("matmul_einsum", "matmul", 'return torch.einsum("ik,kj->ij", a, b)',
         "return a @ b", "the @ operator instead of einsum"),
    Edit("matmul_einsum", "matmul", 'return torch.einsum("ik,kj->ij", a, b)',
         'return torch.einsum("ik,kj->ji", a, b)', "the result transposed"),
]

ALTERNATIVES = [
    Edit("matmul_loops", "matmul", LOOPS_INIT,
         LOOPS_INIT.replace("a.new_zeros(ar, bc)", "torch.zeros(ar, bc, dtype=a.dtype, device=a.device)"),
         "torch.zeros with device and dtype"),
    Edit("matmul_broadcast", "matmul", "        c[i] = (a[i][:, None] * b).sum(dim=0)",
         "        c[i] = (a[i].unsqueeze(-1) * b).sum(0)", "unsqueeze instead of None"),
    Edit("matmul_einsum", "matmul", 'return torch.einsum("ik,kj->ij", a, b)',
         'return torch.einsum("ij,jk->ik", a, b)', "other letters"),
]
