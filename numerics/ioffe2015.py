"""High-precision check of Ioffe & Szegedy 2015 §3 (``ioffe2015batch``): staged backprop == J^T g (C01),
and seed 001's vanishing second term of dL/dmu (C03), over :func:`bnclaims.numerics.strategies.bn_cases`.

The staged formulas are evaluated literally in mpmath and compared with
:func:`bnclaims.numerics.bn_mp.mp_gradient` (numerical differentiation of the BN definition) at a precision
adapted to the batch's conditioning; a violation is shrunk and interval-certified against
``J^T g`` from dual numbers through the BN definition (:func:`bnclaims.numerics.bn_jacobian.def_grad`).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath

from bnclaims.context import Context
from bnclaims.verdicts import Outcome
from bnclaims.numerics import bn_mp, intervals
from bnclaims.numerics.bn_jacobian import (_fr, _mp_case, def_grad, grad_err, property_check, reference_grad, user_check,
                                  work_dps)

__all__ = ["staged_grad", "dmu_second_term", "check_backprop", "check_vanishing_term", "on_batch_backprop"]


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


def _backprop_cert(sigma2_coeff: Fraction):
    def cert(args: list, dps: int) -> intervals.Certificate:
        def f(M, y, g, ga, e):
            a, b = staged_grad(M, y, g, ga, e, sigma2_coeff), def_grad(M, y, g, ga, e)
            return M.fsum([(u - v) ** 2 for u, v in zip(a, b)])
        return intervals.certify_positive(f, args, dps=dps)
    return cert


def check_backprop(ctx: Context, sigma2_coeff: Fraction = Fraction(-1, 2)) -> Outcome:
    """C01 numerically: staged formulas vs numerical differentiation, eps in {0, 1e-5, 1}."""
    def err(c):
        y, g, ga, e = _mp_case(c)
        return grad_err(staged_grad(mpmath.mp, y, g, ga, e, sigma2_coeff),
                        reference_grad(y, g, ga, e, mpmath.mp.dps), y, g, ga, e)

    cert = _backprop_cert(sigma2_coeff)
    return property_check(ctx, name="staged backprop vs mp_gradient", error=err,
                          certify=lambda c: cert(_fr(c), work_dps(c.y, c.eps, ctx.dps)))


def dmu_second_term(M, y, g, gamma, eps, power: int = 1) -> tuple:
    """Seed 001's ``dL/dsigma^2 * (1/m) sum_i -2 (y_i - mu)^power`` literally: (product, dL/dsigma^2)."""
    mu, var = bn_mp.batch_stats(M, y)
    s = M.sqrt(var + eps)
    dsig2 = M.fsum([gamma * gi * (v - mu) for gi, v in zip(g, y)]) * (-1) / (2 * s**3)
    return dsig2 * M.fsum([-2 * (v - mu) ** power for v in y]) / len(y), dsig2


def _dmu_scale(y, g, gamma, eps, power: int):
    """``|gamma| sum_i |g_i (y_i - mu)| / (2 s^3) * 2 max_i |y_i - mu|^power``: the product's size, term by term."""
    mu, var = bn_mp.batch_stats(mpmath.mp, y)
    s = mpmath.sqrt(var + eps)
    return (abs(gamma) * mpmath.fsum([abs(gi * (v - mu)) for gi, v in zip(g, y)]) / (2 * s**3)
            * 2 * max(abs(v - mu) for v in y) ** power)


def check_vanishing_term(ctx: Context, power: int = 1) -> Outcome:
    """C03 numerically: the whole product ``dL/dsigma^2 (1/m) sum_i -2 (y_i - mu)^power`` vs 0.

    A violation is certified by an enclosure of the product excluding 0 (so ``dL/dsigma^2 != 0``
    there) and re-verified exactly: ``<g, y - mu>`` and the rational sum are both nonzero.
    """
    def err(c):
        args = _mp_case(c)
        prod, scale = dmu_second_term(mpmath.mp, *args, power)[0], _dmu_scale(*args, power)
        return abs(prod) / scale if scale != 0 else abs(prod)

    def cert(c) -> intervals.Certificate:
        iv_cert = intervals.certify_nonzero(lambda M, y, g, ga, e: dmu_second_term(M, y, g, ga, e, power)[0], _fr(c),
                                            dps=work_dps(c.y, c.eps, ctx.dps))
        mu = sum(c.y, Fraction(0)) / c.m
        pg = c.gamma * sum((gi * (v - mu) for gi, v in zip(c.g, c.y)), Fraction(0))   # -2 s^3 dL/dsigma^2
        sm = sum((-2 * (v - mu) ** power for v in c.y), Fraction(0)) / c.m
        exact = pg != 0 and sm != 0
        return intervals.Certificate(lo=iv_cert.lo, hi=iv_cert.hi, certified=iv_cert.certified and exact,
                                     prec_bits=iv_cert.prec_bits)

    out = property_check(ctx, name="dL/dsigma^2 * (1/m) sum -2 (y - mu)^p", error=err, certify=cert)
    if "counterexample" in out.evidence:
        c = out.evidence["counterexample"]
        y, g, ga = [Fraction(v) for v in c["y"]], [Fraction(v) for v in c["g"]], Fraction(c["gamma"])
        mu = sum(y, Fraction(0)) / len(y)
        out.evidence["exact_factors"] = {
            "gamma_times_sum_g_centered": str(ga * sum((gi * (v - mu) for gi, v in zip(g, y)), Fraction(0))),
            "sum_term": str(sum((-2 * (v - mu) ** power for v in y), Fraction(0)) / len(y)),
            "note": "dL/dsigma^2 = -(gamma <g, y - mu>)/(2 s^3); both factors nonzero => product nonzero"}
    return out


def on_batch_backprop(y, eps, gamma, g, ctx: Context) -> Outcome:
    """C01 on user data: staged formulas vs ``J^T g`` from dual numbers through the BN definition."""
    def error(yy, gg, ga, e):
        return grad_err(staged_grad(mpmath.mp, yy, gg, ga, e), def_grad(mpmath.mp, yy, gg, ga, e), yy, gg, ga, e), {}
    return user_check(y, eps, gamma, g, ctx, error=error, certify=_backprop_cert(Fraction(-1, 2)))
