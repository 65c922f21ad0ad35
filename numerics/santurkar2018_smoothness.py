"""High-precision checks of Santurkar et al. 2018 (``santurkar2018how``) Thm 4.1 (C04) and Thm 4.2 (C05).

Thm 4.1: ``||grad||^2`` from numerical differentiation vs the right-hand side with last-term
coefficient ``c/m`` or ``1/sqrt(m)`` (eps = 0: equality / inequality). Thm 4.2: second
directional derivatives by ``mpmath.diff`` of ``L(BN(y + t v))`` and ``L(z + t v)`` for a generic
cubic loss ``L``. Violations are shrunk and interval-certified.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath

from bnclaims.context import Context
from bnclaims.tolerances import mp_rel_tol
from bnclaims.verdicts import Outcome, Verdict
from numerics import bn_mp, intervals, strategies
from numerics.bn_jacobian import _fr, _mp_case, _user, projection_grad, property_check, reference_grad

__all__ = ["thm41_rhs", "check_thm41", "check_thm42", "on_batch_thm41"]


def thm41_rhs(M, y, g, gamma, eps, sqrt_m: bool = False, last_num: int = 1):
    """gamma^2/sigma^2 (||g||^2 - <1,g>^2/m - c <g,yhat>^2), c = last_num/m or 1/sqrt(m); sigma^2 -> s^2."""
    m = len(y)
    mu, var = bn_mp.batch_stats(M, y)
    s2 = var + eps
    yh = [(v - mu) / M.sqrt(s2) for v in y]
    c = 1 / M.sqrt(m) if sqrt_m else M.mpf(last_num) / m
    return gamma**2 / s2 * (bn_mp.dot(M, g, g) - M.fsum(g) ** 2 / m - c * bn_mp.dot(M, g, yh) ** 2)


def check_thm41(ctx: Context, sqrt_m: bool = False, last_num: int = 1) -> Outcome:
    """Thm 4.1: eps = 0 equality (1/m) resp. ``||grad||^2 <= RHS`` (any eps, sigma^2 -> s^2)."""
    tol = mp_rel_tol(ctx.dps)

    def err(c):
        y, g, ga, e = _mp_case(c)
        n2 = bn_mp.dot(mpmath.mp, *(2 * [reference_grad(y, g, ga, e, ctx.dps)]))
        rhs = thm41_rhs(mpmath.mp, y, g, ga, e, sqrt_m, last_num)
        scale = ga**2 / (bn_mp.batch_stats(mpmath.mp, y)[1] + e) * bn_mp.dot(mpmath.mp, g, g) or 1
        if c.eps == 0 and not sqrt_m:
            return abs(n2 - rhs) / scale           # equality
        return max(n2 - rhs, 0) / scale           # inequality: only an excess counts

    def cert(c):
        def f(M, y, g, ga, e):
            grad = projection_grad(M, y, g, ga, e)
            d = M.fsum([v * v for v in grad]) - thm41_rhs(M, y, g, ga, e, sqrt_m, last_num)
            return d if (sqrt_m or c.eps != 0) else d * d
        return intervals.certify_positive(f, _fr(c), dps=ctx.dps)

    return property_check(ctx, name="Thm 4.1 gradient norm", error=err, certify=cert)


def _loss(M, z, a):
    """A generic smooth loss: <a, z> + (1/2)(sum_i z_i/(i+1))^2 + (1/6) sum_i a_i z_i^3."""
    lin = M.fsum([ai * zi for ai, zi in zip(a, z)])
    quad = M.fsum([zi / (i + 1) for i, zi in enumerate(z)]) ** 2 / 2
    return lin + quad + M.fsum([ai * zi**3 for ai, zi in zip(a, z)]) / 6


def check_thm42(ctx: Context, sign: int = -1) -> Outcome:
    """Thm 4.2 (first form, eps = 0) as an equality, all derivatives by numerical differentiation."""
    def parts(c):
        y, a, ga, e = _mp_case(c)
        dps = ctx.dps
        lhat = lambda yy: _loss(mpmath.mp, bn_mp.bn_forward(mpmath.mp, yy, ga, 0, e), a)  # noqa: E731
        v = bn_mp.mp_gradient(lhat, y, dps)
        nv = mpmath.sqrt(bn_mp.dot(mpmath.mp, v, v))
        if nv == 0:
            return mpmath.mpf(0), mpmath.mpf(0)
        u = [x / nv for x in v]
        z = bn_mp.bn_forward(mpmath.mp, y, ga, 0, e)
        g = bn_mp.mp_gradient(lambda zz: _loss(mpmath.mp, zz, a), z, dps)
        sig = mpmath.sqrt(bn_mp.batch_stats(mpmath.mp, y)[1])   # t-scale of BN along y: sigma
        with mpmath.workdps(dps + 20):
            lhs = mpmath.diff(lambda t: lhat([yi + t * sig * ui for yi, ui in zip(y, u)]), 0, 2) * nv**2 / sig**2
            vhv = mpmath.diff(lambda t: _loss(mpmath.mp, [zi + t * ui for zi, ui in zip(z, u)], a), 0, 2) * nv**2
        mu, var = bn_mp.batch_stats(mpmath.mp, y)
        q = bn_mp.dot(mpmath.mp, g, bn_mp.normalize(mpmath.mp, y, e))
        rhs = ga**2 / var * vhv + sign * ga / (len(y) * var) * q * nv**2
        scale = max(abs(lhs), abs(ga**2 / var * vhv), abs(ga / (len(y) * var) * q * nv**2))
        return lhs - rhs, scale

    def err(c):
        d, sc = parts(c)
        return abs(d) / sc if sc else abs(d)

    def cert(c):
        # By the proved equality (theory/santurkar2018_smoothness.py) the claimed minus the true
        # right-hand side is (sign + 1) gamma <g,yhat> ||v||^2 / (m sigma^2); enclose it.
        def f(M, y, a, ga, e):
            z = bn_mp.bn_forward(M, y, ga, 0, e)
            w = M.fsum([zi / (i + 1) for i, zi in enumerate(z)])
            g = [ai + w / (i + 1) + ai * zi**2 / 2 for i, (ai, zi) in enumerate(zip(a, z))]
            v = projection_grad(M, y, g, ga, e)
            var = bn_mp.batch_stats(M, y)[1]
            q = bn_mp.dot(M, g, bn_mp.normalize(M, y, e))
            return (sign + 1) * ga * q * bn_mp.dot(M, v, v) / (len(y) * var)
        return intervals.certify_nonzero(f, _fr(c), dps=ctx.dps)

    return property_check(ctx, name="Thm 4.2 quadratic form", error=err, certify=cert,
                          eps_values=(Fraction(0),), max_m=(8, 40), n=(6, 25))


def on_batch_thm41(y, eps, gamma, g, ctx: Context) -> Outcome:
    """Thm 4.1 on user data: ||grad||^2 vs the 1/m right-hand side (equality at eps = 0)."""
    with mpmath.workdps(ctx.dps):
        yy, gg, ga, e = _user(y, eps, gamma, g)
        n2 = bn_mp.dot(mpmath.mp, *(2 * [reference_grad(yy, gg, ga, e, ctx.dps)]))
        rhs = thm41_rhs(mpmath.mp, yy, gg, ga, e)
        ok = abs(n2 - rhs) <= mp_rel_tol(ctx.dps) * max(abs(rhs), 1) if e == 0 else n2 <= rhs + mp_rel_tol(ctx.dps) * abs(rhs)
        return Outcome(Verdict.HOLDS if ok else Verdict.REFUTED, f"user batch, m = {len(y)}, {ctx.dps} digits",
                       evidence={"grad_sq_norm": mpmath.nstr(n2, 30), "rhs": mpmath.nstr(rhs, 30)})
