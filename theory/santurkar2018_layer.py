"""Santurkar et al. 2018 (``santurkar2018how``) Thms 4.1 and 4.2 for a whole BN layer, with eps > 0: the forms
that :mod:`bnclaims.gpu_checks.experiments.bn_layer_theorems` checks inside networks.

A layer has units j = 1..C; unit j normalizes its batch y_j in R^m on its own (z_j = gamma_j yhat_j + beta_j,
s_j^2 = sigma_j^2 + eps), so z(y) = (z_1(y_1), ..., z_C(y_C)) and BN's Jacobian J = diag(J_1, ..., J_C) is
block-diagonal, J_j = (gamma_j/s_j)(I - 11^T/m - yhat_j yhat_j^T/m) (symmetric). With Lhat(y) = L(z(y)),
g = dL/dz, H = d^2L/dz^2 (which couples units) and v = dLhat/dy = J g:

* **Thm 4.1** is per unit: v_j = J_j g_j depends on g_j only, so the unit-level identity (C04,
  ``bnclaims.theory.santurkar2018_smoothness.prove_thm41``) holds for each unit of the layer:
  ||v_j||^2 = gamma_j^2/s_j^2 (||g_j||^2 - <1,g_j>^2/m - (2 - r_j)/m <g_j,yhat_j>^2), r_j = sigma_j^2/s_j^2.
* **Thm 4.2**: for a direction w (w = v in the theorem), the chain rule gives
  w^T (d^2 Lhat/dy^2) w = (Jw)^T H (Jw) + sum_j <g_j, z_j''[w_j, w_j]>, the second term block-diagonal.
  :func:`prove_unit_eps_form` proves (symbolic m, symbolic eps >= 0), for w = v and a = <yhat, v>:
  Jv = (gamma/s)(v - a yhat/m),  a = (gamma/s) <g,yhat> (1 - r),
  <g, z''[v, v]> = -gamma/(m s^2) (<g,yhat> ||v||^2 + 2 a <g,v> - 3 <g,yhat> a^2/m),
  which at eps = 0 (a = 0, s = sigma) is Thm 4.2's ``- gamma/(m sigma^2) <g,yhat> ||v||^2`` and
  ``(gamma/sigma) v``. :func:`prove_layer_form` re-derives the layer identity for two units with a generic
  coupling Hessian (independent explicit code, m = 2 and 3), and :func:`scalar_factor_fails` shows where the
  printed form does not extend: ``gamma^2/sigma^2 v^T H v`` with one factor is false for a layer unless
  every unit has the same gamma_j/sigma_j; the factor moves inside the quadratic form, (Dv)^T H (Dv).
"""
from __future__ import annotations

import itertools

import sympy as sp

from bnclaims.theory import bn_algebra as A

__all__ = ["prove_unit_eps_form", "prove_layer_form", "scalar_factor_fails", "bn_term"]

_gg = A.GRAM[frozenset(("g",))]


def _grad() -> A.Vec:
    return A.representer(A.dot(A.G, A.directional(A.bn_path(A.U)["z"])))


def bn_term(q, vv, a, gv, gamma, s2, m):
    """-gamma/(m s^2) (q ||v||^2 + 2 a <g,v> - 3 q a^2/m): the BN part of Thm 4.2's eps > 0 form."""
    return -gamma / (m * s2) * (q * vv + 2 * a * gv - 3 * q * a**2 / m)


def prove_unit_eps_form() -> dict[str, object]:
    """Symbolic m >= 2, eps >= 0: z' = Jv, a = <yhat, v> and <g, z''> in closed form (one unit)."""
    v = _grad()
    path = A.bn_path(v)
    z1 = A.directional(path["z"], order=1)
    z2 = A.directional(path["z"], order=2)
    a = A.dot(A.YHAT, v)
    r = (A.s**2 - A.eps) / A.s**2
    a_closed = A.gamma / A.s * A.qg * (1 - r)
    jv = (v - A.YHAT * (a / A.m)) * (A.gamma / A.s)
    gz2 = A.dot(A.G, z2)
    closed = bn_term(A.qg, A.dot(v, v), a, A.dot(A.G, v), A.gamma, A.s**2, A.m)
    e0 = A.gram_subs_eps0()
    thm42_bn = -A.gamma / (A.m * A.sigma**2) * A.qg * A.dot(v, v).subs(e0)
    return {
        "a_closed_form": A.is_zero(a - a_closed),
        "z_prime_is_Jv": all(A.is_zero(c) for _, c in (z1 - jv).coeffs),
        "g_z_second": A.is_zero(gz2 - closed),
        "eps0_a_vanishes": A.is_zero(a_closed.subs(e0)),
        "eps0_is_thm42": A.is_zero(gz2.subs(e0) - thm42_bn),
        "g_z_second_expr": sp.factor(sp.cancel(gz2)),
    }


def _unit(tag: str, y: tuple, gamma: sp.Symbol, S: sp.Symbol):
    """One unit at an exact batch y with eps = S^2 - sigma^2 (so s = S > 0 symbolic): path y + t w."""
    m = len(y)
    ys = sp.symbols(f"{tag}_y1:{m + 1}", real=True)
    mu = sp.Add(*ys) / m
    var = sp.Add(*[(x - mu) ** 2 for x in ys]) / m
    var0 = var.subs(dict(zip(ys, y)))
    eps = S**2 - var0
    z = [gamma * (x - mu) / sp.sqrt(var + eps) for x in ys]
    return ys, z, var0


def prove_layer_form(m: int = 2) -> dict[str, object]:
    """Two units at exact batches, symbolic gamma_j, s_j (any eps_j >= 0 through s_j), a generic 2m x 2m
    symmetric H and generic g: v^T Hhat v (second derivative of L(z(y + t v)), v the gradient, by sympy
    calculus on the explicit BN of each unit) equals (Jv)^T H (Jv) + sum_j bn_term_j, the closed forms of
    :func:`prove_unit_eps_form` evaluated by independent explicit code."""
    batches = [tuple(range(m)), tuple((3 * k * k + 1) % 5 - 2 for k in range(m))]
    if len(set(batches[1])) < 2:
        batches[1] = tuple(range(0, 2 * m, 2))
    gammas = sp.symbols("gamma_a gamma_b", positive=True)
    Ss = sp.symbols("s_a s_b", positive=True)
    units = [_unit(t, y, ga, S) for t, y, ga, S in zip(("a", "b"), batches, gammas, Ss)]
    ys = [x for u in units for x in u[0]]
    z = [e for u in units for e in u[1]]
    point = dict(zip(ys, [sp.Integer(v) for y in batches for v in y]))
    n = 2 * m
    g = sp.Matrix(sp.symbols(f"g1:{n + 1}", real=True))
    hs = {(i, j): sp.Symbol(f"H_{i}{j}", real=True) for i, j in itertools.combinations_with_replacement(range(n), 2)}
    H = sp.Matrix(n, n, lambda i, j: hs[(min(i, j), max(i, j))])
    zv = sp.Matrix(z)
    J = zv.jacobian(ys).subs(point)
    v = (J.T * g).applyfunc(sp.cancel)                 # the gradient of L(z(y)) at the point
    t = sp.Symbol("t", real=True)
    path = {x: point[x] + t * v[i] for i, x in enumerate(ys)}
    # d^2/dt^2 L(z(y + t v)) at t = 0 for any smooth L with gradient g and Hessian H at z: z'^T H z' + g^T z''
    zt = zv.subs(path)
    z1 = zt.diff(t).subs(t, 0).applyfunc(sp.cancel)
    z2 = zt.diff(t, 2).subs(t, 0).applyfunc(sp.cancel)
    lhs = (z1.T * H * z1)[0] + (g.T * z2)[0]
    rhs_h = sp.Integer(0)
    u = []
    for k, (uys, _, var0) in enumerate(units):
        idx = slice(k * m, (k + 1) * m)
        vk, gk = list(v[idx]), list(g[idx])
        yv = [point[x] for x in uys]
        mu0 = sp.Add(*yv) / m
        yhat = [(x - mu0) / Ss[k] for x in yv]
        a = sp.Add(*[p * q for p, q in zip(yhat, vk)])
        u += [gammas[k] / Ss[k] * (vk[i] - a * yhat[i] / m) for i in range(m)]
        q = sp.Add(*[p * q for p, q in zip(gk, yhat)])
        rhs_h += bn_term(q, sp.Add(*[x**2 for x in vk]), a, sp.Add(*[p * q for p, q in zip(gk, vk)]),
                         gammas[k], Ss[k]**2, m)
    U = sp.Matrix(u)
    rhs = (U.T * H * U)[0] + rhs_h
    diff = sp.cancel(sp.together(sp.expand(lhs - rhs)))
    return {"m": m, "units": 2, "identity": diff == 0, "difference": diff,
            "couples_units": any(sp.expand(lhs).has(hs[(i, j)]) for i in range(m) for j in range(m, n))}


def scalar_factor_fails() -> dict[str, object]:
    """eps = 0, two units of m = 2: gamma_a^2/sigma_a^2 v^T H v differs from (Dv)^T H (Dv) unless the ratios agree."""
    ra, rb = sp.symbols("rho_a rho_b", positive=True)  # gamma_j / sigma_j
    v = sp.Matrix(sp.symbols("v1:5", real=True))
    hs = {(i, j): sp.Symbol(f"H_{i}{j}", real=True) for i, j in itertools.combinations_with_replacement(range(4), 2)}
    H = sp.Matrix(4, 4, lambda i, j: hs[(min(i, j), max(i, j))])
    D = sp.diag(ra, ra, rb, rb)
    diff = sp.factor(sp.expand((D * v).T * H * (D * v) - ra**2 * v.T * H * v)[0])
    return {"difference": diff, "nonzero": diff != 0, "vanishes_when_equal": sp.expand(diff.subs(rb, ra)) == 0}
