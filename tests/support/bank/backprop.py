"""Mistakes and alternatives for backprop.py."""

from support.grading_support import Edit

CHAIN = (
    '    u = sympy.Dummy("u")\n'
    "    outer = sympy.diff(f(u), u).subs(u, g(x))\n"
    "    inner = sympy.diff(g(x), x)\n"
    "    return outer * inner\n"
)
MSE_GRAD = "    inp.g = 2.0 * diff.unsqueeze(-1) / inp.shape[0]"
RELU_GRAD = "    inp.g = (inp > 0).to(inp.dtype) * out.g"
LIN_GRAD = "    inp.g = out.g @ w.t()\n    w.g = inp.t() @ out.g\n    b.g = out.g.sum(0)\n"
BACKWARD = (
    "    out_g = 2.0 * diff.unsqueeze(-1) / out.shape[0]  # mse\n"
    "    w2.g = l2.t() @ out_g  # second linear layer\n"
    "    b2.g = out_g.sum(0)\n"
    "    l2_g = out_g @ w2.t()\n"
    "    l1_g = (l1 > 0).to(l1.dtype) * l2_g  # relu\n"
    "    w1.g = inp.t() @ l1_g  # first linear layer\n"
    "    b1.g = l1_g.sum(0)\n"
    "    inp.g = l1_g @ w1.t()\n"
)
AUTOGRAD = (
    "    leaves = [t.detach().requires_grad_() for t in (inp, w1, b1, w2, b2)]\n"
    "    x_, w1_, b1_, w2_, b2_ = leaves\n"
    "    pred = (x_ @ w1_ + b1_).clamp_min(0.0) @ w2_ + b2_\n"
    "    (pred.squeeze(-1) - targ).pow(2).mean().backward()\n"
    "    for t, leaf in zip((inp, w1, b1, w2, b2), leaves):\n"
    "        t.g = leaf.grad\n"
)

MISTAKES = [
    Edit("chain_rule", "backprop", CHAIN, "    return sympy.diff(f(g(x)), x)\n",
         "differentiates the composition f(g(x))"),
    Edit("chain_rule", "backprop", "    return outer * inner\n", "    return outer\n", "forgets g'(x)"),
    Edit("chain_rule", "backprop", ".subs(u, g(x))", ".subs(u, x)", "evaluates f' at x instead of g(x)"),
    Edit("mse_grad", "backprop", MSE_GRAD, "    inp.g = 2.0 * diff.unsqueeze(-1)", "forgets to divide by n"),
    Edit("mse_grad", "backprop", MSE_GRAD, "    inp.g = 2.0 * diff / inp.shape[0]",
         "no unsqueeze: inp.g has shape (n,)"),
    Edit("relu_grad", "backprop", RELU_GRAD, "    inp.g = (inp >= 0).to(inp.dtype) * out.g",
         "slope 1 at exactly 0"),
    Edit("relu_grad", "backprop", RELU_GRAD, "    out.g[inp <= 0] = 0\n    inp.g = out.g",
         "zeroes out.g in place and hands it over as inp.g"),
    Edit("lin_grad", "backprop", LIN_GRAD, LIN_GRAD.replace("w.g = inp.t() @ out.g", "w.g = out.g.t() @ inp"),
         "w.g transposed"),
    Edit("lin_grad", "backprop", LIN_GRAD, LIN_GRAD.replace("out.g.sum(0)", "out.g.sum(1)"),
         "b.g summed over the wrong dimension"),
    Edit("lin_grad", "backprop", LIN_GRAD, LIN_GRAD.replace("w.g = inp.t() @ out.g", "w.g = inp.t() @ out"),
         "w.g from the output instead of its gradient"),
    Edit("forward_and_backward", "backprop", BACKWARD,
         BACKWARD.replace("(l1 > 0).to(l1.dtype) * l2_g", "l2_g"), "skips the ReLU going backward"),
    Edit("forward_and_backward", "backprop", BACKWARD, BACKWARD.replace("inp.t() @ l1_g", "inp.t() @ l2_g"),
         "w1.g from the gradient before the ReLU step"),
    Edit("forward_and_backward", "backprop", BACKWARD, AUTOGRAD, "autograd instead of the backward pass"),
]

ALTERNATIVES = [
    # The chapter's own line: float() times out.g promotes to out.g's dtype
    # for float32 and float64, the dtypes SPEC grades.
    Edit("relu_grad", "backprop", RELU_GRAD, "    inp.g = (inp > 0).float() * out.g", "the chapter's (inp > 0).float()"),
    Edit("chain_rule", "backprop", CHAIN, "    return sympy.diff(f(x), x).subs(x, g(x)) * sympy.diff(g(x), x)\n",
         "substitutes into diff(f(x), x)"),
    Edit("mse_grad", "backprop", "    diff = inp.squeeze(-1) - targ\n" + MSE_GRAD,
         "    inp.g = 2 * (inp - targ.unsqueeze(-1)) / targ.shape[0]", "targ as a column"),
    Edit("relu_grad", "backprop", RELU_GRAD, "    inp.g = torch.where(inp > 0, out.g, torch.zeros_like(out.g))",
         "where"),
    Edit("lin_grad", "backprop", LIN_GRAD,
         "    inp.g = out.g @ w.T\n    w.g = (inp.unsqueeze(-1) * out.g.unsqueeze(1)).sum(0)\n"
         "    b.g = out.g.sum(dim=0)\n", "the chapter's broadcast product"),
    Edit("forward_and_backward", "backprop", BACKWARD,
         "    mse_grad(out, targ)\n    lin_grad(l2, out, w2, b2)\n    relu_grad(l1, l2)\n"
         "    lin_grad(inp, l1, w1, b1)\n", "through the module's own gradient functions"),
]
