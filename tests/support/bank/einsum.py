"""Mistakes and alternatives for einsum.py."""

from support.grading_support import Edit

TRANSPOSE = '    return torch.einsum("ij->ji", x)'
TRACE = '    return torch.einsum("ii->", x)'
DIAGONAL = '    return torch.einsum("ii->i", x)'
OUTER = '    return torch.einsum("i,j->ij", x, y)'
BATCH_MATMUL = '    return torch.einsum("bij,bjk->bik", a, b)'
BATCH_TRANSPOSE = '    return torch.einsum("...ij->...ji", x)'
BILINEAR = '    return torch.einsum("bn,anm,bm->ba", l, A, r)'

MISTAKES = [
    Edit("einsum_ops", "einsum", TRACE, "    return x.diagonal().sum()", "einsum_trace via diagonal().sum()"),
    Edit("einsum_ops", "einsum", TRACE, '    return torch.einsum("ii->", x).item()',
         "einsum_trace returns a Python number"),
    Edit("einsum_ops", "einsum", DIAGONAL, '    return torch.einsum("ii->", x)',
         "einsum_diagonal sums the diagonal"),
    Edit("einsum_ops", "einsum", OUTER, "    return x[:, None] * y[None, :]",
         "einsum_outer by broadcasting"),
    Edit("einsum_ops", "einsum", OUTER,
         '    return torch.stack([torch.einsum("j->j", y) * xi for xi in x])',
         "einsum_outer with a loop over x"),
    Edit("einsum_ops", "einsum", BATCH_MATMUL, "    return a @ b", "einsum_batch_matmul with @"),
    Edit("einsum_ops", "einsum", BATCH_TRANSPOSE, '    return torch.einsum("bij->bji", x)',
         "einsum_batch_transpose only for rank 3"),
    Edit("einsum_ops", "einsum", BILINEAR, '    return torch.einsum("bn,anm,bm->ab", l, A, r)',
         "einsum_bilinear with the output transposed"),
    Edit("einsum_ops", "einsum", TRANSPOSE, "    return x.t()", "einsum_transpose with .t()"),
    Edit("einsum_ops", "einsum", TRANSPOSE, '    return torch.einsum("ij->ji", x).contiguous()',
         "einsum_transpose makes a contiguous copy afterwards"),
]

ALTERNATIVES = [
    Edit("einsum_ops", "einsum", TRANSPOSE, '    return torch.einsum("ab->ba", [x])', "other letters, a list"),
    Edit("einsum_ops", "einsum", TRACE, '    return torch.einsum("ii", x)', "implicit output"),
    Edit("einsum_ops", "einsum", OUTER, '    return torch.einsum("i,j", x, y)', "implicit output"),
    Edit("einsum_ops", "einsum", BATCH_MATMUL,
         '    assert a.ndim == 3 and b.shape[0] == a.shape[0]\n    return torch.einsum("nab,nbc->nac", a, b)',
         "shape queries and other letters"),
    Edit("einsum_ops", "einsum", BATCH_TRANSPOSE, '    return torch.einsum("...ab->...ba", x)',
         "other letters after the ellipsis"),
    Edit("einsum_ops", "einsum", BILINEAR, '    return torch.einsum("bi,oij,bj->bo", l, A, r)',
         "the bilinear letters of nn.functional.bilinear"),
]
