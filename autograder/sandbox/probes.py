"""Trusted helpers that run inside a child, next to the student's objects.

Some checks need to touch an object where it lives: the parameters of an
`nn.Module`, a backward pass through a student's `autograd.Function`. A probe
does that one thing and returns plain data; the grader judges the data.
A probe runs inside the child's boundary (child.Child.invoke) as a whole, so
whatever the student's code changed while it ran is found and put back
before the answer is encoded; a probe that compares something after calling
student code (did the call change its input?) calls it through `child.run`,
which checks right after that call.

Callables (`make_callable`) are the inputs a student's function takes that the
grader cannot send: a function to time, a sympy function to differentiate.
Each is a generator's `__next__` or `send`: what it records lives in the
generator's frame and in the child's table, out of reach of the student's
code (the audit hook refuses `gi_frame`), so time_call cannot rewrite the
record of its own calls.
"""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext

import numpy as np
import torch

from autograder.sandbox import slow_variants, wire
from autograder.sandbox.student_errors import describe_exception, plain

PROBES = {}


def probe(function):
    PROBES[function.__name__] = function
    return function


def _sleeper(schedule, records, *, _clock=time.perf_counter, _sleep=time.sleep, _len=len, _min=min):
    """Each resumption sleeps its turn of `schedule` and records when it began and ended."""
    last, n = _len(schedule) - 1, 0
    while True:
        yield None
        start = _clock()
        _sleep(schedule[_min(n, last)])
        records.append((start, _clock()))
        n += 1


def _substitute(var, body, records):
    """f(expr) = body with `var` replaced by expr; records each argument."""
    result = None
    while True:
        expr = yield result
        records.append((expr,))
        result = body.subs(var, expr)


def make_callable(spec: dict):
    """(the callable handed to the student, the list it records into)."""
    kind, records = spec["kind"], []
    if kind == "sleeper":
        generator = _sleeper([float(s) for s in spec["schedule"]], records)
        next(generator)
        return generator.__next__, records
    if kind == "sympy":
        generator = _substitute(wire.decode_sympy(spec["var"]), wire.decode_sympy(spec["body"]), records)
        next(generator)
        return generator.send, records
    if kind == "slow_variant":  # the next-slower version of an item, timed in the reference's child
        return slow_variants.VARIANTS[spec["name"]], records
    raise ValueError(f"unknown callable {kind!r}")


def recorded(records: list) -> dict:
    """How many calls a callable had, their arguments and, for a sleeper, their spans."""
    return {"calls": len(records),
            "args": [list(r) for r in records[:100] if len(r) == 1],
            "spans": [list(r) for r in records[:1000] if len(r) == 2]}


@probe
def parameters(child, module) -> list:
    """(name, tensor) for every registered parameter."""
    return [(name, p) for name, p in module.named_parameters()]


@probe
def state_dict_keys(child, module) -> list:
    return list(module.state_dict().keys())


@probe
def submodules(child, module) -> list:
    return [(name, type(m).__name__) for name, m in module.named_children()]


@probe
def is_instance(child, value, kind: str) -> bool:
    bases = {"Module": torch.nn.Module, "Function": torch.autograd.Function, "Tensor": torch.Tensor}
    if isinstance(value, type):
        return issubclass(value, bases[kind])
    return isinstance(value, bases[kind])


@probe
def module_to(child, module, dtype: str):
    """`module.to(dtype)`; returns the dtypes of its parameters afterwards."""
    module.to(wire.DTYPES[dtype])
    return [str(p.dtype).removeprefix("torch.") for p in module.parameters()]


@probe
def forward_backward(child, module, x: torch.Tensor, *extra) -> dict:
    """Run the module, backpropagate the sum of its output, report the gradients."""
    x = x.detach().requires_grad_(True)
    out = module(x, *extra)
    out.sum().backward()
    return {
        "out": out.detach(),
        "x_grad": x.grad,
        "grads": {name: p.grad for name, p in module.named_parameters()},
    }


@probe
def function_backward(child, function, x: torch.Tensor, grad: torch.Tensor) -> dict:
    """`function.apply(x)` and its backward pass with `grad` from above."""
    x = x.detach().requires_grad_(True)
    out = function.apply(x)
    out.backward(grad)
    return {"out": out.detach(), "x_grad": x.grad, "grad_fn": type(out.grad_fn).__name__}


# -- probes for autograd_function.py, modules.py and research.py ----------------------


def _error(exc: BaseException) -> dict:
    error = getattr(exc, "error", None)  # child.StudentRaised carries its description
    return error if isinstance(error, dict) else describe_exception(exc)


def _on(device: str) -> str:
    """The torch device for a grader device name. Fake CUDA is refused here:
    autograd on fake CUDA tensors aborts the process on a CPU-only build."""
    if device not in ("cpu", "meta", "cuda"):
        raise ValueError(f"probes run on cpu, meta or cuda, not {device!r}")
    return device


@probe
def manual_seed(child, seed: int) -> None:
    """Seed the child's global generator, so that what the student draws from
    it (a layer's initial weights) is the same on every grading run."""
    torch.manual_seed(int(seed))


@probe
def apply_backward(child, name: str, x: torch.Tensor, grad: torch.Tensor) -> dict:
    """`<name>.apply(x)` of the module's autograd Function, then its backward
    pass with `grad` from above: the output, the input's gradient, how many
    tensors forward saved, and whether the call changed `x` or `grad`."""
    x = x.detach().clone().requires_grad_(True)
    x_before, grad_before = x.detach().clone(), grad.clone()

    def forward_and_backward():
        out = getattr(child.module, name).apply(x)
        grad_fn = out.grad_fn
        saved = len(grad_fn.saved_tensors) if grad_fn is not None else 0
        out.backward(grad)
        return out, grad_fn, saved

    try:
        out, grad_fn, saved = child.run(forward_and_backward)
    except Exception as exc:
        return {"error": _error(exc)}
    # Compared after child.run's check: nothing the student changed is in force now.
    return {
        "out": out.detach() if type(out) in (torch.Tensor, torch.nn.Parameter) else None,
        "x_grad": x.grad,
        "saved": saved,
        "grad_fn": wire.type_name(grad_fn) if grad_fn is not None else None,
        "x_changed": not torch.equal(x.detach(), x_before),
        "grad_changed": not torch.equal(grad, grad_before),
    }


@probe
def apply_gradcheck(child, name: str, x: torch.Tensor) -> dict:
    """`torch.autograd.gradcheck` of `<name>.apply` at `x`: whether it passed,
    and the first line of its complaint when it did not."""
    function = getattr(child.module, name)
    x = x.detach().clone().requires_grad_(True)
    try:
        passed = bool(torch.autograd.gradcheck(function.apply, (x,), raise_exception=True))
    except Exception as exc:
        error = _error(exc)
        error["message"] = error["message"].strip().splitlines()[0][:300] if error["message"].strip() else ""
        return {"passed": False, "error": error}
    return {"passed": passed}


@probe
def apply_on_device(child, name: str, device: str, shape: list, dtype: str) -> dict:
    """`<name>.apply` forward and backward on `device` ("meta" or "cuda"):
    where the output and the input's gradient ended up."""
    function = getattr(child.module, name)
    where = _on(device)
    try:
        x = torch.randn(*shape, dtype=wire.DTYPES[dtype], device=where).requires_grad_(True)
        out = function.apply(x)
        out.backward(torch.ones_like(out))
        return {
            "out": [str(out.device), list(out.shape), str(out.dtype).removeprefix("torch.")],
            "x_grad": None if x.grad is None else
            [str(x.grad.device), list(x.grad.shape), str(x.grad.dtype).removeprefix("torch.")],
        }
    except Exception as exc:
        return {"error": _error(exc)}


@probe
def count_function_uses(child, function_name: str, target_name: str, args: list, kwargs: dict) -> dict:
    """Call `<target_name>(*args, **kwargs)` of the module while counting the
    forward and backward passes of its autograd Function `<function_name>`."""
    cls = getattr(child.module, function_name)
    counts = {"forward": 0, "backward": 0}
    originals = {name: cls.__dict__.get(name) for name in ("forward", "backward")}

    def counting(name, function):
        def wrapper(*a, **k):
            counts[name] += 1
            return function(*a, **k)

        return staticmethod(wrapper)

    value = error = None
    try:
        for name in originals:
            setattr(cls, name, counting(name, getattr(cls, name)))
        value = getattr(child.module, target_name)(*args, **kwargs)
    except Exception as exc:
        error = _error(exc)
    finally:
        for name, original in originals.items():
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)
    return {**counts, "value": value if isinstance(value, list) else None, "error": error}


@probe
def parameter_kinds(child, module) -> list:
    """(name, shape, dtype, is an nn.Parameter, requires grad) of every parameter."""
    return [
        (name, list(p.shape), str(p.dtype).removeprefix("torch."),
         isinstance(p, torch.nn.Parameter), bool(p.requires_grad))
        for name, p in module.named_parameters()
    ]


@probe
def set_parameters(child, module, values: dict) -> dict:
    """Copy `values` (name -> tensor) into the module's parameters of those
    names; shapes must already match. Reports what could not be set."""
    params = dict(module.named_parameters())
    missing = [name for name in values if name not in params]
    mismatched = [(name, list(params[name].shape), list(v.shape))
                  for name, v in values.items() if name in params and params[name].shape != v.shape]
    if not missing and not mismatched:
        with torch.no_grad():
            for name, v in values.items():
                params[name].copy_(v)
    return {"missing": missing, "mismatched": mismatched}


@probe
def named_modules(child, module) -> list:
    """(name, class name, in and out features where it has them) of every submodule."""
    return [(name, type(m).__name__, getattr(m, "in_features", None), getattr(m, "out_features", None))
            for name, m in module.named_modules() if name]


@probe
def module_on_device(child, class_name: str, init_args: list, device: str, inputs: list) -> dict:
    """Build `<class_name>(*init_args)` on the CPU, move it with `.to(device)`
    ("meta" or "cuda") and run it on fresh inputs there (`inputs`: [shape,
    dtype] pairs): where the output and the parameters ended up."""
    cls = getattr(child.module, class_name)
    where = _on(device)
    try:
        module = cls(*init_args).to(where)
        xs = [torch.randn(*shape, dtype=wire.DTYPES[dtype], device=where) for shape, dtype in inputs]
        out = module(*xs)
        return {
            "out": [str(out.device), list(out.shape), str(out.dtype).removeprefix("torch.")],
            "params": {name: str(p.device) for name, p in module.named_parameters()},
        }
    except Exception as exc:
        return {"error": _error(exc)}


@probe
def subclass_of_module(child, variant: str) -> dict:
    """Subclass the module's `Module` the ways a student's model might, build
    it and report what nn.Module registered: parameters, children, buffers,
    state_dict keys, and the shape of a forward pass."""
    from torch import nn

    base = child.module.Module

    class NoSuper(base):
        def __init__(self, n):
            self.scale = nn.Parameter(torch.ones(n))
            self.lin = nn.Linear(n, 2)

        def forward(self, x):
            return self.lin(x * self.scale)

    class SuperFirst(base):
        def __init__(self, n):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(n))
            self.lin = nn.Linear(n, 2)

        def forward(self, x):
            return self.lin(x * self.scale)

    class SuperAfter(base):
        def __init__(self, n):
            self.scale = nn.Parameter(torch.ones(n))
            self.lin = nn.Linear(n, 2)
            super().__init__()

        def forward(self, x):
            return self.lin(x * self.scale)

    class Keywords(base):
        def __init__(self, n, *, out=2, buffer=True):
            self.lin = nn.Linear(n, out)
            if buffer:
                self.register_buffer("count", torch.zeros(1))

        def forward(self, x):
            return self.lin(x)

    class NoInit(base):
        def forward(self, x):
            return self.lin(x)

    class Derived(NoSuper):
        def __init__(self, n):
            super().__init__(n)
            self.head = nn.Linear(2, 1)

        def forward(self, x):
            return self.head(super().forward(x))

    try:
        if variant == "no_super":
            model = NoSuper(3)
        elif variant == "super_first":
            model = SuperFirst(3)
        elif variant == "super_after":
            model = SuperAfter(3)
        elif variant == "keywords":
            model = Keywords(3, out=4, buffer=True)
        elif variant == "no_init":
            model = NoInit()
            model.lin = nn.Linear(3, 2)
        elif variant == "derived":
            model = Derived(3)
        elif variant == "two":
            first, model = NoSuper(3), NoSuper(3)
            with torch.no_grad():
                first.scale.fill_(5.0)
            if first.lin is model.lin or first.scale is model.scale:
                return {"error": plain("Shared", "two instances share their layers")}
            if bool((model.scale == 5.0).all()):
                return {"error": plain("Shared", "two instances share their parameters")}
        elif variant == "base":
            model = base()
            return {"params": [], "children": list(model._modules), "buffers": [],
                    "state_dict": list(model.state_dict()), "is_module": isinstance(model, nn.Module),
                    "out": None}
        else:
            raise ValueError(f"unknown variant {variant!r}")
        out = model(torch.ones(2, 3))
        return {
            "params": sorted(name for name, _ in model.named_parameters()),
            "children": sorted(name for name, _ in model.named_children()),
            "buffers": sorted(name for name, _ in model.named_buffers()),
            "state_dict": sorted(model.state_dict()),
            "is_module": isinstance(model, nn.Module),
            "out": list(out.shape),
        }
    except Exception as exc:
        return {"error": _error(exc)}


@probe
def is_subclass_of(child, class_name: str, base_name: str) -> bool:
    """Is the module's `<class_name>` a subclass of its `<base_name>`?"""
    cls, base = getattr(child.module, class_name), getattr(child.module, base_name)
    return isinstance(cls, type) and isinstance(base, type) and issubclass(cls, base)


@probe
def changes_arrays(child, name: str, args: list) -> dict:
    """Call `<name>(*args)` on NumPy arrays and report which arguments it
    changed in place (positions) and what it returned, or the error it raised."""
    before = [a.copy() if type(a) is np.ndarray else None for a in args]
    try:
        value = child.run(lambda: getattr(child.module, name)(*args))
    except Exception as exc:
        return {"error": _error(exc), "changed": []}
    changed = [i for i, (a, b) in enumerate(zip(args, before))
               if b is not None and not (type(a) is np.ndarray and a.shape == b.shape
                                         and np.array_equal(a, b, equal_nan=True))]
    return {"error": None, "changed": changed, "value": value}


# -- probes for neurons.py and broadcasting.py -------------------------------------------


def _view(base: torch.Tensor, ops: list) -> torch.Tensor:
    """A view of `base` built by trusted code: each op is ["slice", dim, start,
    stop, step], ["expand", shape] or ["t"]."""
    view = base
    for op in ops:
        kind, *params = op
        if kind == "slice":
            dim, start, stop, step = (int(p) for p in params)
            index = [slice(None)] * view.ndim
            index[dim] = slice(start, stop, step)
            view = view[tuple(index)]
        elif kind == "expand":
            view = view.expand(*[int(n) for n in params[0]])
        elif kind == "t":
            view = view.t()
        else:
            raise ValueError(f"unknown view op {kind!r}")
    return view


@probe
def call_on_view(child, name: str, base: torch.Tensor, ops: list, extra: list) -> dict:
    """Call `<name>(view, *extra)`, where `view` is a view of `base` (a slice,
    an expanded or a transposed tensor: see `_view`). Reports the value (or the
    error), whether a tensor result shares the view's storage, its stride and
    storage offset, and whether the call changed `base`."""
    base = base.contiguous()
    before = base.clone()
    view = _view(base, ops)
    try:
        value = child.run(lambda: getattr(child.module, name)(view, *extra))
    except Exception as exc:
        return {"error": _error(exc), "changed": not torch.equal(base, before)}
    out = {"error": None, "value": value, "shares": None, "stride": None, "offset": None,
           "changed": not torch.equal(base, before)}
    if type(value) in (torch.Tensor, torch.nn.Parameter):
        out["shares"] = (value.untyped_storage().data_ptr() == view.untyped_storage().data_ptr())
        out["stride"] = list(value.stride())
        out["offset"] = int(value.storage_offset())
    return out


@probe
def packages_called(child, name: str, args: list) -> dict:
    """Call `<name>(*args)` under `sys.setprofile` and report the top-level
    packages of the functions it called (Python functions by their module, C
    functions by theirs), other than the module itself and the builtins; with
    the value or the error and the module of the value's type."""
    own = child.module.__name__
    seen: set[str] = set()

    def top(name) -> str:
        return name.split(".")[0] if type(name) is str else ""

    def profile(frame, event, arg):
        if event == "call":
            seen.add(top(frame.f_globals.get("__name__")))
        elif event == "c_call":
            module = getattr(arg, "__module__", None)
            if module is None:
                module = type(getattr(arg, "__self__", None)).__module__
            seen.add(top(module))

    function = getattr(child.module, name)

    def profiled():
        sys.setprofile(profile)
        try:
            return function(*args)
        finally:
            sys.setprofile(None)

    try:
        value = child.run(profiled)
    except Exception as exc:
        packages = sorted(seen - {own, "builtins", "sys", ""})
        return {"error": _error(exc), "packages": packages, "type_module": None}
    packages = sorted(seen - {own, "builtins", "sys", ""})
    return {"error": None, "packages": packages, "value": value,
            "type_module": type(value).__module__}


# -- probes for backprop.py and layers.py ---------------------------------------------


def _describe(value):
    """[device, shape, dtype] of a tensor, or the type name of anything else."""
    if type(value) in wire.tensor_types():
        return [str(value.device), list(value.shape), str(value.dtype).removeprefix("torch.")]
    return None if value is None else wire.type_name(value)


def fake_mode():
    from torch._subclasses.fake_tensor import FakeTensorMode

    return FakeTensorMode(allow_non_fake_inputs=False)


def _placed(device: str):
    """(context, torch device) for a grader device name; "fake-cuda" runs under
    FakeTensorMode, as `Child.op_call` does."""
    if device == "fake-cuda":
        return fake_mode(), "cuda"
    return nullcontext(), _on(device)


@probe
def set_g(child, target, g: torch.Tensor, attr: str | None = None) -> dict:
    """Set `.g` on a kept tensor, or on `target.<attr>` (a layer's `out`), as the
    backward pass of the layer above would. Reports an error when `attr` is
    missing or not a tensor."""
    try:
        tensor = getattr(target, attr) if attr else target
    except Exception as exc:
        return {"error": _error(exc)}
    if not isinstance(tensor, torch.Tensor):
        return {"error": plain("TypeError", f"{attr or 'the target'} is a {wire.type_name(tensor)}, "
                                            "not a tensor")}
    tensor.g = g
    return {"error": None}


@probe
def grads_on_device(child, device: str, name: str, specs: list, preset: list) -> dict:
    """Call `<name>(*tensors)` of the module on fresh tensors on `device`
    ("fake-cuda", "meta" or "cuda"; `specs`: [shape, dtype] per argument), with
    `.g` set beforehand on the arguments at the positions in `preset` (to a
    tensor of that argument's shape). Reports where the result and the `.g`
    of every argument ended up."""
    context, where = _placed(device)
    try:
        with context:
            def make(shape, dtype):
                return torch.randn(*shape, dtype=wire.DTYPES[dtype], device=where)

            tensors = [make(shape, dtype) for shape, dtype in specs]
            for position in preset:
                tensors[position].g = make(*specs[position])
            value = getattr(child.module, name)(*tensors)
            return {
                "error": None,
                "value": _describe(value),
                "g": [_describe(getattr(t, "g", None)) for t in tensors],
            }
    except Exception as exc:
        return {"error": _error(exc)}


@probe
def model_on_device(child, device: str, sizes: list, dtype: str) -> dict:
    """`Model(w1, b1, w2, b2)(x, targ)` then `.backward()` of the module on
    fresh tensors on `device` (`sizes`: batch, n_in, nh): where the loss and
    the `.g` of x and of every weight and bias ended up."""
    batch, n_in, nh = sizes
    context, where = _placed(device)
    kind = wire.DTYPES[dtype]
    try:
        with context:
            make = torch.randn
            shapes = [(batch, n_in), (n_in, nh), (nh,), (nh, 1), (1,)]
            x, w1, b1, w2, b2 = (make(*s, dtype=kind, device=where) for s in shapes)
            targ = make(batch, dtype=kind, device=where)
            model = child.module.Model(w1, b1, w2, b2)
            loss = model(x, targ)
            model.backward()
            names = ["x", "w1", "b1", "w2", "b2"]
            return {
                "error": None,
                "loss": _describe(loss),
                "g": {n: _describe(getattr(t, "g", None)) for n, t in zip(names, [x, w1, b1, w2, b2])},
            }
    except Exception as exc:
        return {"error": _error(exc)}


@probe
def layer_protocol(child, x: torch.Tensor, y: torch.Tensor, g: torch.Tensor) -> dict:
    """Run the module's `LayerFunction` machinery on trusted subclasses.

    `Product` has `forward(a, b) = a * b + 1` and a `bwd` that records how it
    was called and sets `a.g = out.g * b`, `b.g = out.g * a`. The probe calls
    a `Product` on (x, y), sets `layer.out.g = g`, calls `layer.backward()`,
    and reports what happened: the value returned, what `out` and `args` hold,
    how `bwd` was called and the `.g` it left. `NoBwd` defines only
    `forward`; its `backward()` should reach the base `bwd`.
    """
    base = child.module.LayerFunction
    calls = []

    def which(a) -> str:
        return "x" if a is x else "y" if a is y else type(a).__name__

    class Product(base):
        def forward(self, a, b):
            return a * b + 1

        def bwd(self, out, a, b):
            calls.append([out is getattr(self, "out", None), which(a), which(b)])
            a.g = out.g * b
            b.g = out.g * a

    class NoBwd(base):
        def forward(self, a):
            return a + 1

    report = {"error": None, "stage": None}
    layer = Product()
    try:
        value = layer(x, y)
    except Exception as exc:
        return {**report, "error": _error(exc), "stage": "calling the layer"}
    out, args = getattr(layer, "out", None), getattr(layer, "args", None)
    report.update(
        value=value if isinstance(value, torch.Tensor) else _describe(value),
        has_out=hasattr(layer, "out"),
        out_is_value=out is value,
        args=[which(a) for a in args] if isinstance(args, (list, tuple)) else _describe(args),
    )
    if isinstance(out, torch.Tensor):
        out.g = g
        try:
            layer.backward()
        except Exception as exc:
            return {**report, "error": _error(exc), "stage": "layer.backward()"}
    report.update(bwd_calls=calls, x_g=getattr(x, "g", None), y_g=getattr(y, "g", None))
    plain = NoBwd()
    try:
        plain(x)
        plain.out.g = g
        plain.backward()
        report["no_bwd"] = None
    except Exception as exc:
        report["no_bwd"] = _error(exc)
    return report
