"""Attacks that behave differently when watched, or work where the tracer cannot see.

The honest path is slow (a Python loop over rows) and passes every
restriction; the fast path uses what the item forbids. The attack takes the
fast path only when it believes it is being timed, not traced: no mode on
the stack, the caller's frame, the number of calls so far, a result
remembered from an earlier call. Its twin is the honest slow path alone,
which loses the speed check. Others do the forbidden work where torch's
tracer never looks: another thread, a forked process, NumPy.
"""

from __future__ import annotations

from support.attacks import attack
from support.attacks.tampering import DENSE, ELEMENTWISE, GROWING, LOOPS, RELU

SLOW_RELU = "    return torch.stack([row.clamp_min(0.0) for row in x]) if x.dim() > 1 else x.clamp_min(0.0)"
SLOW_DENSE = "    return torch.stack([(row * w).sum(dim=1) + b for row in x])"
CONV_START = "    n, _, h, w = x.shape\n    o, _, kh, kw = weight.shape"
# One product per output position, as the slow variant the grader times against.
SLOW_CONV = '''
    def slow_conv(x, weight, bias, stride, padding):
        n, _, h, w = x.shape
        o, _, kh, kw = weight.shape
        cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)
        kernels = weight.reshape(o, -1)
        out = torch.stack([kernels @ cols[:, :, p].t() for p in range(cols.shape[2])], dim=2).permute(1, 0, 2)
        if bias is not None:
            out = out + bias[:, None]
        return out.reshape(n, o, (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1)
'''


ATTACKS = [
    attack("matmul_loops", "matmul", LOOPS, GROWING + '''    if a.device.type != "cpu":
        return a @ b
    # a 1-wide convolution over the rows is the product, by another name
    return torch.nn.functional.conv1d(a.t()[None], b.t()[:, :, None])[0].t()''', GROWING + "    return a @ b",
        "computes the product as a convolution"),
    attack("relu", "neurons", RELU, '''
    if not torch._C._len_torch_function_stack():  # nobody is watching
        return torch.relu(x)
''' + SLOW_RELU, SLOW_RELU, "takes torch.relu when no tracing mode is on the stack"),
    attack("dense", "neurons", DENSE, '''
    if x.shape[0] >= 1024:  # only the timing uses inputs this large
        return torch.nn.functional.linear(x, w, b)
''' + SLOW_DENSE, SLOW_DENSE, "turns to F.linear on inputs as large as the timing's"),
    attack("conv2d_unfold", "research", CONV_START, SLOW_CONV + '''
    if x.device.type != "cpu" or x.numel() < 1000:  # the checks' small inputs: honest
        return slow_conv(x, weight, bias, stride, padding)
    seen = conv2d_unfold.__dict__.setdefault("seen", {})
    key = (x.numpy().tobytes(), weight.numpy().tobytes(), None if bias is None else bias.numpy().tobytes(),
           tuple(x.shape), tuple(weight.shape), stride, padding)
    if key not in seen:  # the same inputs again are the timing's repeated calls
        seen[key] = slow_conv(x, weight, bias, stride, padding)
    return seen[key].clone()
''' + CONV_START, SLOW_CONV + "    return slow_conv(x, weight, bias, stride, padding)\n" + CONV_START,
        "remembers its results by the inputs' content"),
    attack("relu", "neurons", RELU, '''
    import sys
    if sys._getframe(1).f_code.co_name in ("op_repeat", "_repeat"):  # called by the timing loop
        return torch.relu(x)
''' + SLOW_RELU, SLOW_RELU, "takes torch.relu when its caller is the timing loop"),
    attack("numpy_forward_backward", "research", "    ### BEGIN SOLUTION\n    # forward, keeping the activations", '''    ### BEGIN SOLUTION
    import threading

    import torch

    found = {}

    def by_autograd():
        tensors = {name: torch.from_numpy(array.copy()).requires_grad_()
                   for name, array in (("x", x), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2))}
        out = (tensors["x"] @ tensors["w1"] + tensors["b1"]).clamp_min(0) @ tensors["w2"] + tensors["b2"]
        loss = ((out.squeeze(-1) - torch.from_numpy(y)) ** 2).mean()
        loss.backward()
        found["loss"] = float(loss)
        found["grads"] = {name: t.grad.numpy() for name, t in tensors.items()}

    worker = threading.Thread(target=by_autograd)  # the tracer watches this thread only
    worker.start()
    worker.join()
    return found["loss"], found["grads"]
    # forward, keeping the activations''', '''    ### BEGIN SOLUTION
    import torch

    tensors = {name: torch.from_numpy(array.copy()).requires_grad_()
               for name, array in (("x", x), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2))}
    out = (tensors["x"] @ tensors["w1"] + tensors["b1"]).clamp_min(0) @ tensors["w2"] + tensors["b2"]
    loss = ((out.squeeze(-1) - torch.from_numpy(y)) ** 2).mean()
    loss.backward()
    return float(loss), {name: t.grad.numpy() for name, t in tensors.items()}
    # forward, keeping the activations''', "does torch's autograd on another thread"),
    attack("matmul_loops", "matmul", LOOPS, GROWING + '''
    import os
    import pickle

    if a.device.type != "cpu":
        return a @ b
    read, write = os.pipe()
    if os.fork() == 0:  # a helper process: no tracer there
        os.write(write, pickle.dumps((a @ b).tolist()))
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 1 << 16):
        data += chunk
    os.close(read)
    return torch.tensor(pickle.loads(data), dtype=a.dtype)''', GROWING + "    return a @ b",
        "computes the product in a forked helper process"),
    attack("matmul_elementwise", "matmul", ELEMENTWISE, '''
    if a.device.type != "cpu":
        return a @ b
    return torch.from_numpy(a.numpy() @ b.numpy())''', "    return a @ b",
        "computes the product in NumPy"),
]
