"""Checks of fuzzed outputs (fuzz_cases.py): each returns None when the output is sane, else
what is wrong."""

import math

import torch


def indices_ok(idx, n, unique=True, ascending=True):
    if idx.dtype != torch.int64 or idx.dim() != 1:
        return f"indices are {idx.dtype} {tuple(idx.shape)}"
    if idx.numel() and (idx.min() < 0 or idx.max() >= n):
        return f"indices outside [0, {n})"
    if ascending and idx.numel() > 1 and (idx[1:] < idx[:-1]).any():
        return "indices are not ascending"
    if unique and idx.unique().numel() != idx.numel():
        return "indices repeat"
    return None


def rows_ok(rows, labels, x, classes):
    if rows.dtype != x.dtype or (rows.dim() != 2) or (x.dim() == 2 and rows.size(1) != x.size(1)):
        return f"rows are {rows.dtype} {tuple(rows.shape)} for features {x.dtype} {tuple(x.shape)}"
    if not torch.isfinite(rows).all():
        return "generated rows are not finite"
    if labels.numel() != rows.size(0) or (labels.numel() and (labels.min() < 0 or labels.max() >= classes)):
        return "generated labels out of range"
    return None


def _scaled64(x):
    x = x.double()
    m = float(x.abs().max()) if x.numel() else 0.0
    return x * 2.0 ** (-math.frexp(m)[1]) if m > 0 else x, (2.0 ** (2 * math.frexp(m)[1]) if m > 0 else 1.0)


def knn_ok(q, r, k, exclude_self, out):
    d, i = out
    nq = q.size(0)
    if d.shape != (nq, k) or i.shape != (nq, k) or d.dtype != q.dtype:
        return f"knn output {d.dtype} {tuple(d.shape)}, {tuple(i.shape)}"
    if nq == 0:
        return None
    if i.min() < 0 or i.max() >= r.size(0):
        return "knn indices out of range"
    both = torch.cat([q, r]).double()
    s, _ = _scaled64(both)
    qs, rs = s[:nq], s[nq:]
    exact = ((qs[:, None, :] - rs[None, :, :]) ** 2).sum(2)
    if exclude_self:
        exact.fill_diagonal_(math.inf)
    best = exact.sort(1).values[:, :k]
    got = exact.gather(1, i)
    # The k found have the k smallest distances (ties in any order) ...
    if not torch.allclose(got.sort(1).values, best, rtol=1e-9, atol=0):
        return "knn did not find the k nearest"
    if exclude_self and (i == torch.arange(nq)[:, None]).any():
        return "knn returned the query itself with exclude_self"
    return None
