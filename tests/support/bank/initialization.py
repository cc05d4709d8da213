"""Mistakes and alternatives for initialization.py."""

from support.grading_support import Edit

INIT_W = (
    "    w1 = torch.randn(n_in, nh, generator=generator, device=device) * math.sqrt(2 / n_in)\n"
    "    w2 = torch.randn(nh, n_out, generator=generator, device=device) * math.sqrt(2 / nh)\n"
)
INIT_B = "    b1 = torch.zeros(nh, device=device)\n    b2 = torch.zeros(n_out, device=device)\n"
LIN = "    return x @ w + b"
MODEL_RELU = "    hidden = lin(x, w1, b1).clamp_min(0.0)"
ACT_RETURN = "    return l1, l2, out"
ACT_RELU = "    l2 = l1.clamp_min(0.0)"
DEEP_LOOP = (
    "    for _ in range(n_layers):\n"
    "        x = x @ (torch.randn(n, n, generator=generator, device=device) * scale)\n"
    "        if use_relu:\n"
    "            x = x.clamp_min(0.0)\n"
    "    return x.std().item()"
)
XAVIER = "    return 1 / sympy.sqrt(n_in)"
KAIMING = "    return sympy.sqrt(sympy.Integer(2) / n_in)"

MISTAKES = [
    Edit("init_mlp", "initialization", INIT_W, INIT_W.replace("sqrt(2 /", "sqrt(1 /"),
         "Xavier's scale sqrt(1 / n_in) instead of Kaiming's"),
    Edit("init_mlp", "initialization", INIT_W,
         INIT_W.replace("randn(n_in, nh,", "randn(nh, n_in,").replace("randn(nh, n_out,", "randn(n_out, nh,"),
         "weights transposed, as nn.Linear stores them"),
    Edit("init_mlp", "initialization", INIT_W,
         INIT_W.replace("sqrt(2 / nh)", "sqrt(2 / n_out)").replace("sqrt(2 / n_in)", "sqrt(2 / nh)"),
         "scales by the fan-out"),
    Edit("init_mlp", "initialization", INIT_B,
         "    b1 = torch.randn(nh, generator=generator)\n    b2 = torch.randn(n_out, generator=generator)\n",
         "random biases"),
    Edit("init_mlp", "initialization", INIT_W, INIT_W.replace("generator=generator, ", ""),
         "ignores the generator"),
    Edit("forward", "initialization", LIN, "    return x @ w.t() + b", "transposes w as for nn.Linear"),
    Edit("forward", "initialization", MODEL_RELU, "    hidden = lin(x, w1, b1)", "no ReLU between the layers"),
    Edit("forward", "initialization", "    return lin(hidden, w2, b2)", "    return lin(hidden, w2, b2).clamp_min(0.0)",
         "a ReLU after the last layer too"),
    Edit("forward_activations", "initialization", ACT_RETURN, "    return l2, l2, out",
         "returns the activation twice"),
    Edit("forward_activations", "initialization", ACT_RELU, "    l2 = l1.clamp_min_(0.0)",
         "ReLU in place: l1 is lost"),
    Edit("deep_stats", "initialization", DEEP_LOOP,
         DEEP_LOOP.replace("        x = x @ (torch.randn(n, n, generator=generator, device=device) * scale)\n", "")
         .replace("            x = x.clamp_min(0.0)\n",
                  "            x = x.clamp_min(0.0)\n"
                  "        x = x @ (torch.randn(n, n, generator=generator, device=device) * scale)\n"),
         "the ReLU before the product"),
    Edit("deep_stats", "initialization", DEEP_LOOP,
         DEEP_LOOP.replace("        x = x @ (torch.randn(n, n, generator=generator, device=device) * scale)\n",
                           "        w = torch.randn(n, n, generator=generator, device=device) * scale\n"
                           "        x = x @ w\n").replace("return x.std()", "return w.std()"),
         "the std of the last weight matrix"),
    Edit("deep_stats", "initialization", "    return x.std().item()", "    return x.std()",
         "returns a tensor, not a float"),
    Edit("init_formulas", "initialization", XAVIER, "    return 1 / n_in", "a variance, not a scale"),
    Edit("init_formulas", "initialization", KAIMING, "    return sympy.Integer(2) / n_in",
         "Kaiming's variance instead of its standard deviation"),
    Edit("init_formulas", "initialization", KAIMING, "    return 1 / sympy.sqrt(n_in)",
         "Kaiming without the ReLU's factor 2"),
]

ALTERNATIVES = [
    Edit("init_mlp", "initialization", INIT_W,
         "    w2 = torch.empty(nh, n_out, device=device).normal_(0, math.sqrt(2 / nh), generator=generator)\n"
         "    w1 = torch.empty(n_in, nh, device=device).normal_(0, (2 / n_in) ** 0.5, generator=generator)\n",
         "normal_ with the generator, w2 drawn first"),
    Edit("forward", "initialization", MODEL_RELU, "    hidden = torch.relu(lin(x, w1, b1))", "torch.relu"),
    Edit("forward", "initialization", LIN, "    return torch.addmm(b, x, w)", "addmm"),
    Edit("forward_activations", "initialization", ACT_RELU,
         "    l2 = torch.where(l1 > 0, l1, torch.zeros_like(l1))", "where with zeros_like"),
    Edit("deep_stats", "initialization", DEEP_LOOP,
         DEEP_LOOP.replace("x.clamp_min(0.0)", "torch.relu(x)").replace("return x.std().item()",
                                                                        "return float(x.std())"),
         "torch.relu and float()"),
    Edit("init_formulas", "initialization", XAVIER, "    return n_in ** sympy.Rational(-1, 2)", "a power"),
    Edit("init_formulas", "initialization", KAIMING, "    return sympy.sqrt(2) / sympy.sqrt(n_in)",
         "sqrt(2) / sqrt(n_in)"),
]
