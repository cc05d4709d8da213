"""Mistakes and alternatives for broadcasting.py."""

from support.grading_support import Edit

ALL_GREATER = "    return bool((a > b).all().item())"
TO_PYTHON_CHECK = (
    "    if t.ndim != 0:\n"
    '        raise ValueError(f"expected a rank-0 tensor, got rank {t.ndim} with shape {tuple(t.shape)}")\n'
)
TO_PYTHON = TO_PYTHON_CHECK + "    return t.item()"
PADDING = (
    "    padded_a = (1,) * (n - len(a)) + tuple(a)\n"
    "    padded_b = (1,) * (n - len(b)) + tuple(b)\n"
)
RULE = (
    "        if x == y or y == 1:\n"
    "            result.append(x)\n"
    "        elif x == 1:\n"
    "            result.append(y)\n"
    "        else:\n"
)
BROADCAST_MESSAGE = (
    '                f"shapes {tuple(a)} and {tuple(b)} do not broadcast: "\n'
    '                f"sizes {x} and {y} clash at dimension {dim}"\n'
)
EXPAND_CHECK = (
    "    if not fits:\n"
    '        raise ValueError(f"cannot expand shape {tuple(c.shape)} to {tuple(m.shape)}")\n'
)
EXPAND = "    return c.expand_as(m)"
STORAGE = (
    "    whole = t.new_empty(0).set_(t.untyped_storage())\n"
    "    return whole.tolist()"
)
ADD_RETURN = '    return m + c if along == "rows" else m + c[:, None]'
ADD_CHECKS = (
    '    if along not in ("rows", "columns"):\n'
    '        raise ValueError(f"along must be \'rows\' or \'columns\', got {along!r}")\n'
    '    n = m.shape[1] if along == "rows" else m.shape[0]\n'
    "    if tuple(c.shape) != (n,):\n"
    "        raise ValueError(\n"
    '            f"along={along!r} needs a vector of length {n} for a matrix of shape "\n'
    '            f"{tuple(m.shape)}, got shape {tuple(c.shape)}"\n'
    "        )\n"
)
FOOTPRINT = "    return t.untyped_storage().nbytes()"

MISTAKES = [
    Edit("to_python", "broadcasting", TO_PYTHON_CHECK,
         "    if t.ndim != 0:\n        raise ValueError(\"expected a scalar tensor\")\n",
         "the message names neither the rank nor the shape"),
    Edit("all_greater", "broadcasting", ALL_GREATER, "    return (a > b).all()",
         "returns a tensor, not a bool"),
    Edit("all_greater", "broadcasting", ALL_GREATER, "    return bool((a >= b).all().item())",
         ">= instead of >"),
    Edit("all_greater", "broadcasting", ALL_GREATER, "    return bool((a > b).any().item())",
         "any instead of all"),
    Edit("to_python", "broadcasting", TO_PYTHON, "    return float(t)",
         "float(t): accepts one-element tensors and turns ints into floats"),
    Edit("to_python", "broadcasting", TO_PYTHON_CHECK, "", "no rank check: item() accepts (1,)"),
    Edit("to_python", "broadcasting", "    if t.ndim != 0:", "    if t.numel() != 1:",
         "checks the number of elements instead of the rank"),
    Edit("broadcast_shape", "broadcasting", PADDING,
         "    padded_a = tuple(a) + (1,) * (n - len(a))\n    padded_b = tuple(b) + (1,) * (n - len(b))\n",
         "aligns the shapes from the left"),
    Edit("broadcast_shape", "broadcasting",
         RULE + "            raise ValueError(\n" + BROADCAST_MESSAGE + "            )\n",
         "        if x != y and 1 not in (x, y):\n"
         "            raise ValueError(\n" + BROADCAST_MESSAGE + "            )\n"
         "        result.append(max(x, y))\n",
         "the larger size instead of the other size (wrong for size 0)"),
    Edit("broadcast_shape", "broadcasting", "    n = max(len(a), len(b))\n",
         "    try:\n        return tuple(torch.broadcast_shapes(a, b))\n"
         "    except RuntimeError as exc:\n        raise ValueError(f\"{a} and {b} do not broadcast\") from exc\n"
         "    n = max(len(a), len(b))\n", "torch.broadcast_shapes instead of the rules"),
    Edit("broadcast_shape", "broadcasting", BROADCAST_MESSAGE,
         '                "the shapes do not broadcast"\n', "the message names no size"),
    Edit("expand_like", "broadcasting", EXPAND, "    return c.expand_as(m).clone()",
         "a copy instead of a view"),
    Edit("expand_like", "broadcasting", EXPAND_CHECK, "",
         "no ValueError: expand_as's RuntimeError leaks"),
    Edit("expand_like", "broadcasting", EXPAND, "    return c + torch.zeros_like(m, dtype=c.dtype)",
         "broadcasts by adding zeros: a new tensor"),
    Edit("as_column", "broadcasting", "    return c[:, None]", "    return c.reshape(-1, 1)",
         "as_column_indexing with reshape"),
    Edit("as_column", "broadcasting", "    return c.unsqueeze(1)", "    return c[:, None]",
         "as_column with None indexing instead of unsqueeze"),
    Edit("as_column", "broadcasting", "    return c.unsqueeze(1)", "    return c.unsqueeze(0)",
         "unsqueeze(0): a row, not a column"),
    Edit("as_column", "broadcasting", "    return c[:, None]", "    return c[:, None].clone()",
         "a copy instead of a view"),
    Edit("storage_values", "broadcasting", STORAGE, "    return t.flatten().tolist()",
         "the tensor's elements, not its storage"),
    Edit("storage_values", "broadcasting", STORAGE, "    return list(t.untyped_storage())",
         "the storage's bytes, not its elements"),
    Edit("storage_values", "broadcasting", STORAGE, "    return t.contiguous().untyped_storage().tolist()",
         "the storage of a contiguous copy"),
    Edit("add_vector", "broadcasting", ADD_RETURN, '    return m + c[:, None] if along == "rows" else m + c',
         "rows and columns mixed up"),
    Edit("add_vector", "broadcasting", ADD_CHECKS, "",
         "no checks: relies on broadcasting to complain"),
    Edit("add_vector", "broadcasting", ADD_RETURN,
         '    return m.add_(c) if along == "rows" else m.add_(c[:, None])', "adds in place"),
    Edit("memory_footprint", "broadcasting", FOOTPRINT, "    return t.numel() * t.element_size()",
         "the bytes of the elements shown, not of the storage"),
    Edit("memory_footprint", "broadcasting", FOOTPRINT, "    return t.storage().size()",
         "the number of stored elements, not bytes"),
    Edit("memory_footprint", "broadcasting", FOOTPRINT, "    return t.contiguous().untyped_storage().nbytes()",
         "the storage of a contiguous copy"),
]

ALTERNATIVES = [
    Edit("to_python", "broadcasting", TO_PYTHON_CHECK,
         "    if t.ndim != 0:\n        raise ValueError(f\"expected a rank-0 tensor, got shape {tuple(t.shape)}\")\n",
         "the message names the shape, not the rank"),
    Edit("all_greater", "broadcasting", ALL_GREATER, "    return bool(torch.all(a > b))", "torch.all and bool"),
    Edit("all_greater", "broadcasting", ALL_GREATER, "    return (a > b).all().item()", "item of a bool tensor"),
    Edit("to_python", "broadcasting", TO_PYTHON,
         "    if t.dim() != 0:\n        raise ValueError(f\"rank {t.dim()} is not 0\")\n    return t.tolist()",
         "tolist of a rank-0 tensor"),
    Edit("broadcast_shape", "broadcasting", "    n = max(len(a), len(b))\n",
         "    import itertools\n\n"
         "    out = []\n"
         "    for x, y in itertools.zip_longest(reversed(a), reversed(b), fillvalue=1):\n"
         "        if x != y and x != 1 and y != 1:\n"
         '            raise ValueError(f"{x} and {y} clash")\n'
         "        out.append(y if x == 1 else x)\n"
         "    return tuple(reversed(out))\n"
         "    n = max(len(a), len(b))\n", "zip_longest from the right"),
    Edit("expand_like", "broadcasting", EXPAND_CHECK + EXPAND,
         "    try:\n        return c.expand(m.shape)\n    except RuntimeError:\n"
         '        raise ValueError(f"cannot expand {tuple(c.shape)} to {tuple(m.shape)}") from None',
         "expand and turn its RuntimeError into a ValueError"),
    Edit("as_column", "broadcasting", "    return c.unsqueeze(1)", "    return c.unsqueeze(dim=-1)",
         "unsqueeze(dim=-1)"),
    Edit("as_column", "broadcasting", "    return c[:, None]", "    return c[..., None]", "Ellipsis then None"),
    Edit("storage_values", "broadcasting", STORAGE,
         "    s = t.untyped_storage()\n"
         "    return torch.tensor([], dtype=t.dtype, device=t.device).set_(s).tolist()",
         "the hint's empty tensor set to the storage"),
    Edit("storage_values", "broadcasting", STORAGE, "    return t.storage().tolist()",
         "the typed storage"),
    Edit("add_vector", "broadcasting", ADD_CHECKS + ADD_RETURN,
         '    if along == "rows":\n'
         "        if len(c) != m.shape[1] or c.ndim != 1:\n"
         '            raise ValueError(f"{len(c)} != {m.shape[1]}")\n'
         "        return m + c.unsqueeze(0)\n"
         '    if along == "columns":\n'
         "        if len(c) != m.shape[0] or c.ndim != 1:\n"
         '            raise ValueError(f"{len(c)} != {m.shape[0]}")\n'
         "        return m + c.unsqueeze(1)\n"
         '    raise ValueError(f"unknown along {along}")',
         "one branch per direction"),
    Edit("memory_footprint", "broadcasting", FOOTPRINT, "    return len(t.untyped_storage())",
         "len of the untyped storage"),
    Edit("memory_footprint", "broadcasting", FOOTPRINT,
         "    return t.untyped_storage().size()", "size of the untyped storage"),
]
