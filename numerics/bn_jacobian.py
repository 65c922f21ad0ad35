"""High-precision checks of the BN input gradient (projection form, C02) and Jacobian spectrum (C17).

Closed forms (Santurkar et al. 2018, Fact C.1, ``santurkar2018how``) are evaluated in an mpmath
context ``M`` and compared with :func:`bnclaims.numerics.bn_mp.mp_gradient`, numerical differentiation of
the BN definition, over :func:`bnclaims.numerics.strategies.bn_cases`, at a working precision adapted to
the conditioning of the batch (:func:`work_dps`). Refutations are shrunk with
:func:`bnclaims.numerics.search.shrink` and certified with :mod:`bnclaims.numerics.intervals` against the BN
*definition*: :class:`Jet` (truncated Taylor series, i.e. forward-mode dual / hyper-dual numbers)
carried through :func:`bnclaims.numerics.bn_mp.bn_forward` in ``mpmath.iv`` gives enclosures of exact
derivatives that share no code with any closed form. Also the engine reused by
``numerics/ioffe2015.py`` and ``numerics/santurkar2018_smoothness.py``: :func:`property_check`,
:func:`user_check`, :func:`def_grad`, :func:`def_jacobian`.
"""
from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from functools import reduce
from typing import Any, Callable, Sequence

import mpmath

from bnclaims.context import Context
from bnclaims.errors import BadInput
from bnclaims.tolerances import mp_rel_tol, tol
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.numerics import bn_mp, intervals, search, strategies
from bnclaims.numerics.inputs import default_upstream, to_mp

__all__ = ["Jet", "JetContext", "jet_bn", "def_grad", "def_jacobian", "work_dps", "projection_grad",
           "reference_grad", "grad_err", "property_check", "user_check", "check_projection_form",
           "check_spectrum", "check_near_identity", "on_batch_projection", "on_batch_spectrum"]


# --------------------------------------------------------------------------- jets (dual numbers)
class Jet:
    """``c0 + c1 t + ... + ck t^k`` modulo ``t^(k+1)``: forward-mode AD in any mpmath context.

    Order 1 is a dual number (value, derivative), order 2 a hyper-dual number along one
    direction (``f(x + t d)`` gives ``c1 = f'[d]``, ``2 c2 = f''[d, d]``). Coefficients are
    ``mp.mpf`` or ``iv.mpf``; a constant must be lifted with :meth:`JetContext.const` before it
    meets a jet (``iv.mpf * Jet`` raises inside mpmath instead of deferring).
    """

    __slots__ = ("c",)

    def __init__(self, c: Sequence) -> None:
        self.c = tuple(c)

    def _lift(self, x: Any) -> "Jet":
        return x if isinstance(x, Jet) else Jet((x,) + (0,) * (len(self.c) - 1))

    def __add__(self, o: Any) -> "Jet":
        o = self._lift(o)
        return Jet(a + b for a, b in zip(self.c, o.c))

    __radd__ = __add__

    def __neg__(self) -> "Jet":
        return Jet(-a for a in self.c)

    def __sub__(self, o: Any) -> "Jet":
        return self + (-self._lift(o))

    def __rsub__(self, o: Any) -> "Jet":
        return self._lift(o) - self

    def __mul__(self, o: Any) -> "Jet":
        o, n = self._lift(o), len(self.c)
        return Jet(reduce(lambda acc, i: acc + self.c[i] * o.c[k - i], range(1, k + 1), self.c[0] * o.c[k])
                   for k in range(n))

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> "Jet":
        o, out = self._lift(o), []
        for k in range(len(self.c)):
            out.append(reduce(lambda acc, i: acc - out[i] * o.c[k - i], range(k), self.c[k]) / o.c[0])
        return Jet(out)

    def __rtruediv__(self, o: Any) -> "Jet":
        return self._lift(o) / self

    def __pow__(self, n: int) -> "Jet":
        if n < 0:
            return 1 / self ** (-n)
        return reduce(lambda acc, _: acc * self, range(n - 1), self) if n else self._lift(1)

    def sqrt(self, M) -> "Jet":
        r0 = M.sqrt(self.c[0])
        out = [r0]
        for k in range(1, len(self.c)):   # (sum r_i t^i)^2 = a: 2 r0 r_k = a_k - sum_{0<i<k} r_i r_{k-i}
            out.append(reduce(lambda acc, i: acc - out[i] * out[k - i], range(1, k), self.c[k]) / (2 * r0))
        return Jet(out)


class JetContext:
    """An mpmath-like context (``fsum``, ``sqrt``, ``mpf``) over :class:`Jet` of a base context ``M``."""

    def __init__(self, M, order: int) -> None:
        self.M, self.order = M, order

    def const(self, x: Any) -> Jet:
        return x if isinstance(x, Jet) else Jet((x,) + (0,) * self.order)

    def path(self, y: Sequence, d: Sequence) -> list:
        """``y + t d`` as jets."""
        return [Jet((a, b) + (0,) * (self.order - 1)) for a, b in zip(y, d)]

    def fsum(self, xs: Sequence) -> Jet:
        return reduce(lambda a, b: a + b, [self.const(x) for x in xs])

    def sqrt(self, x: Any) -> Jet:
        return self.const(x).sqrt(self.M)

    def mpf(self, x: Any) -> Jet:
        return self.const(self.M.mpf(x))


def jet_bn(M, y: Sequence, d: Sequence, gamma, eps, order: int = 1) -> list:
    """``BN(y + t d)`` (beta = 0) as jets, through the plain definition :func:`bnclaims.numerics.bn_mp.bn_forward`."""
    J = JetContext(M, order)
    return bn_mp.bn_forward(J, J.path(y, d), J.const(gamma), 0, J.const(eps))


def def_jacobian(M, y: Sequence, gamma, eps) -> list:
    """Columns ``dz/dy_j`` of the BN Jacobian from dual numbers through the definition."""
    m = len(y)
    return [[z.c[1] for z in jet_bn(M, y, [int(i == j) for i in range(m)], gamma, eps)] for j in range(m)]


def def_grad(M, y: Sequence, g: Sequence, gamma, eps) -> list:
    """``J^T g``: ``d/dy_j <g, BN(y)>`` from dual numbers through the definition (no closed form)."""
    return [M.fsum([gi * cj for gi, cj in zip(g, col)]) for col in def_jacobian(M, y, gamma, eps)]


# --------------------------------------------------------------------------- precision, closed forms
def _log10(q: Fraction) -> float:
    return math.log10(q.numerator) - math.log10(q.denominator)


def work_dps(y: Sequence, eps, dps: int) -> int:
    """``dps + 2 log10(1 + max|y|/s) + guard``: centring ``y`` loses ``log10(max|y|/s)`` digits, squaring twice."""
    y, e = [Fraction(v) for v in y], Fraction(eps)
    mu = sum(y, Fraction(0)) / len(y)
    s2 = sum(((v - mu) ** 2 for v in y), Fraction(0)) / len(y) + e
    r2 = max(v * v for v in y) / s2      # (1 + r)^2 <= 2 (1 + r^2)
    return dps + math.ceil(math.log10(2) + _log10(1 + r2)) + int(tol("mp.conditioning_guard_digits"))


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


def _fr(case: strategies.BNCase) -> list:
    return [list(case.y), list(case.g), case.gamma, case.eps]


# --------------------------------------------------------------------------- engines
def property_check(ctx: Context, *, name: str, error: Callable[[strategies.BNCase], Any],
                   certify: Callable[[strategies.BNCase], intervals.Certificate], eps_values=strategies.EPS_VALUES,
                   max_m: tuple[int, int] = (24, 80), n: tuple[int, int] = (12, 25),
                   hypotheses: Callable[[strategies.BNCase], bool] = lambda c: True) -> Outcome:
    """Run ``error(case) -> relative error`` on ``bn_cases``; shrink and certify a violation. ``n`` and
    ``max_m`` are the number of cases and the largest batch at the quick and default presets (12 and 25
    cases by default; the thorough preset takes four times the default).

    ``error`` runs at :func:`work_dps` digits (``mp.dps`` is set; pass it on). A case violates
    when the error exceeds ``mp_rel_tol(ctx.dps)``; the shrunk case is re-verified by ``certify``
    (interval arithmetic at the same exact inputs) and must satisfy ``hypotheses`` for REFUTED.
    """
    bound = mp_rel_tol(ctx.dps)
    strat = strategies.bn_cases(max_m=ctx.budget(*max_m), eps_values=eps_values)

    def evaluate(c: strategies.BNCase) -> tuple:
        with mpmath.workdps(work_dps(c.y, c.eps, ctx.dps)):
            e = error(c)
        return e, e <= bound

    with mpmath.workdps(ctx.dps):
        rep = search.run_property(strat, evaluate, max_examples=ctx.budget(*n), seed=ctx.seed)
    ev = {"cases": rep.cases, "dps": ctx.dps, "seed": ctx.seed, "tolerance": mpmath.nstr(bound, 5),
          "max_rel_error": mpmath.nstr(rep.max_error, 5), "check": name,
          "working_dps": "dps + 2 log10(1 + max|y|/s) + " + str(int(tol("mp.conditioning_guard_digits")))}
    scope = (f"{rep.cases} hypothesis cases, m in 2..{ctx.budget(*max_m)}, eps in "
             f"{{{', '.join(str(e) for e in eps_values)}}}, {ctx.dps} digits")
    if not rep.violated:
        return Outcome(Verdict.HOLDS, scope, evidence=ev)
    # bn_cases draws m > 8 from a seed, and hypothesis rarely shrinks across that branch: try the
    # readable small-m branch first (integer entries in [-8, 8]), then the plain shrink.
    small = search.shrink(strategies.bn_cases(max_m=8, eps_values=eps_values),
                          lambda c: not evaluate(c)[1], seed=ctx.seed, max_examples=ctx.budget(200, 500))
    case = small or rep.shrunk or rep.violation
    cert, hyp = certify(case), hypotheses(case)
    ev.update({"counterexample": case.describe(), "certificate": cert.as_dict(), "shrunk": rep.shrunk is not None,
               "hypotheses_hold": hyp})
    return Outcome(Verdict.REFUTED if cert.certified and hyp else Verdict.INCONCLUSIVE,
                   scope + "; shrunk + interval-certified against the BN definition", evidence=ev)


def user_fr(y, eps, gamma, g) -> tuple:
    """User data as exact rationals; ``g`` defaults to :func:`bnclaims.numerics.inputs.default_upstream`."""
    yy = [Fraction(v) for v in y]
    gg = [Fraction(v) for v in g] if g is not None else default_upstream(yy)
    return yy, gg, Fraction(gamma), Fraction(eps)


def user_check(y, eps, gamma, g, ctx: Context, *, error: Callable[..., tuple],
               certify: Callable[[list, int], intervals.Certificate]) -> Outcome:
    """A claim on one user batch: ``error(y, g, gamma, eps) -> (rel_error, evidence)`` at :func:`work_dps`.

    HOLDS when the error is below ``mp_rel_tol(ctx.dps)``; otherwise REFUTED only if
    ``certify(exact_args, dps)`` encloses the violation, else INCONCLUSIVE.
    """
    fr = user_fr(y, eps, gamma, g)
    dps = work_dps(fr[0], fr[3], ctx.dps)
    with mpmath.workdps(dps):
        err, ev = error(*(to_mp(v) if isinstance(v, list) else to_mp([v])[0] for v in fr))
        ev.update({"rel_error": mpmath.nstr(err, 5), "tolerance": mpmath.nstr(mp_rel_tol(ctx.dps), 5),
                   "dps": ctx.dps, "working_dps": dps})
        ok = err <= mp_rel_tol(ctx.dps)
    scope = f"user batch, m = {len(y)}, {ctx.dps} digits (worked at {dps})"
    if ok:
        return Outcome(Verdict.HOLDS, scope, evidence=ev)
    cert = certify(list(fr), dps)
    ev["certificate"] = cert.as_dict()
    return Outcome(Verdict.REFUTED if cert.certified else Verdict.INCONCLUSIVE, scope + "; interval re-verification",
                   evidence=ev)


# --------------------------------------------------------------------------- C02
def _projection_residuals(M, y, g, ga, e, grad, yhat_coeff_num: int) -> tuple:
    """(claimed - grad, <1,grad>, <grad,yhat> - gamma eps <g,yhat>/s^3) for the three parts of C02."""
    cf = projection_grad(M, y, g, ga, e, yhat_coeff_num)
    mu, var = bn_mp.batch_stats(M, y)
    s = M.sqrt(var + e)
    yh = [(v - mu) / s for v in y]
    return ([a - b for a, b in zip(cf, grad)], M.fsum(grad),
            bn_mp.dot(M, grad, yh) - ga * e * bn_mp.dot(M, g, yh) / s**3)


def _projection_err(y, g, ga, e, grad, yhat_coeff_num: int):
    d, sm, along = _projection_residuals(mpmath.mp, y, g, ga, e, grad, yhat_coeff_num)
    return max(grad_err(d, [0] * len(d), y, g, ga, e), grad_err([sm], [0], y, g, ga, e),
               grad_err([along], [0], y, g, ga, e))


def _projection_cert(yhat_coeff_num: int) -> Callable[[list, int], intervals.Certificate]:
    def cert(args: list, dps: int) -> intervals.Certificate:
        def f(M, y, g, ga, e):
            d, sm, along = _projection_residuals(M, y, g, ga, e, def_grad(M, y, g, ga, e), yhat_coeff_num)
            return M.fsum([v * v for v in d] + [sm * sm, along * along])
        return intervals.certify_positive(f, args, dps=dps)
    return cert


def check_projection_form(ctx: Context, yhat_coeff_num: int = -1) -> Outcome:
    """C02: Fact C.1 vs numerical differentiation; ``<1, grad> = 0``; ``<grad, yhat> = gamma eps <g,yhat>/s^3``."""
    def err(c: strategies.BNCase):
        y, g, ga, e = _mp_case(c)
        return _projection_err(y, g, ga, e, reference_grad(y, g, ga, e, mpmath.mp.dps), yhat_coeff_num)

    cert = _projection_cert(yhat_coeff_num)
    return property_check(ctx, name="projection form vs mp_gradient", error=err,
                          certify=lambda c: cert(_fr(c), work_dps(c.y, c.eps, ctx.dps)))


def on_batch_projection(y, eps, gamma, g, ctx: Context) -> Outcome:
    """C02 on user data: Fact C.1, sum of entries and ``<grad, yhat>`` vs dual-number ``J^T g``."""
    def error(yy, gg, ga, e):
        ref = def_grad(mpmath.mp, yy, gg, ga, e)
        yh = bn_mp.normalize(mpmath.mp, yy, e)
        return _projection_err(yy, gg, ga, e, ref, -1), {
            "sum_of_entries": mpmath.nstr(mpmath.fsum(ref), 5),
            "grad_dot_yhat": mpmath.nstr(bn_mp.dot(mpmath.mp, ref, yh), 10)}
    return user_check(y, eps, gamma, g, ctx, error=error, certify=_projection_cert(-1))


# --------------------------------------------------------------------------- C17
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


def _spectrum_cert(sigma_power: int) -> Callable[[list, int], intervals.Certificate]:
    """Certify that the claimed singular values are wrong: ``sum sv^2 = ||J||_F^2`` or
    ``sum sv^4 = ||J^T J||_F^2`` differs, with ``J`` from dual numbers through the BN definition."""
    def cert(args: list, dps: int) -> intervals.Certificate:
        def f(M, y, g, ga, e):
            cols = def_jacobian(M, y, ga, e)
            m, var = len(y), bn_mp.batch_stats(M, y)[1]
            gram = [[M.fsum([a * b for a, b in zip(ci, cj)]) for cj in cols] for ci in cols]   # J^T J
            c2 = ga**2 / var**sigma_power
            d1 = M.fsum([gram[i][i] for i in range(m)]) - (m - 2) * c2
            d2 = M.fsum([x * x for row in gram for x in row]) - (m - 2) * c2 * c2
            return d1 * d1 + d2 * d2
        return intervals.certify_positive(f, args, dps=dps)
    return cert


def _spectrum_err(sv: list, cl: list, scale=0):
    """Largest singular-value error relative to the largest value, or to ``scale`` (the natural size
    |gamma|/sigma of the Jacobian) when that is larger: at m = 2 every singular value is 0 and the
    computed ones are rounding noise of size 10^-dps |gamma|/sigma."""
    den = max(max(abs(v) for v in cl), max(sv), scale)
    return max(abs(a - b) for a, b in zip(sv, cl)) / (den if den != 0 else 1)


def check_spectrum(ctx: Context, sigma_power: int = 1) -> Outcome:
    """C17 at eps = 0: singular values of the numerical Jacobian are |gamma|/sigma^p (m-2 times) and 0, 0."""
    def err(c: strategies.BNCase):
        y, g, ga, e = _mp_case(c)
        sig = mpmath.sqrt(bn_mp.batch_stats(mpmath.mp, y)[1])
        cl = [mpmath.mpf(0)] * 2 + [abs(ga) / sig**sigma_power] * (c.m - 2)
        return _spectrum_err(_svals(_jacobian(y, ga, e, mpmath.mp.dps)), cl, abs(ga) / sig)

    cert = _spectrum_cert(sigma_power)
    return property_check(ctx, name="Jacobian singular values", eps_values=(Fraction(0),), max_m=(6, 10), n=(6, 20),
                          error=err, certify=lambda c: cert(_fr(c), work_dps(c.y, c.eps, ctx.dps)))


def on_batch_spectrum(y, eps, gamma, g, ctx: Context) -> Outcome:
    """C17 on user data (eps = 0 only): singular values of the dual-number Jacobian vs |gamma|/sigma."""
    if Fraction(eps) != 0:
        raise BadInput("bn.jacobian_spectrum is stated for eps = 0; got eps != 0")

    def error(yy, gg, ga, e):
        cols = def_jacobian(mpmath.mp, yy, ga, e)
        sv = _svals(mpmath.matrix(cols).T)
        sig = mpmath.sqrt(bn_mp.batch_stats(mpmath.mp, yy)[1])
        return _spectrum_err(sv, [mpmath.mpf(0)] * 2 + [abs(ga) / sig] * (len(yy) - 2), abs(ga) / sig), {
            "singular_values": [mpmath.nstr(v, 15) for v in sv]}
    return user_check(y, eps, gamma, g, ctx, error=error, certify=_spectrum_cert(1))


# --------------------------------------------------------------------------- C17, seed 001
def _rayleigh_cert(y: list, lo: Fraction, hi: Fraction, dps: int) -> tuple:
    """Certify a nonzero singular value of ``J`` (gamma = 1, eps = 0) outside ``[lo, hi]``.

    For ``u = J^T w != 0`` (in the row space, orthogonal to ker J) the Rayleigh quotient
    ``||J u||^2/||u||^2`` lies between the squares of the smallest *nonzero* and the largest
    singular value: ``||Ju||^2 - hi^2||u||^2 > 0`` or ``lo^2||u||^2 - ||Ju||^2 > 0`` (intervals,
    ``J`` from dual numbers through the definition) certifies the violation. Tries ``w = e_k``.
    """
    cert = None
    for k in range(len(y)):
        for side in (1, -1):
            def f(M, yy, lo_, hi_, k=k, side=side):
                cols = def_jacobian(M, yy, M.mpf(1), M.mpf(0))
                u = [col[k] for col in cols]                                   # u = J^T e_k
                ju = [M.fsum([cols[j][i] * u[j] for j in range(len(u))]) for i in range(len(u))]
                nu, nju = M.fsum([x * x for x in u]), M.fsum([x * x for x in ju])
                return nju - hi_**2 * nu if side == 1 else lo_**2 * nu - nju
            cert = intervals.certify_positive(f, [y, lo, hi], dps=dps)
            if cert.certified:
                return cert, {"direction": f"w = e_{k + 1}",
                              "side": "above band" if side == 1 else "below band (nonzero)"}
    return cert, {}


def check_near_identity(ctx: Context, band: tuple = (Fraction(1, 2), Fraction(2))) -> Outcome:
    """C17 seed 001 (``wiki2025bn``): every nonzero singular value of dz/dy in ``band``, gamma = 1, eps = 0.

    The hypothesis gamma = 1 is enforced on every drawn case; structural zeros (exact at
    eps = 0) are those below ``10^(-dps * mp.structural_zero_dps_fraction)`` times the largest.
    """
    lo, hi = (Fraction(b) for b in band)
    cut = mpmath.mpf(10) ** (-int(ctx.dps * tol("mp.structural_zero_dps_fraction")))

    def violates(c: strategies.BNCase) -> bool:
        with mpmath.workdps(work_dps(c.y, 0, ctx.dps)):
            y = to_mp(c.y)
            sv = _svals(mpmath.matrix(def_jacobian(mpmath.mp, y, mpmath.mpf(1), mpmath.mpf(0))).T)
            nz = [v for v in sv if v > max(sv) * cut]
            return any(v < to_mp([lo])[0] or v > to_mp([hi])[0] for v in nz)

    strat = strategies.bn_cases(max_m=6, eps_values=(Fraction(0),)).map(
        lambda c: dataclasses.replace(c, gamma=Fraction(1)))
    with mpmath.workdps(ctx.dps):
        rep = search.run_property(strat, lambda c: (0, not violates(c)), max_examples=ctx.budget(5, 15), seed=ctx.seed)
    ev: dict[str, Any] = {"cases": rep.cases, "dps": ctx.dps, "seed": ctx.seed, "band": [str(b) for b in band]}
    scope = f"{rep.cases} cases, m <= 6, gamma = 1, eps = 0, structural zeros dropped"
    if not rep.violated:
        return Outcome(Verdict.HOLDS, scope, evidence=ev)
    case = rep.shrunk or rep.violation
    hyp = case.gamma == 1 and case.eps == 0
    cert, how = _rayleigh_cert(list(case.y), lo, hi, work_dps(case.y, 0, ctx.dps))
    ev.update({"counterexample": case.describe(), "certificate": {**cert.as_dict(), **how}, "hypotheses_hold": hyp})
    return Outcome(Verdict.REFUTED if cert.certified and hyp else Verdict.INCONCLUSIVE,
                   scope + "; shrunk + Rayleigh quotient interval-certified from the BN definition", evidence=ev)
