"""Mistakes and alternatives for loss.py."""

from support.grading_support import Edit

CHECK = (
    "    if output.shape[0] != targ.shape[0]:\n"
    "        raise ValueError(\n"
    '            f"output has batch size {output.shape[0]} but targ has batch size {targ.shape[0]}"\n'
    "        )\n"
)
MSE = "    return (output.squeeze(-1) - targ).pow(2).mean()"
SQUEEZE = "    return t.squeeze(-1)"

MISTAKES = [
    Edit("mse", "loss", CHECK, "", "no batch-size check"),
    Edit("mse", "loss", CHECK,
         '    if output.shape[0] != targ.shape[0]:\n        raise ValueError("the batch sizes differ")\n',
         "the message names neither size"),
    Edit("mse", "loss", MSE, "    return (output.squeeze(-1) - targ).pow(2).sum()", "sum instead of mean"),
    Edit("mse", "loss", MSE, "    return (output.squeeze(-1) - targ).cpu().pow(2).mean()",
         "a .cpu() in the middle: the loss comes back on the CPU"),
    Edit("mse", "loss", MSE, "    return (output - targ).pow(2).mean()", "no squeeze: an (n, n) broadcast"),
    Edit("mse", "loss", MSE, "    return torch.nn.functional.mse_loss(output.squeeze(-1), targ)",
         "PyTorch's mse_loss"),
    Edit("squeeze_last", "loss", SQUEEZE, "    return t.squeeze()", "squeeze() drops every size-1 dimension"),
    Edit("squeeze_last", "loss", SQUEEZE, "    return t[..., 0]", "drops the last dimension whatever its size"),
]

ALTERNATIVES = [
    Edit("mse", "loss", MSE, "    return torch.mean((output.reshape(targ.shape) - targ) ** 2)",
         "reshape to targ's shape and torch.mean"),
    Edit("squeeze_last", "loss", SQUEEZE, "    return t[..., 0] if t.shape[-1] == 1 else t",
         "indexing when the last size is 1"),
]
