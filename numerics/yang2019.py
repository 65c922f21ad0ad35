"""Gradient-explosion rates of deep BN networks (Yang et al. 2019, Thms 8, 9) in mpmath, for any activation.

Yang, Pennington, Rao, Sohl-Dickstein, Schoenholz (2019), "A Mean Field Theory of Batch
Normalization", ICLR (bibkey ``yang2019mean``), Sec. 3.1.2:

* Thm 8 (eq. 25): the ReLU rate lambda(B) at finite batch size (:func:`relu_rate_mp`, the closed form
  of ``bnclaims.theory.yang2019.relu_rate`` written again here; :func:`homogeneous_rate_mp` for every
  phi = alpha relu(z) + beta relu(-z)); :func:`check_relu_rate_table`: the printed values, monotone
  decrease, convergence to pi/(pi-1) at rate 1/B, and an interval enclosure of the limit.
* Thm 9: the large-B rate E phi'(z)^2 / Var phi(z), z ~ N(0,1), of any activation
  (:func:`large_batch_rate`, generic Gaussian quadrature in :mod:`bnclaims.numerics.activations`, re-exported
  here with the other activation names), :func:`check_poincare_panel` (>= 1, = 1 only for affine phi)
  and the user-facing :func:`activation_rate`.

An activation is anything :func:`bnclaims.numerics.activations.as_activation` accepts: a name (``relu``,
``gelu``, ...), an expression in ``z`` (``relu(z - 1/2)``, ``He(1, z) + He(2, z)/4``), a sympy
expression, or a Python callable on mpmath numbers. Example::

    >>> activation_rate("relu", batch=8)["finite_batch_rate"][:8]
    '1.788189'
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache, partial
from typing import Any, Callable

import mpmath
import sympy as sp

from bnclaims.context import Context
from bnclaims.errors import BadInput
from bnclaims.tolerances import mp_rel_tol, tol
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.numerics.activations import (KNOWN_ACTIVATIONS, Activation, _mp, activation_from_expr, as_activation,
                                  exact_polynomial_moments, gaussian_moments, large_batch_rate, parse_activation)
from bnclaims.numerics.intervals import certify_positive, endpoints

__all__ = [
    "pi_over_pi_minus_1", "pi_over_pi_minus_2", "relu_rate_mp", "homogeneous_rate_mp", "relu_rate_enclosure",
    "check_relu_rate_table", "check_relu_rate_table_twin", "Activation", "KNOWN_ACTIVATIONS",
    "parse_activation", "as_activation", "activation_from_expr", "gaussian_moments", "exact_polynomial_moments",
    "large_batch_rate", "activation_rate", "PANEL", "check_poincare_panel", "check_poincare_panel_twin",
]

Const = Callable[[Any], Any]   # a number in any mpmath context M (mp or iv)


def pi_over_pi_minus_1(M: Any) -> Any:
    """pi/(pi-1): the large-B ReLU rate (Yang Thm 8 limit, Thm 9 rate of relu)."""
    return M.pi / (M.pi - 1)


def pi_over_pi_minus_2(M: Any) -> Any:
    """pi/(pi-2): the false twin of the limit."""
    return M.pi / (M.pi - 2)


def _ctx_eval(e: sp.Expr, M: Any) -> Any:
    """A closed-form constant (rationals, pi, E, sums, products, integer powers, sqrt) in context M."""
    if e.is_Integer:
        return M.mpf(int(e))
    if e.is_Rational:
        return M.mpf(int(e.p)) / int(e.q)
    if e == sp.pi:
        return M.pi
    if e == sp.E:
        return M.e
    if e.is_Add:
        return sum((_ctx_eval(a, M) for a in e.args), M.mpf(0))
    if e.is_Mul:
        out = M.mpf(1)
        for a in e.args:
            out = out * _ctx_eval(a, M)
        return out
    if e.is_Pow and e.exp.is_Integer:
        return _ctx_eval(e.base, M) ** int(e.exp)
    if e.is_Pow and e.exp == sp.Rational(1, 2):
        return M.sqrt(_ctx_eval(e.base, M))
    raise BadInput(f"constant {e}: only rationals, pi, E, +, *, integer powers and sqrt are supported")


def _const_fn(constant: Any) -> Const:
    """A constant as a function of the context: a callable M -> value, a number, or text ("pi/(pi-1)")."""
    if callable(constant):
        return constant
    try:
        e = sp.sympify(str(constant) if isinstance(constant, Fraction) else constant, rational=True)
    except (sp.SympifyError, TypeError):
        raise BadInput(f"cannot read the constant {constant!r}") from None
    if e.free_symbols:
        raise BadInput(f"the constant {constant!r} has free symbols {sorted(map(str, e.free_symbols))}")
    return lambda M: _ctx_eval(e, M)


# --------------------------------------------------------------------------- Thm 8: finite B

def _asin_iv(x: Any) -> Any:
    """asin on an mpmath.iv interval inside [-1/2, 1/2]: Taylor series plus a rigorous tail bound.

    Coefficients (2n)!/(4^n n!^2 (2n+1)) <= 1, so the tail after N terms is <= r^(2N+1)/(1-r^2).
    """
    iv = mpmath.iv
    lo, hi = endpoints(x)
    r = max(abs(lo), abs(hi))
    if r > mpmath.mpf(1) / 2:
        raise ValueError("_asin_iv needs |x| <= 1/2")
    total, N = iv.mpf(0), 0
    while r ** (2 * N + 1) > mpmath.mpf(2) ** (-(iv.prec + 20)) and N < 10 ** 4:
        coef = Fraction(math.factorial(2 * N), 4 ** N * math.factorial(N) ** 2 * (2 * N + 1))
        total += iv.mpf(coef.numerator) / coef.denominator * x ** (2 * N + 1)
        N += 1
    tail = (iv.mpf(r) ** (2 * N + 1) / (1 - iv.mpf(r) ** 2)).b
    return total + iv.mpf([-tail, tail])


def _relu_rate_t(M: Any, t: Any) -> Any:
    """lambda_relu as a function of t = 1/B (continuous at t = 0): T/B over (1-3t)(1-t) a."""
    c = -t / (1 - t)
    s = _asin_iv(c) if M is mpmath.iv else M.asin(c)
    q0 = M.mpf(1) / 4 + s / (2 * M.pi)
    k1 = (M.sqrt(1 - c * c) + (M.pi / 2 + s) * c) / (2 * M.pi)     # pi - acos c = pi/2 + asin c
    num = M.mpf(1) / 2 - 3 * t / 2 + t * t + t * (1 - t) * (q0 + k1)
    return num / ((1 - 3 * t) * (1 - t) * (M.mpf(1) / 2 - k1))


def _guard(B: int, dps: int) -> int:
    return dps + 2 * len(str(abs(int(B)))) + 10


def relu_rate_mp(B: int, dps: int = 30) -> mpmath.mpf:
    """Thm 8 (eq. 25) at batch size B >= 4, as written: B T / ((B-3)(B-1) a) with c0 = -1/(B-1),
    q0 = 1/4 + asin(c0)/(2 pi), kappa1 = (sqrt(1-c0^2) + (pi - acos c0) c0)/(2 pi), a = 1/2 - kappa1,
    T = (B-2)/2 - 1/2 + 1/B + (B-1)(q0 + kappa1)/B."""
    with mpmath.workdps(_guard(B, dps)):
        b = mpmath.mpf(B)
        c0 = -1 / (b - 1)
        q0, k1 = _orthant(c0), _arccos1(c0)
        T = (b - 2) / 2 - mpmath.mpf(1) / 2 + 1 / b + (b - 1) * (q0 + k1) / b
        out = b * T / ((b - 3) * (b - 1) * (mpmath.mpf(1) / 2 - k1))
    with mpmath.workdps(dps):
        return +out


def _orthant(c: Any) -> Any:
    """P(u > 0, v > 0) = 1/4 + asin(c)/(2 pi) for unit Gaussians with correlation c."""
    return mpmath.mpf(1) / 4 + mpmath.asin(c) / (2 * mpmath.pi)


def _arccos1(c: Any) -> Any:
    """E relu(u) relu(v) = (sqrt(1 - c^2) + (pi - acos c) c) / (2 pi): Yang's arc-cosine kernel J(c)/2."""
    return (mpmath.sqrt(1 - c * c) + (mpmath.pi - mpmath.acos(c)) * c) / (2 * mpmath.pi)


def homogeneous_rate_mp(B: int, alpha: Any, beta: Any, dps: int = 30) -> mpmath.mpf:
    """The Thm 8 derivation for phi = alpha relu(z) + beta relu(-z) (see theory.yang2019.homogeneous_rate):
    linear (1, -1) gives (B-2)/(B-3), relu (1, 0) gives :func:`relu_rate_mp`."""
    with mpmath.workdps(_guard(B, dps)):
        b, al, be = mpmath.mpf(B), mpmath.mpmathify(alpha), mpmath.mpmathify(beta)
        c = -1 / (b - 1)
        m = (al ** 2 + be ** 2) / 2
        dd = (al ** 2 + be ** 2) * _orthant(c) - 2 * al * be * _orthant(-c)
        kk = (al ** 2 + be ** 2) * _arccos1(c) + 2 * al * be * _arccos1(-c)
        T = b * m * (1 - 2 / b) + (b * m + b * (b - 1) * dd) / b ** 2 - m + (b * m + b * (b - 1) * kk) / b ** 2
        out = b * T / ((b - 3) * (b - 1) * (m - kk))
    with mpmath.workdps(dps):
        return +out


def relu_rate_enclosure(t_max: str = "1e-30", dps: int = 60) -> Any:
    """An interval containing lambda_relu(B) for every B >= 1/t_max *and* its limit B -> oo: the t-form
    is continuous on [0, t_max], so its interval evaluation over that whole range encloses the value at t = 0."""
    old = mpmath.iv.dps
    mpmath.iv.dps = dps
    try:
        return _relu_rate_t(mpmath.iv, mpmath.iv.mpf(["0", t_max]))
    finally:
        mpmath.iv.dps = old


def _kernels_by_quadrature(c: Any) -> tuple[Any, Any]:
    """q0(c) = P(u>0, v>0) and kappa1(c) = E relu(u) relu(v) by 1-d quadrature (v = c u + s w):
    the independent reference for the arc-cosine formulas."""
    s = mpmath.sqrt(1 - c * c)
    q0 = mpmath.quad(lambda u: mpmath.npdf(u) * mpmath.ncdf(c * u / s), [0, mpmath.inf])
    k1 = mpmath.quad(lambda u: u * mpmath.npdf(u) * (c * u * mpmath.ncdf(c * u / s) + s * mpmath.npdf(c * u / s)),
                     [0, mpmath.inf])
    return q0, k1


_PRINTED = {8: "1.7882", 32: "1.5220", 128: "1.4797"}


def check_relu_rate_table(ctx: Context, limit: Const | str = pi_over_pi_minus_1) -> Outcome:
    """Yang et al. (2019), Thm 8 (eq. 25) and its limit: lambda_relu(B) -> ``limit`` (pi/(pi-1)).

    At ctx.dps digits: the printed values at B = 8, 32, 128 (4 decimals); the kernels q0, kappa1 against
    1-d quadrature; strict decrease on B = 8..4096; the errors e_k = lambda(10^k) - limit for
    k = 1..30, with 10^k e_k bounded (rate O(1/B)); the Richardson extrapolation (10 lambda(10^30) -
    lambda(10^29))/9 against the limit. Refutation certificate: the interval enclosure of lambda over
    t = 1/B in [0, 1e-30] (which contains the true limit) is disjoint from the enclosure of ``limit``
    (a callable of the context M, a number or text such as "pi/(pi-1)").
    """
    dps = ctx.dps
    limit = _const_fn(limit)
    ev: dict[str, Any] = {"dps": dps}
    with mpmath.workdps(dps):
        table = {b: relu_rate_mp(b, dps) for b in _PRINTED}
        table_ok = all(abs(table[b] - mpmath.mpf(p)) <= tol("yang.printed_table_abs") for b, p in _PRINTED.items())
        ev["table"] = {str(b): mpmath.nstr(v, 30) for b, v in table.items()}
        kern_err = mpmath.mpf(0)
        for b in (8, 32):
            c0 = -1 / mpmath.mpf(b - 1)
            q, k = _kernels_by_quadrature(c0)
            kern_err = max(kern_err, abs(q - 0.25 - mpmath.asin(c0) / (2 * mpmath.pi)),
                           abs(k - (mpmath.sqrt(1 - c0 ** 2) + (mpmath.pi - mpmath.acos(c0)) * c0) / (2 * mpmath.pi)))
        kern_ok = kern_err <= mp_rel_tol(dps)
        ev["kernel"] = {"max_abs_error": mpmath.nstr(kern_err, 5)}
        grid = list(range(8, 4097)) if ctx.preset != "quick" else \
            sorted(set(range(8, 65)) | {int(round(8 * 2 ** (j / 8))) for j in range(73)})
        vals = [relu_rate_mp(b, dps) for b in grid]
        bad = [grid[i] for i in range(len(vals) - 1) if not vals[i + 1] < vals[i]]
        ev["monotone"] = {"grid": f"{len(grid)} sizes in 8..4096", "non_decreasing_at": bad[:5]}
        L = limit(mpmath.mp)
        errs = {k: relu_rate_mp(10 ** k, dps) - L for k in range(1, 31)}
        scaled = {k: e * mpmath.mpf(10) ** k for k, e in errs.items()}
        rate_ok = all(abs(scaled[k]) <= 2 * abs(scaled[3]) for k in range(3, 31))
        ev["errors"] = {str(k): mpmath.nstr(errs[k], 5) for k in (1, 2, 3, 5, 10, 20, 30)}
        ev["errors_times_B"] = {str(k): mpmath.nstr(scaled[k], 12) for k in (3, 10, 20, 30)}
        rich = (10 * relu_rate_mp(10 ** 30, dps + 40) - relu_rate_mp(10 ** 29, dps + 40)) / 9
        agree = abs(rich - L) <= tol("yang.limit_agreement_abs")
        ev["richardson_limit"], ev["claimed_limit"] = mpmath.nstr(rich, 40), mpmath.nstr(L, 40)
    enc = relu_rate_enclosure("1e-30", dps)
    old = mpmath.iv.dps
    mpmath.iv.dps = dps
    try:
        lim_iv = limit(mpmath.iv)
    finally:
        mpmath.iv.dps = old
    (elo, ehi), (llo, lhi) = endpoints(enc), endpoints(lim_iv)
    disjoint = bool(ehi < llo or elo > lhi)
    ev["enclosure"] = {"t_range": ["0", "1e-30"], "lambda": [mpmath.nstr(elo, 35), mpmath.nstr(ehi, 35)],
                       "claimed": [mpmath.nstr(llo, 35), mpmath.nstr(lhi, 35)], "certified": disjoint}
    scope = (f"B = 8, 32, 128 printed; monotone on {len(grid)} sizes in 8..4096; B = 10^k, k <= 30; "
             f"{dps} digits; interval enclosure of the limit (t = 1/B in [0, 1e-30])")
    if disjoint:
        return Outcome(Verdict.REFUTED, scope, evidence=ev)
    if table_ok and kern_ok and not bad and rate_ok and agree:
        return Outcome(Verdict.HOLDS, scope, evidence=ev)
    ev["failed"] = [n for n, ok in (("table", table_ok), ("kernels", kern_ok), ("monotone", not bad),
                                    ("rate_1_over_B", rate_ok), ("limit_agreement", agree)) if not ok]
    return Outcome(Verdict.INCONCLUSIVE, scope, evidence=ev)


check_relu_rate_table_twin = partial(check_relu_rate_table, limit=pi_over_pi_minus_2)

# --------------------------------------------------------------------------- Thm 9: any activation

def activation_rate(activation: Any, batch: int | None = None, dps: int = 30) -> dict[str, Any]:
    """Gradient-explosion rates for a user's activation (Yang et al. 2019, Thms 8, 9), as strings.

    ``large_batch_rate`` = E phi'^2 / Var phi always; with ``batch`` also ``finite_batch_rate`` where
    the Thm 8 derivation is exact here (positively homogeneous phi: linear, relu, abs, leaky relu),
    else ``finite_batch_rate`` = None and a ``finite_batch_note``.
    """
    if batch is not None:
        if isinstance(batch, bool) or not isinstance(batch, int):
            raise BadInput(f"batch must be an integer, got {batch!r}")
        if batch < 4:
            raise BadInput("a rate needs B >= 4: E[1/chi^2_{B-1}] is infinite for B <= 3")
    if not isinstance(dps, int) or dps < 30:
        raise BadInput(f"dps must be an integer >= 30, got {dps!r}")
    act = as_activation(activation)
    mom = gaussian_moments(act, dps)
    with mpmath.workdps(dps + 10):
        out: dict[str, Any] = {"activation": act.name, "dps": dps,
                               **{k: mpmath.nstr(v, dps) for k, v in mom.items()},
                               "large_batch_rate": mpmath.nstr(mom["E_dphi2"] / mom["Var_phi"], dps)}
    if batch is not None:
        out["batch"] = batch
        if act.homogeneous is not None:
            al, be = act.homogeneous
            out["finite_batch_rate"] = mpmath.nstr(homogeneous_rate_mp(batch, _mp(al), _mp(be), dps), dps)
            out["finite_batch_form"] = (f"Thm 8 derivation for phi = alpha relu(z) + beta relu(-z), "
                                        f"alpha = {al}, beta = {be}")
        else:
            out["finite_batch_rate"] = None
            out["finite_batch_note"] = "finite-B form not available for this activation"
    return out


# --------------------------------------------------------------------------- Thm 9: the panel

PANEL = ("relu", "tanh", "gelu", "silu", "abs", "relu(z - 1/2)", "He(2, z)", "He(3, z)",
         "He(1, z) + He(2, z)/4", "linear")
#: Quoted closed forms of the large-B rate (references, not used to compute it).
_CLOSED_FORMS: dict[str, Const] = {"relu": pi_over_pi_minus_1, "abs": lambda M: 1 / (1 - 2 / M.pi)}


@lru_cache(maxsize=64)
def _panel_member(text: str, dps: int) -> tuple[Activation, tuple]:
    """A panel member and its moments (cached: the claim and its twin share them)."""
    act = parse_activation(text)
    return act, tuple(sorted(gaussian_moments(act, dps).items()))


def check_poincare_panel(ctx: Context, constant: Any = 1) -> Outcome:
    """Yang et al. (2019), Thm 9: E phi'(z)^2 >= constant Var phi(z) for non-affine phi (rate >= 1,
    Gaussian Poincare), with ratio 1 exactly for affine phi.

    The :data:`PANEL` at ctx.dps digits: every non-affine member must satisfy ratio >= constant, the
    affine one ratio = 1 (within yang.poincare_equality_abs), non-affine ones ratio > 1; the quoted
    closed forms (relu, abs) and the exact rational moments of the polynomial members must match the
    quadrature. A violation by a polynomial member is certified: its ratio is an exact rational and
    ``constant - ratio > 0`` in interval arithmetic.
    """
    C = _const_fn(constant)
    dps = ctx.dps
    eq_tol, cf_tol = tol("yang.poincare_equality_abs"), tol("yang.closed_form_abs")
    members, violations, problems = [], [], []
    with mpmath.workdps(dps + 10):
        c_mp = C(mpmath.mp)
        slack = mpmath.mpf(10) ** (-(dps - int(tol("mp.guard_digits"))))
        for text in PANEL:
            act, items = _panel_member(text, dps)
            mom = dict(items)
            r = mom["E_dphi2"] / mom["Var_phi"]
            row: dict[str, Any] = {"activation": text, "rate": mpmath.nstr(r, 35), "affine": act.affine,
                                   "E_dphi2": mpmath.nstr(mom["E_dphi2"], 35), "Var_phi": mpmath.nstr(mom["Var_phi"], 35)}
            if act.affine and abs(r - 1) > eq_tol:
                problems.append(f"{text}: affine but rate - 1 = {mpmath.nstr(r - 1, 5)}")
            if not act.affine and r - 1 <= eq_tol:
                problems.append(f"{text}: non-affine but rate = {mpmath.nstr(r, 30)} <= 1")
            if text in _CLOSED_FORMS and abs(r - _CLOSED_FORMS[text](mpmath.mp)) > cf_tol:
                problems.append(f"{text}: rate differs from its closed form by {mpmath.nstr(r - _CLOSED_FORMS[text](mpmath.mp), 5)}")
            if act.polynomial is not None:
                ex = exact_polynomial_moments(act.polynomial)
                row["exact"] = {k: str(v) for k, v in ex.items()}
                err = max(abs(mom[k] - _mp(v)) / (1 + abs(_mp(v))) for k, v in ex.items())
                if err > mp_rel_tol(dps):
                    problems.append(f"{text}: quadrature differs from the exact moments by {mpmath.nstr(err, 5)}")
            members.append(row)
            if not act.affine and r < c_mp - slack:
                v: dict[str, Any] = {"activation": text, "rate": mpmath.nstr(r, 35),
                                     "constant": mpmath.nstr(c_mp, 35)}
                if act.polynomial is not None:
                    ex = exact_polynomial_moments(act.polynomial)
                    ratio = ex["E_dphi2"] / ex["Var_phi"]
                    cert = certify_positive(lambda M, q: C(M) - q, [ratio], dps=dps)
                    v.update({"exact": True, "ratio": str(ratio), "E_dphi2": str(ex["E_dphi2"]),
                              "Var_phi": str(ex["Var_phi"]), "certificate": cert.as_dict()})
                violations.append(v)
    ev = {"dps": dps, "members": members, "violations": violations, "problems": problems,
          "constant": mpmath.nstr(c_mp, 35)}
    scope = f"{len(PANEL)} activations ({', '.join(PANEL)}), Gaussian quadrature at {dps} digits"
    certified = [v for v in violations if v.get("certificate", {}).get("certified")]
    if certified:
        ev["counterexample"] = {k: v for k, v in certified[0].items() if k not in ("certificate", "exact")}
        return Outcome(Verdict.REFUTED, scope, evidence=ev)
    if not violations and not problems:
        return Outcome(Verdict.HOLDS, scope, evidence=ev)
    return Outcome(Verdict.INCONCLUSIVE, scope, evidence=ev)


check_poincare_panel_twin = partial(check_poincare_panel, constant=pi_over_pi_minus_1)
