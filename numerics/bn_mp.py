"""Batch Normalization of one unit in any mpmath context (Ioffe & Szegedy 2015, Alg. 1).

``M`` is ``mpmath.mp`` (multiprecision) or ``mpmath.iv`` (intervals). These are the
definitions the numerics level checks published formulas against; derivatives are taken
by :func:`mp_gradient`, numerical differentiation at high precision, which shares no code
with any closed-form gradient under test.
"""
from __future__ import annotations

from typing import Callable, Sequence

import mpmath


def batch_stats(M, y: Sequence) -> tuple:
    """Mean and biased (1/m) variance of a batch: mu, sigma^2 (CLAIMS.md conventions)."""
    m = len(y)
    mu = M.fsum(y) / m
    var = M.fsum([(v - mu) ** 2 for v in y]) / m
    return mu, var


def normalize(M, y: Sequence, eps) -> list:
    """yhat_i = (y_i - mu) / sqrt(sigma^2 + eps)."""
    mu, var = batch_stats(M, y)
    s = M.sqrt(var + eps)
    return [(v - mu) / s for v in y]


def bn_forward(M, y: Sequence, gamma, beta, eps) -> list:
    """z_i = gamma * yhat_i + beta."""
    return [gamma * h + beta for h in normalize(M, y, eps)]


def dot(M, a: Sequence, b: Sequence):
    return M.fsum([x * w for x, w in zip(a, b)])


def mp_gradient(f: Callable[[list], object], y: Sequence, dps: int) -> list:
    """Gradient of a scalar f at y by mpmath's high-precision numerical differentiation.

    Evaluated at ``dps + 20`` digits so the result is good to about ``dps`` digits for
    smooth f; an independent reference for closed-form gradients.
    """
    y = list(y)
    with mpmath.workdps(dps + 20):
        out = []
        for i in range(len(y)):
            def fi(t, i=i):
                z = list(y)
                z[i] = t
                return f(z)
            out.append(mpmath.diff(fi, y[i]))
    return out


def rel_err(M, a, b):
    """|a - b| / max(|a|, |b|, tiny), for scalars."""
    d = abs(a - b)
    scale = max(abs(a), abs(b))
    return d / scale if scale != 0 else d


def vec_rel_err(M, a: Sequence, b: Sequence):
    """||a - b||_inf / max(||a||_inf, ||b||_inf); 0 when both are 0."""
    d = max(abs(x - w) for x, w in zip(a, b))
    scale = max([abs(x) for x in a] + [abs(w) for w in b])
    return d / scale if scale != 0 else d
