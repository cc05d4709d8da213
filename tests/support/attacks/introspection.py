"""Attacks that find the grader's objects through Python's introspection, or
work below the tracer's modes, or strike after the answer.

Python lets code reach far more than it was given: every class through
`object.__subclasses__()`, a function's module through `__globals__`, what a
closure holds through `__closure__`, a code object through `__code__`. These
attacks use that to get torch's unguarded functions (from a guard's closure),
to run the grader's trusted code with globals of their own, or to make a
standard library helper hand them a frame. Others compute a forbidden
product where the dispatcher's mode is popped: inside a tensor subclass's
`__torch_dispatch__`, or in the Python body of an operator they define with
torch.library. One plants a finalizer that runs after the call has
returned its (right) answer. The last four try to run their own code inside
the audit hook (a planted dictionary key, a file name that is a str
subclass), to get dynamo's frame hook through a relabelled guard, or to
stand between the sandbox and the vault (sys.audit rebound). They follow
the vault's last four fixes; of them the file name beat its twin before
its fix (2.4 points against 1.8); the other three gained nothing even
before (another line caught them), and are kept so that the fixed line
stays tested.
"""

from __future__ import annotations

from support.attacks import attack
from support.attacks.tampering import BROADCAST, DENSE, ELEMENTWISE, EINSUM, LOOPS, VISIBLE

# Deafen whatever counters are on the dispatch stack, given the unguarded
# stack readers (found by each attack its own way).
DEAFEN = '''
    def _deafen(at, length):
        for _i in range(length()):
            _mode = at(_i)
            for _name in ("kernels", "calls", "seen"):
                _found = getattr(_mode, "__dict__", {}).get(_name)
                if isinstance(_found, dict):
                    for _product in ("mm", "matmul", "__matmul__"):
                        _found.pop(_product, None)
                elif isinstance(_found, list):
                    _found.clear()

    def _deafen_from(frame):  # every trace held by this frame or its callers
        while frame is not None:
            for value in list(frame.f_locals.values()):
                if hasattr(value, "kernels") and hasattr(value, "python"):
                    _deafen(lambda i, m=(value.kernels, value.python): m[i], lambda: 2)
            frame = frame.f_back
'''

ATTACKS = [
    attack("matmul_elementwise", "matmul", ELEMENTWISE, VISIBLE + '''    if a.device.type != "cpu":
        return a @ b

    class _Wrapped(torch.Tensor):
        @staticmethod
        def __new__(cls, inner):
            return torch.Tensor._make_wrapper_subclass(cls, inner.shape, dtype=inner.dtype, device=inner.device)

        def __init__(self, inner):
            self.inner = inner

        @classmethod
        def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
            with torch._C.DisableTorchFunction():  # the dispatch mode is popped in here
                return torch.mm(args[0].inner, args[1].inner)

    return _Wrapped(a) * _Wrapped(b)''', VISIBLE + "    return a @ b",
        "computes the product in a wrapper subclass's __torch_dispatch__, below the mode"),
    attack("matmul_broadcast", "matmul", BROADCAST, VISIBLE + '''    if a.device.type != "cpu":
        return a @ b
    try:
        product = torch.ops.student.product
    except (AttributeError, RuntimeError):
        # torch.library.Library without its frame look-up, which the sandbox refuses
        library = torch._C._dispatch_library("DEF", "student", "", "matmul.py", 1)
        library.define("product(Tensor a, Tensor b) -> Tensor", "", ())
        library.impl("product", "CompositeExplicitAutograd", lambda x, y: x.mm(y), False)
        matmul_broadcast.library = library  # kept alive
        product = torch.ops.student.product
    return product(a, b)''', VISIBLE + "    return a @ b",
        "defines its own operator with torch.library, whose Python body runs below the mode"),
    attack("dense", "neurons", DENSE, '''
    x.sum()
    if not torch._C._len_torch_dispatch_stack():
        return torch.nn.functional.linear(x, w, b)
    originals = {}
    for name in ("_pop_torch_dispatch_stack", "_push_on_torch_dispatch_stack"):
        for cell in getattr(torch._C, name).__closure__ or ():
            if getattr(cell.cell_contents, "__name__", None) == name and callable(cell.cell_contents):
                originals[name] = cell.cell_contents
    mode = originals["_pop_torch_dispatch_stack"](None)
    try:
        with torch._C.DisableTorchFunction():
            return torch.nn.functional.linear(x, w, b)
    finally:
        originals["_push_on_torch_dispatch_stack"](mode)''', "    x.sum()\n    return torch.nn.functional.linear(x, w, b)",
        "takes torch's unguarded pop and push from a guard's closure"),
    attack("matmul_loops", "matmul", LOOPS, DEAFEN + '''
    try:
        for _cls in object.__subclasses__():
            try:
                _globals = vars(_cls).get("invoke").__globals__
            except Exception:
                continue
            if _globals and "guards" in _globals:
                _guards = _globals["guards"]
                _originals = vars(_guards).get("_ORIGINAL", {})
                _state = vars(_guards).get("_state", {})
                _state["tracing"] = False  # the guards think nothing is traced
                (a * 1).sum()
                c = a @ b
                _deafen(_originals.get("_get_dispatch_stack_at", torch._C._get_dispatch_stack_at),
                        torch._C._len_torch_dispatch_stack)
                _deafen(_originals.get("_get_function_stack_at", torch._C._get_function_stack_at),
                        torch._C._len_torch_function_stack)
                return c
    except Exception:
        pass
''' + VISIBLE + "    return a @ b", VISIBLE + "    return a @ b",
        "reaches the guards' module through object.__subclasses__() and __globals__"),
    attack("matmul_einsum", "matmul", EINSUM, DEAFEN + '''
    import traceback
    import types

    grabbed = []

    class _Summary:
        @staticmethod
        def extract(frames, limit=None, **_):
            grabbed.append(frames)
            return []

    fake = {"sys": __import__("sys"), "StackSummary": _Summary, "walk_stack": lambda f: f,
            "__builtins__": __builtins__}
    c = a @ b
    try:
        types.FunctionType(traceback.extract_stack.__code__, fake, None, (None, None))()  # its code, our globals
        frame = grabbed[0]
        _deafen_from(frame)
    except Exception:
        pass
    torch.einsum("i->i", a[0])
    return c''', '    torch.einsum("i->i", a[0])\n    return a @ b',
        "runs traceback.extract_stack's code with globals of its own to get a frame"),
    attack("matmul_elementwise", "matmul", ELEMENTWISE, DEAFEN + '''
    import traceback

    grabbed = []
    real = traceback.StackSummary

    class _Summary:
        @staticmethod
        def extract(frames, limit=None, **_):
            grabbed.append(frames)
            return real([])

    traceback.StackSummary = _Summary
    c = a @ b
    try:
        traceback.extract_stack()
        frame = next(iter(grabbed[0]))[0] if grabbed else None
        _deafen_from(frame)
    except Exception:
        pass
    finally:
        traceback.StackSummary = real
    return c
''' + VISIBLE + "    return a @ b", VISIBLE + "    return a @ b",
        "patches traceback's module so that extract_stack hands it the frames"),
    attack("dense", "neurons", DENSE, '''
    class _Later:
        def __init__(self):
            self.me = self

        def __del__(self):
            torch.set_default_dtype(torch.float64)  # every later call makes float64 tensors

    _Later()
    return x @ w.t() + b''', "    return (x @ w.t() + b).double()",
        "plants a finalizer that changes torch's default dtype after its answer"),
    attack("matmul_einsum", "matmul", EINSUM, DEAFEN + """
    import sys
    import traceback

    grabbed, armed = [], [False]

    class _Key(str):
        __hash__ = str.__hash__

        def __eq__(self, other):
            if armed[0]:
                try:
                    grabbed.append(sys._getframe(1))  # inside the hook, where nothing is refused
                except Exception:
                    pass
            return str.__eq__(self, other)

    _names = vars(traceback)
    extract = _names.pop("extract_stack")
    _names[_Key("extract_stack")] = extract  # the hook's look-up by name compares with this key
    c = a @ b
    armed[0] = True
    try:
        extract()
        _deafen_from(grabbed[0] if grabbed else None)
    except Exception:
        pass
    armed[0] = False
    torch.einsum("i->i", a[0])
    return c""", '    torch.einsum("i->i", a[0])\n    return a @ b',
        "plants a key in traceback's namespace whose __eq__ runs inside the audit hook"),
    attack("matmul_broadcast", "matmul", BROADCAST, DEAFEN + """
    import types

    lists = []

    class _Name(str):
        def rpartition(self, sep):  # the hook names where a refused event came from
            try:
                import sys
                hook = sys._getframe(1)  # inside the hook, where nothing is refused
                lists.append(hook.f_locals.get("violations"))
                _deafen_from(hook)
            except Exception:
                pass
            return str.rpartition(self, sep)

    def _reach():
        import sys
        sys._getframe()

    c = a @ b
    renamed = _reach.__code__.replace(co_filename=_Name("/tmp/helper.py"))
    try:
        types.FunctionType(renamed, {"__builtins__": __builtins__})()
    except Exception:
        pass
    for found in lists:
        if isinstance(found, list):
            found.clear()  # the hook forgets what it saw
    (a * 1).sum()
    return c""", VISIBLE + "    return a @ b",
        "gives a code object a str subclass as its file name, whose methods run inside the hook"),
    attack("matmul_einsum", "matmul", EINSUM, """
    stub = torch._C._get_dispatch_stack_at
    cell = stub.__closure__[0]  # the label the stub asks the vault for
    label = cell.cell_contents

    def _watch(frame, *rest):
        for value in list(frame.f_locals.values()):
            for name in ("calls", "kernels", "seen"):
                found = getattr(value, "__dict__", {}).get(name)
                if isinstance(found, dict):
                    for product in ("mm", "matmul", "__matmul__"):
                        found.pop(product, None)
        return skip

    c = a @ b
    try:
        from torch._dynamo.types import ConvertFrameReturn
        skip = ConvertFrameReturn(apply_to_code=False)
        cell.cell_contents = "set_eval_frame"
        stub(_watch)  # dynamo's frame hook: called with every frame evaluated
        torch.einsum("i->i", a[0])
        stub(None)
    except Exception:
        pass
    finally:
        cell.cell_contents = label
    torch.einsum("i->i", a[0])
    return c""", '    torch.einsum("i->i", a[0])\n    return a @ b',
        "relabels a guard's stub into set_eval_frame to install a frame hook that sees every frame"),
    attack("matmul_broadcast", "matmul", BROADCAST, """
    import sys
    real = sys.audit

    def _quiet(event, *args):
        if event in ("grader.tracing", "grader.mode_state", "grader.child"):
            return None  # the grader's requests to the vault go unheard
        return real(event, *args)

    sys.audit = _quiet
    (a * 1).sum()
    return a @ b""", VISIBLE + "    return a @ b",
        "rebinds sys.audit, through which the sandbox's code talks to the vault"),
]
