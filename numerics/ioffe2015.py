"""High-precision check of Ioffe & Szegedy 2015 §3 (``ioffe2015batch``): staged backprop == J^T g (C01),
and seed 001's vanishing second term of dL/dmu (C03), over :func:`numerics.strategies.bn_cases`.

The staged formulas are evaluated literally in mpmath and compared with
:func:`numerics.bn_mp.mp_gradient` (numerical differentiation of the BN definition); a
violation is shrunk and interval-certified against the proved Fact C.1 form.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath

from bnclaims.context import Context
from bnclaims.tolerances import mp_rel_tol
from bnclaims.verdicts import Outcome, Verdict
from numerics import bn_mp, intervals, strategies
from numerics.bn_jacobian import _fr, _mp_case, _user, grad_err, projection_grad, property_check, reference_grad

__all__ = ["staged_grad", "check_backprop", "check_vanishing_term", "on_batch_backprop"]


def staged_grad(M, y, g, gamma, eps, sigma2_coeff: Fraction = Fraction(-1, 2)) -> list:
    """dL/dy_i by the staged formulas of Ioffe & Szegedy §3 (as restated in seed 001)."""
    m = len(y)
    mu, var = bn_mp.batch_stats(M, y)
    s = M.sqrt(var + eps)
    dyh = [gamma * gi for gi in g]
    c2 = M.mpf(sigma2_coeff.numerator) / sigma2_coeff.denominator
    dsig2 = M.fsum([a * (v - mu) for a, v in zip(dyh, y)]) * c2 / s**3
    dmu = M.fsum([-a / s for a in dyh]) + dsig2 * M.fsum([-2 * (v - mu) for v in y]) / m
    return [dyh[i] / s + dsig2 * 2 * (y[i] - mu) / m + dmu / m for i in range(m)]


def check_backprop(ctx: Context, sigma2_coeff: Fraction = Fraction(-1, 2)) -> Outcome:
    """C01 numerically: staged formulas vs numerical differentiation, eps in {0, 1e-5, 1}."""
    def err(c):
        y, g, ga, e = _mp_case(c)
        return grad_err(staged_grad(mpmath.mp, y, g, ga, e, sigma2_coeff), reference_grad(y, g, ga, e, ctx.dps),
                        y, g, ga, e)

    def cert(c):
        def f(M, y, g, ga, e):
            a, b = staged_grad(M, y, g, ga, e, sigma2_coeff), projection_grad(M, y, g, ga, e)
            return M.fsum([(u - v) ** 2 for u, v in zip(a, b)])
        return intervals.certify_positive(f, _fr(c), dps=ctx.dps)

    return property_check(ctx, name="staged backprop vs mp_gradient", error=err, certify=cert)


def check_vanishing_term(ctx: Context, power: int = 1) -> Outcome:
    """C03 numerically: |dL/dsigma^2 (1/m) sum_i -2 (y_i - mu)^power| relative to |dL/dsigma^2| * sigma^power."""
    def term(M, y, g, ga, e):
        mu, var = bn_mp.batch_stats(M, y)
        s = M.sqrt(var + e)
        dsig2 = M.fsum([ga * gi * (v - mu) for gi, v in zip(g, y)]) * (-1) / (2 * s**3)
        return dsig2, M.fsum([-2 * (v - mu) ** power for v in y]) / len(y), var

    def err(c):   # exact rational evaluation of the sum (inputs are exact)
        mu = sum(c.y, Fraction(0)) / c.m
        sm = sum((-2 * (v - mu) ** power for v in c.y), Fraction(0)) / c.m
        scale = 2 * max(abs(v - mu) for v in c.y) ** power
        r = abs(sm) / scale
        return mpmath.mpf(r.numerator) / r.denominator

    def cert(c):
        return intervals.certify_nonzero(lambda M, y, g, ga, e: term(M, y, g, ga, e)[1], _fr(c), dps=ctx.dps)

    return property_check(ctx, name="second term of dL/dmu", error=err, certify=cert)


def on_batch_backprop(y, eps, gamma, g, ctx: Context) -> Outcome:
    """C01 on user data: staged formulas vs numerical differentiation at ``ctx.dps`` digits."""
    with mpmath.workdps(ctx.dps):
        yy, gg, ga, e = _user(y, eps, gamma, g)
        err = grad_err(staged_grad(mpmath.mp, yy, gg, ga, e), reference_grad(yy, gg, ga, e, ctx.dps), yy, gg, ga, e)
        return Outcome(Verdict.HOLDS if err <= mp_rel_tol(ctx.dps) else Verdict.REFUTED,
                       f"user batch, m = {len(y)}, {ctx.dps} digits", evidence={"rel_error": mpmath.nstr(err, 5)})
