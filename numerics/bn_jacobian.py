"""High-precision checks of the BN input gradient (projection form, C02) and Jacobian spectrum (C17).

Closed forms (Santurkar et al. 2018, Fact C.1, ``santurkar2018how``) are evaluated in an mpmath
context ``M`` and compared with :func:`numerics.bn_mp.mp_gradient`, numerical differentiation of
the BN definition at ``ctx.dps + 20`` digits, over :func:`numerics.strategies.bn_cases`.
Refutations are shrunk with :func:`numerics.search.shrink` and certified with
:mod:`numerics.intervals`. Also the engine reused by ``numerics/ioffe2015.py`` and
``numerics/santurkar2018_smoothness.py``: :func:`property_check`.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Sequence

import mpmath

from bnclaims.context import Context
from bnclaims.errors import BadInput
from bnclaims.tolerances import mp_rel_tol
from bnclaims.verdicts import Outcome, Verdict
from numerics import bn_mp, intervals, search, strategies
from numerics.inputs import to_mp

__all__ = ["projection_grad", "reference_grad", "grad_err", "property_check", "check_projection_form",
           "check_spectrum", "check_near_identity", "on_batch_projection", "on_batch_spectrum"]


def projection_grad(M, y: Sequence, g: Sequence, gamma, eps, yhat_coeff_num: int = -1) -> list:
    """``(gamma/s)(g - <1,g>1/m + c <g,yhat> yhat)`` with ``c = yhat_coeff_num/m`` (Fact C.1: -1/m)."""
    m = len(y)
    mu, var = bn_mp.batch_stats(M, y)
    s = M.sqrt(var + eps)
    yh = [(v - mu) / s for v in y]
    p1, q = M.fsum(g), bn_mp.dot(M, g, yh)
    return [gamma / s * (gi - p1 / m + yhat_coeff_num * q * h / m) for gi, h in zip(g, yh)]


def reference_grad(y: Sequence, g: Sequence, gamma, eps, dps: int) -> list:
    """``J^T g`` by high-precision numerical differentiation of ``<g, BN(y)>`` (independent)."""
    return bn_mp.mp_gradient(lambda z: bn_mp.dot(mpmath.mp, g, bn_mp.bn_forward(mpmath.mp, z, gamma, 0, eps)),
                             y, dps)


def grad_err(a: Sequence, b: Sequence, y: Sequence, g: Sequence, gamma, eps):
    """max_i |a_i - b_i| relative to the natural scale |gamma|/s * max_i |g_i| of the gradient.

    (A plain relative error is meaningless when the exact gradient is 0, e.g. g = yhat.)
    """
    s = mpmath.sqrt(bn_mp.batch_stats(mpmath.mp, y)[1] + eps)
    scale = abs(gamma) / s * max(abs(v) for v in g)
    d = max(abs(u - v) for u, v in zip(a, b))
    return d / scale if scale != 0 else d


def _mp_case(case: strategies.BNCase) -> tuple:
    return (to_mp(case.y), to_mp(case.g), to_mp([case.gamma])[0], to_mp([case.eps])[0])


def property_check(ctx: Context, *, name: str, error: Callable[[strategies.BNCase], Any],
                   certify: Callable[[strategies.BNCase], intervals.Certificate], eps_values=strategies.EPS_VALUES,
                   max_m: tuple[int, int] = (24, 80), n: tuple[int, int] = (12, 25)) -> Outcome:
    """Run ``error(case) -> relative error`` on ``bn_cases``; shrink and certify a violation.

    A case violates when the error exceeds ``mp_rel_tol(ctx.dps)``; the shrunk case is then
    re-verified by ``certify`` (interval arithmetic at the same exact inputs).
    """
    tol = mp_rel_tol(ctx.dps)
    strat = strategies.bn_cases(max_m=ctx.budget(*max_m), eps_values=eps_values)
    def evaluate(c: strategies.BNCase) -> tuple:
        with mpmath.workdps(ctx.dps + 40):   # 40 guard digits absorb the cancellation of near-constant batches
            e = error(c)
        return e, e <= tol

    with mpmath.workdps(ctx.dps):
        rep = search.run_property(strat, evaluate,
                                  max_examples=ctx.budget(*n), seed=ctx.seed)
    ev = {"cases": rep.cases, "dps": ctx.dps, "seed": ctx.seed, "tolerance": mpmath.nstr(tol, 5),
          "max_rel_error": mpmath.nstr(rep.max_error, 5), "check": name}
    scope = (f"{rep.cases} hypothesis cases, m in 2..{ctx.budget(*max_m)}, eps in "
             f"{{{', '.join(str(e) for e in eps_values)}}}, {ctx.dps} digits")
    if not rep.violated:
        return Outcome(Verdict.HOLDS, scope, evidence=ev)
    # bn_cases draws m > 8 from a seed, and hypothesis rarely shrinks across that branch: try the
    # readable small-m branch first (integer entries in [-8, 8]), then the plain shrink.
    small = search.shrink(strategies.bn_cases(max_m=8, eps_values=eps_values),
                          lambda c: not evaluate(c)[1], seed=ctx.seed, max_examples=ctx.budget(200, 500))
    case = small or rep.shrunk or rep.violation
    cert = certify(case)
    ev.update({"counterexample": case.describe(), "certificate": cert.as_dict(), "shrunk": rep.shrunk is not None})
    return Outcome(Verdict.REFUTED if cert.certified else Verdict.INCONCLUSIVE, scope + "; shrunk + interval-certified",
                   evidence=ev)


def _fr(case: strategies.BNCase) -> list:
    return [list(case.y), list(case.g), case.gamma, case.eps]


def check_projection_form(ctx: Context, yhat_coeff_num: int = -1) -> Outcome:
    """C02 at 60 digits: Fact C.1 against numerical differentiation; entries of the gradient sum to 0."""
    def err(c: strategies.BNCase):
        y, g, ga, e = _mp_case(c)
        cf = projection_grad(mpmath.mp, y, g, ga, e, yhat_coeff_num)
        ref = reference_grad(y, g, ga, e, ctx.dps)
        return max(grad_err(cf, ref, y, g, ga, e), grad_err([mpmath.fsum(cf)], [0], y, g, ga, e))

    def cert(c: strategies.BNCase) -> intervals.Certificate:
        # certified: the claimed form differs from the proved Fact C.1 (theory/bn_jacobian.py) somewhere
        def f(M, y, g, ga, e):
            a, b = projection_grad(M, y, g, ga, e, yhat_coeff_num), projection_grad(M, y, g, ga, e, -1)
            return M.fsum([(u - v) ** 2 for u, v in zip(a, b)])
        return intervals.certify_positive(f, _fr(c), dps=ctx.dps)

    return property_check(ctx, name="projection form vs mp_gradient", error=err, certify=cert)


def _jacobian(y: list, gamma, eps, dps: int) -> mpmath.matrix:
    """dz/dy column by column by numerical differentiation of the BN definition."""
    m = len(y)
    J = mpmath.matrix(m, m)
    for i in range(m):
        col = bn_mp.mp_gradient(lambda z, i=i: bn_mp.bn_forward(mpmath.mp, z, gamma, 0, eps)[i], y, dps)
        for j in range(m):
            J[i, j] = col[j]
    return J


def _svals(J: mpmath.matrix) -> list:
    return sorted(mpmath.svd_r(J, compute_uv=False))


def check_spectrum(ctx: Context, sigma_power: int = 1) -> Outcome:
    """C17 at eps = 0: singular values of the numerical Jacobian are |gamma|/sigma^p (m-2 times) and 0, 0."""
    def claimed(c: strategies.BNCase) -> list:
        y, g, ga, e = _mp_case(c)
        sig = mpmath.sqrt(bn_mp.batch_stats(mpmath.mp, y)[1])
        return [mpmath.mpf(0)] * 2 + [abs(ga) / sig**sigma_power] * (c.m - 2)

    def err(c: strategies.BNCase):
        y, g, ga, e = _mp_case(c)
        sv = _svals(_jacobian(y, ga, e, ctx.dps))
        cl = claimed(c)
        den = max(max(abs(v) for v in cl), max(sv))
        return max(abs(a - b) for a, b in zip(sv, cl)) / (den if den != 0 else 1)

    def cert(c: strategies.BNCase) -> intervals.Certificate:
        # ||J||_F^2 = sum of squared singular values, J from the proved form (gamma/sigma) P:
        # certify ||J||_F^2 - sum(claimed^2) != 0.
        def f(M, y, g, ga, e):
            mu, var = bn_mp.batch_stats(M, y)
            cols = [projection_grad(M, y, [M.mpf(int(i == k)) for i in range(len(y))], ga, e) for k in range(len(y))]
            fro = M.fsum([v**2 for col in cols for v in col])
            return fro - (len(y) - 2) * ga**2 / var**sigma_power
        return intervals.certify_nonzero(f, _fr(c), dps=ctx.dps)

    return property_check(ctx, name="Jacobian singular values", error=err, certify=cert,
                          eps_values=(Fraction(0),), max_m=(6, 10), n=(6, 20))


def check_near_identity(ctx: Context, band: tuple = (Fraction(1, 2), Fraction(2))) -> Outcome:
    """C17 seed 001: every nonzero singular value of dz/dy in [1/2, 2] (eps as in bn_cases)."""
    lo, hi = (mpmath.mpf(b.numerator) / b.denominator for b in band)

    def violates(c: strategies.BNCase) -> bool:
        y, g, ga, e = _mp_case(c)
        sv = _svals(_jacobian(y, ga, e, ctx.dps))
        top = max(sv)
        nz = [v for v in sv if v > top * mpmath.mpf(10) ** (-ctx.dps // 2)]
        return any(v < lo or v > hi for v in nz)

    with mpmath.workdps(ctx.dps):
        strat = strategies.bn_cases(max_m=6, eps_values=(Fraction(0),))
        rep = search.run_property(strat, lambda c: (0, not violates(c)), max_examples=ctx.budget(5, 15), seed=ctx.seed)
    ev: dict[str, Any] = {"cases": rep.cases, "dps": ctx.dps, "seed": ctx.seed, "band": [str(b) for b in band]}
    if not rep.violated:
        return Outcome(Verdict.HOLDS, f"{rep.cases} cases, m <= 6, eps = 0", evidence=ev)
    case = rep.shrunk or rep.violation

    def f(M, y, ga):   # eps = 0: nonzero singular values are |gamma|/sigma (proved, theory/bn_jacobian.py)
        v = bn_mp.batch_stats(M, y)[1]
        r = ga**2 / v
        return M.mpf(0) + ((r - hi**2) if r > hi**2 else (lo**2 - r))
    cert = intervals.certify_positive(f, [list(case.y), case.gamma], dps=ctx.dps)
    ev.update({"counterexample": case.describe(), "certificate": cert.as_dict()})
    return Outcome(Verdict.REFUTED if cert.certified else Verdict.INCONCLUSIVE,
                   f"{rep.cases} cases, m <= 6, eps = 0; shrunk + interval-certified", evidence=ev)


def _user(y, eps, gamma, g) -> tuple:
    yy = to_mp([Fraction(v) for v in y])
    gg = to_mp([Fraction(v) for v in (g if g is not None else [1] + [0] * (len(y) - 1))])
    return yy, gg, to_mp([Fraction(gamma)])[0], to_mp([Fraction(eps)])[0]


def on_batch_projection(y, eps, gamma, g, ctx: Context) -> Outcome:
    """C02 on user data: Fact C.1 vs numerical differentiation; sum of entries and <grad, yhat>."""
    with mpmath.workdps(ctx.dps):
        yy, gg, ga, e = _user(y, eps, gamma, g)
        cf, ref = projection_grad(mpmath.mp, yy, gg, ga, e), reference_grad(yy, gg, ga, e, ctx.dps)
        err = grad_err(cf, ref, yy, gg, ga, e)
        yh = bn_mp.normalize(mpmath.mp, yy, e)
        ok = err <= mp_rel_tol(ctx.dps)
        return Outcome(Verdict.HOLDS if ok else Verdict.REFUTED, f"user batch, m = {len(y)}, {ctx.dps} digits",
                       evidence={"rel_error": mpmath.nstr(err, 5), "sum_of_entries": mpmath.nstr(mpmath.fsum(ref), 5),
                                 "grad_dot_yhat": mpmath.nstr(bn_mp.dot(mpmath.mp, ref, yh), 10)})


def on_batch_spectrum(y, eps, gamma, g, ctx: Context) -> Outcome:
    """C17 on user data (eps = 0 only): singular values of the numerical Jacobian vs |gamma|/sigma."""
    if Fraction(eps) != 0:
        raise BadInput("bn.jacobian_spectrum is stated for eps = 0; got eps != 0")
    with mpmath.workdps(ctx.dps):
        yy, gg, ga, e = _user(y, eps, gamma, g)
        sv = _svals(_jacobian(yy, ga, e, ctx.dps))
        sig = mpmath.sqrt(bn_mp.batch_stats(mpmath.mp, yy)[1])
        cl = [mpmath.mpf(0)] * 2 + [abs(ga) / sig] * (len(y) - 2)
        den = max(max(sv), abs(ga) / sig)
        err = max(abs(a - b) for a, b in zip(sv, cl)) / den
        return Outcome(Verdict.HOLDS if err <= mp_rel_tol(ctx.dps) else Verdict.REFUTED,
                       f"user batch, m = {len(y)}, {ctx.dps} digits",
                       evidence={"singular_values": [mpmath.nstr(v, 15) for v in sv], "rel_error": mpmath.nstr(err, 5)})
