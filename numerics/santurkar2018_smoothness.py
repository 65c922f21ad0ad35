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
from bnclaims.tolerances import tol
from bnclaims.verdicts import Outcome
from bnclaims.numerics import bn_mp, intervals, strategies
from bnclaims.numerics.bn_jacobian import (JetContext, _fr, _mp_case, def_grad, property_check, reference_grad, user_check,
                                  work_dps)

__all__ = ["thm41_rhs", "check_thm41", "check_thm42", "on_batch_thm41"]


def thm41_rhs(M, y, g, gamma, eps, sqrt_m: bool = False, last_num: int = 1):
    """gamma^2/sigma^2 (||g||^2 - <1,g>^2/m - c <g,yhat>^2), c = last_num/m or 1/sqrt(m); sigma^2 -> s^2."""
    m = len(y)
    mu, var = bn_mp.batch_stats(M, y)
    s2 = var + eps
    yh = [(v - mu) / M.sqrt(s2) for v in y]
    c = 1 / M.sqrt(m) if sqrt_m else M.mpf(last_num) / m
    return gamma**2 / s2 * (bn_mp.dot(M, g, g) - M.fsum(g) ** 2 / m - c * bn_mp.dot(M, g, yh) ** 2)


def _thm41_err(n2, rhs, y, g, ga, e, equality: bool):
    """|n2 - rhs| (equality) or the excess max(n2 - rhs, 0), relative to gamma^2/s^2 ||g||^2."""
    scale = ga**2 / (bn_mp.batch_stats(mpmath.mp, y)[1] + e) * bn_mp.dot(mpmath.mp, g, g)
    d = abs(n2 - rhs) if equality else max(n2 - rhs, 0)
    return d / scale if scale != 0 else d


def _thm41_cert(sqrt_m: bool, last_num: int):
    """Certify ``||J^T g||^2 - RHS`` != 0 (equality) resp. > 0, ``J^T g`` from dual numbers (BN definition)."""
    def cert(args: list, dps: int) -> intervals.Certificate:
        equality = args[3] == 0 and not sqrt_m

        def f(M, y, g, ga, e):
            grad = def_grad(M, y, g, ga, e)
            return M.fsum([v * v for v in grad]) - thm41_rhs(M, y, g, ga, e, sqrt_m, last_num)
        return (intervals.certify_nonzero if equality else intervals.certify_positive)(f, args, dps=dps)
    return cert


def check_thm41(ctx: Context, sqrt_m: bool = False, last_num: int = 1) -> Outcome:
    """Thm 4.1: eps = 0 equality (c/m) resp. ``||grad||^2 <= RHS`` (eps > 0 with sigma^2 -> s^2; 1/sqrt(m)).

    The ``1/sqrt(m)`` statement is made at eps = 0 only: its search draws eps = 0 exclusively and
    a counterexample must have eps = 0 exactly (checked on the exact case before REFUTED).
    """
    def err(c):
        y, g, ga, e = _mp_case(c)
        n2 = bn_mp.dot(mpmath.mp, *(2 * [reference_grad(y, g, ga, e, mpmath.mp.dps)]))
        rhs = thm41_rhs(mpmath.mp, y, g, ga, e, sqrt_m, last_num)
        return _thm41_err(n2, rhs, y, g, ga, e, c.eps == 0 and not sqrt_m)

    cert = _thm41_cert(sqrt_m, last_num)
    return property_check(ctx, name="Thm 4.1 gradient norm", error=err,
                          certify=lambda c: cert(_fr(c), work_dps(c.y, c.eps, ctx.dps)),
                          eps_values=(Fraction(0),) if sqrt_m else strategies.EPS_VALUES,
                          hypotheses=lambda c: c.eps == 0 or not sqrt_m)


def _loss(M, z, a):
    """A generic smooth loss: <a, z> + (1/2)(sum_i z_i/(i+1))^2 + (1/6) sum_i a_i z_i^3."""
    lin = M.fsum([ai * zi for ai, zi in zip(a, z)])
    quad = M.fsum([zi / (i + 1) for i, zi in enumerate(z)]) ** 2 / 2
    return lin + quad + M.fsum([ai * zi**3 for ai, zi in zip(a, z)]) / 6


def _thm42_def_residual(M, y, a, ga, e, sign: int):
    """LHS - RHS of Thm 4.2 with every derivative from jets through the definitions of BN and ``L``.

    ``v_j = d/dt Lhat(y + t e_j)`` (dual numbers), ``v^T Hess v = 2 [t^2] Lhat(y + t v)`` and
    ``v^T H v = 2 [t^2] L(z + t v)`` (hyper-dual, order-2 jets), ``g_j = d/dt L(z + t e_j)``.
    """
    m = len(y)
    J1, J2 = JetContext(M, 1), JetContext(M, 2)
    units = [[int(i == j) for i in range(m)] for j in range(m)]

    def lhat(J, path):
        return _loss(J, bn_mp.bn_forward(J, path, J.const(ga), 0, J.const(e)), [J.const(x) for x in a])
    v = [lhat(J1, J1.path(y, u)).c[1] for u in units]
    lhs = 2 * lhat(J2, J2.path(y, v)).c[2]
    z = bn_mp.bn_forward(M, y, ga, 0, e)
    vhv = 2 * _loss(J2, J2.path(z, v), [J2.const(x) for x in a]).c[2]
    g = [_loss(J1, J1.path(z, u), [J1.const(x) for x in a]).c[1] for u in units]
    var = bn_mp.batch_stats(M, y)[1]
    q = bn_mp.dot(M, g, bn_mp.normalize(M, y, e))
    return lhs - (ga**2 / var * vhv + sign * ga / (m * var) * q * bn_mp.dot(M, v, v))


def check_thm42(ctx: Context, sign: int = -1) -> Outcome:
    """Thm 4.2 (first form, eps = 0) as an equality, all derivatives by numerical differentiation;
    a violation is certified with hyper-dual numbers in interval arithmetic (:func:`_thm42_def_residual`)."""
    def parts(c):
        y, a, ga, e = _mp_case(c)
        dps = mpmath.mp.dps

        def lhat(yy):
            return _loss(mpmath.mp, bn_mp.bn_forward(mpmath.mp, yy, ga, 0, e), a)

        v = bn_mp.mp_gradient(lhat, y, dps)
        nv = mpmath.sqrt(bn_mp.dot(mpmath.mp, v, v))
        if nv == 0:
            return mpmath.mpf(0), mpmath.mpf(0)
        u = [x / nv for x in v]
        z = bn_mp.bn_forward(mpmath.mp, y, ga, 0, e)
        g = bn_mp.mp_gradient(lambda zz: _loss(mpmath.mp, zz, a), z, dps)
        sig = mpmath.sqrt(bn_mp.batch_stats(mpmath.mp, y)[1])   # t-scale of BN along y: sigma
        with mpmath.workdps(dps + int(tol("mp.diff_guard_digits"))):
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
        return intervals.certify_nonzero(lambda M, y, a, ga, e: _thm42_def_residual(M, y, a, ga, e, sign), _fr(c),
                                         dps=work_dps(c.y, c.eps, ctx.dps))

    return property_check(ctx, name="Thm 4.2 quadratic form", error=err, certify=cert,
                          eps_values=(Fraction(0),), max_m=(8, 40), n=(6, 25))


def on_batch_thm41(y, eps, gamma, g, ctx: Context) -> Outcome:
    """Thm 4.1 on user data: ||J^T g||^2 (dual numbers) vs the 1/m right-hand side (equality at eps = 0)."""
    def error(yy, gg, ga, e):
        n2 = bn_mp.dot(mpmath.mp, *(2 * [def_grad(mpmath.mp, yy, gg, ga, e)]))
        rhs = thm41_rhs(mpmath.mp, yy, gg, ga, e)
        return _thm41_err(n2, rhs, yy, gg, ga, e, e == 0), {"grad_sq_norm": mpmath.nstr(n2, 30),
                                                           "rhs": mpmath.nstr(rhs, 30)}
    return user_check(y, eps, gamma, g, ctx, error=error, certify=_thm41_cert(False, 1))
