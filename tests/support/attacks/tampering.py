"""Attacks that tamper with the grader's machinery inside the child.

Each hides a forbidden product (or a wrong answer) from the tracer or the
recorders by reaching the grader's objects: the heap, the frames, the
grader's own modules, torch's mode stacks, the dispatcher, the outgoing
answer, the callable handed to time_call, a tensor that lies when read.
"""

from __future__ import annotations

from support.attacks import attack

LOOPS = ("    c = a.new_zeros(ar, bc)\n    for i in range(ar):\n        for j in range(bc):\n"
         "            for k in range(ac):\n                c[i, j] += a[i, k] * b[k, j]\n    return c")
ELEMENTWISE = ("    c = a.new_zeros(ar, bc)\n    for i in range(ar):\n        for j in range(bc):\n"
               "            c[i, j] = (a[i] * b[:, j]).sum()\n    return c")
BROADCAST = ("    c = a.new_zeros(ar, bc)\n    for i in range(ar):\n"
             "        # (ac, 1) * (ac, bc) broadcasts to (ac, bc); summing over ac gives row i.\n"
             "        c[i] = (a[i][:, None] * b).sum(dim=0)\n    return c")
EINSUM = '    return torch.einsum("ik,kj->ij", a, b)'
MEDIAN = "    return statistics.median(per_call)"
RELU = "    return x.clamp_min(0.0)"
DENSE = "    return x @ w.t() + b"
CONV = "    cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)  # (N, C*kh*kw, L)\n    out = weight.reshape(o, -1) @ cols  # (N, O, L)"

# torch calls that grow with the inner dimension, as the loops' check wants
GROWING = "    for _k in range(a.shape[1]):\n        a[0, 0] * b[0, 0]\n        a[0, 0] * b[0, 0]\n"
# an operation the tracer may see, so that "no torch operation was seen" does not give it away
VISIBLE = "    (a * 1).sum()\n"
# Counters that forget the products, for the grader's own counters.
DEAF = '''
    class _Deaf(dict):
        def __missing__(self, key):
            return 0

        def __setitem__(self, key, value):
            if key not in ("matmul", "__matmul__", "mm", "addmm", "linear"):
                dict.__setitem__(self, key, value)
'''

ATTACKS = [
    attack("matmul_loops", "matmul", LOOPS, DEAF + '''
    import gc
    for _found in gc.get_objects():
        if type(_found).__name__ == "CallCounter":
            _found.calls = _Deaf(_found.calls)
        elif type(_found).__name__ == "KernelCounter":
            _found.kernels = _Deaf(_found.kernels)
''' + GROWING + "    return a @ b", GROWING + "    return a @ b",
        "finds the tracer's counters with gc.get_objects and deafens them"),
    attack("matmul_elementwise", "matmul", ELEMENTWISE, DEAF + '''
    import sys
    _frame = sys._getframe()
    while _frame is not None:
        _trace = _frame.f_locals.get("trace")
        if hasattr(_trace, "python") and hasattr(_trace, "kernels"):
            _trace.python.calls = _Deaf(_trace.python.calls)
            _trace.kernels.kernels = _Deaf(_trace.kernels.kernels)
        _frame = _frame.f_back
''' + VISIBLE + "    return a @ b", VISIBLE + "    return a @ b",
        "walks the frames to the child's trace and deafens it"),
    attack("matmul_broadcast", "matmul", BROADCAST, VISIBLE + '''    return a @ b


try:  # at import: the grader's tracer, as the child has it loaded
    from autograder.sandbox import tracer as _tracer

    def _calls_but_products(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "?")
        if name not in ("matmul", "__matmul__", "mm"):
            self.calls[name] += 1
        return func(*args, **(kwargs or {}))

    def _kernels_but_products(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name not in ("mm", "matmul"):
            self.kernels[name] += 1
        return func(*args, **(kwargs or {}))

    _tracer.CallCounter.__torch_function__ = _calls_but_products
    _tracer.KernelCounter.__torch_dispatch__ = _kernels_but_products
except Exception:
    pass''', VISIBLE + "    return a @ b",
        "patches the grader's tracer classes at import"),
    attack("matmul_einsum", "matmul", EINSUM, '''
    if torch._C._len_torch_function_stack():  # a traced call (a device run has none)
        from torch.overrides import _pop_mode_temporarily as without_function_mode
        from torch.utils._python_dispatch import _pop_mode_temporarily as without_dispatch_mode

        with without_function_mode(), without_dispatch_mode():
            c = a @ b
    else:
        c = a @ b
    torch.einsum("i->i", a[0])
    return c''', '    torch.einsum("i->i", a[0])\n    return a @ b',
        "pops the tracing modes off torch's stacks around a product"),
    attack("relu", "neurons", RELU, '''
    x.sum()
    with torch.utils._python_dispatch._disable_current_modes(), torch._C.DisableTorchFunction():
        return torch.relu(x)''', "    x.sum()\n    return torch.relu(x)",
        "drops the modes with torch's own _disable_current_modes"),
    attack("dense", "neurons", DENSE, '''
    from torch.utils import _python_dispatch
    from torch.utils._pytree import tree_map

    x.sum()
    if not torch._C._len_torch_dispatch_stack():
        return torch.nn.functional.linear(x, w, b)
    (_mode,) = tree_map(_python_dispatch._pop_mode, [None])
    try:
        with torch._C.DisableTorchFunction():
            return torch.nn.functional.linear(x, w, b)
    finally:
        _python_dispatch._push_mode(_mode)''', "    x.sum()\n    return torch.nn.functional.linear(x, w, b)",
        "pops the dispatch mode through torch's own tree_map"),
    attack("conv2d_unfold", "research", CONV, '''
    cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)
    python_key = torch._C.DispatchKeySet(torch._C.DispatchKey.Python)
    with torch._C._ExcludeDispatchKeyGuard(python_key), torch._C.DisableTorchFunction():
        return F.conv2d(x, weight, bias, stride=stride, padding=padding)''', '''
    cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)
    return F.conv2d(x, weight, bias, stride=stride, padding=padding)''',
        "skips the Python dispatch key around a convolution"),
    attack("matmul_broadcast", "matmul", BROADCAST, '''
    a.new_zeros(1)
    if a.device.type != "cpu":
        return a @ b
    below = torch._C.DispatchKeySet(torch._C.DispatchKey.CPU)
    with torch._C.DisableTorchFunction():
        return torch.ops.aten.mm.default.redispatch(below, a, b)''', "    a.new_zeros(1)\n    return a @ b",
        "calls the CPU kernel below the modes with redispatch"),
    attack("matmul_loops", "matmul", LOOPS, GROWING + '''    return a @ b


import json as _json

_dumps = _json.dumps


def _scrubbed(message, *args, **kwargs):
    trace = message.get("trace") if isinstance(message, dict) else None
    if isinstance(trace, dict):
        for counts in trace.values():
            for name in ("matmul", "__matmul__", "mm"):
                counts.pop(name, None)
    return _dumps(message, *args, **kwargs)


_json.dumps = _scrubbed''', GROWING + "    return a @ b",
        "rewrites its outgoing answers (json.dumps) to drop the products"),
    attack("time_call", "matmul", MEDIAN, '''
    claimed = statistics.mean(per_call)
    try:  # rewrite what f recorded, so that its rounds' median is the mean
        spans, start = f.spans, f.spans[0][0]
        for r in range(repeat):
            per = claimed * (10 if r == 0 else 1)
            for k in range(number):
                spans[r * number + k] = (start + k * per, start + (k + 1) * per)
            start += number * per
    except Exception:
        pass
    return claimed''', "    return statistics.mean(per_call)",
        "rewrites the recorder's spans so that the mean passes for the median"),
    attack("matmul_loops", "matmul", LOOPS, GROWING + '''    if a.device.type != "cpu":
        return a @ b
    return _Lying(a, b)


class _Lying(torch.Tensor):
    """Reads as the product when the grader encodes it; computed there, untraced."""

    def __new__(cls, a, b):
        made = torch.Tensor._make_subclass(cls, torch.zeros(a.shape[0], b.shape[1], dtype=a.dtype))
        made.operands = (a, b)
        return made

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("detach", "contiguous", "to", "numpy", "clone"):
            a, b = args[0].operands
            with torch._C.DisableTorchFunction():
                return torch.mm(a, b)
        return super().__torch_function__(func, types, args, kwargs or {})''', GROWING + "    return a @ b",
        "returns a tensor that computes the product when it is read"),
]
