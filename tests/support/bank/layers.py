"""Mistakes and alternatives for layers.py (one item: layer_classes)."""

from support.grading_support import Edit

ITEM = "layer_classes"

MISTAKES = [
    Edit(ITEM, "layers", "        self.w.g = inp.t() @ out.g\n", "", "Lin.bwd does not set w.g"),
    Edit(ITEM, "layers", "for layer in reversed(self.layers):", "for layer in self.layers:",
         "Model.backward does not reverse the layers"),
    Edit(ITEM, "layers", "        self.loss.backward()\n", "", "Model.backward skips the loss"),
    Edit(ITEM, "layers", "        self.args = args\n", "", "__call__ does not store its arguments"),
    Edit(ITEM, "layers", "[Lin(w1, b1), Relu(), Lin(w2, b2)]", "[Lin(w1, b1), Lin(w2, b2)]",
         "Model without the ReLU"),
    Edit(ITEM, "layers", "        inp.g = (inp > 0).to(inp.dtype) * out.g",
         "        inp.g = (inp >= 0).to(inp.dtype) * out.g", "Relu.bwd with slope 1 at 0"),
]

ALTERNATIVES = [
    Edit(ITEM, "layers", "        self.args = args\n", "        self.args = list(args)\n", "args as a list"),
    Edit(ITEM, "layers", "for layer in reversed(self.layers):", "for layer in self.layers[::-1]:",
         "reversed by slicing"),
    Edit(ITEM, "layers", "        return inp.clamp_min(0.0)", "        return torch.relu(inp)", "torch.relu"),
    Edit(ITEM, "layers", "        self.w.g = inp.t() @ out.g\n",
         '        self.w.g = torch.einsum("bi,bj->ij", inp, out.g)\n', "einsum for w.g"),
]
