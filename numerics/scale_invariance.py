"""High-precision property checks of BN scale invariance and the decoupling formula.

Seed 001 (``wiki2025bn``, "Parameter Decoupling"); Arora et al. 2019 (``arora2019theoretical``,
Lemma 2.4); Kohler et al. 2019 (``kohler2019exponential``). Catalog C09, C10, C11.

The batch y = Xw of one unit is a :class:`bnclaims.numerics.strategies.BNCase` batch; X(aw) = a Xw is
formed exactly in rationals, so every comparison is between BN evaluations at ``ctx.dps``
digits. BN is ill-conditioned on near-constant batches (condition number
kappa = 1 + max|y - c|/sigma for any centre c), so the allowed relative error is
``mp_rel_tol(dps) * kappa``. Directional derivatives are forward-mode dual numbers through the
BN definition, in ``mpmath.mp`` for the search and in ``mpmath.iv`` for the certificate.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import mpmath
from hypothesis import strategies as st

from bnclaims.context import Context
from bnclaims.errors import BadInput
from bnclaims.tolerances import mp_rel_tol
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.numerics.bn_mp import bn_forward, vec_rel_err
from bnclaims.numerics.inputs import default_upstream
from bnclaims.numerics.intervals import certify_nonzero
from bnclaims.numerics.search import run_property, shrink
from bnclaims.numerics.strategies import BNCase, bn_cases

__all__ = [
    "ScaleCase", "scale_cases", "Dual", "bn_dual", "property_check",
    "lhs_rhs_invariance", "lhs_rhs_invariance_twin", "lhs_rhs_with_eps", "lhs_rhs_with_eps_twin",
    "lhs_rhs_grad", "lhs_rhs_grad_twin", "lhs_rhs_decoupling_exact", "lhs_rhs_decoupling_seed",
    "lhs_rhs_decoupling_twin", "check_invariance", "check_invariance_with_eps", "check_grad_orthogonal",
    "check_decoupling", "on_batch_invariance", "on_batch_invariance_with_eps", "on_batch_grad",
    "on_batch_decoupling_exact", "on_batch_decoupling_seed",
]

A_MAGNITUDES = (Fraction(1, 10**30), Fraction(1, 10**8), Fraction(1, 2), Fraction(3), Fraction(10**8),
                Fraction(10**30))


@dataclass(frozen=True)
class ScaleCase:
    """A BN case plus the weight scale a (exact) and a direction u = Xv (exact)."""

    bn: BNCase
    a: Fraction
    u: tuple[Fraction, ...]

    def describe(self) -> dict:
        return {**self.bn.describe(), "a": str(self.a), "u": [str(x) for x in self.u]}


@st.composite
def scale_cases(draw, eps_values=(Fraction(0),), signs=(1, -1), max_m: int = 300) -> ScaleCase:
    """A batch from ``bn_cases`` (hard flavours), a in +-{1e-30, ..., 1e30} x [1, 2), a direction u."""
    case = draw(bn_cases(max_m=max_m, eps_values=eps_values))
    a = draw(st.sampled_from(signs)) * draw(st.sampled_from(A_MAGNITUDES)) * Fraction(
        draw(st.floats(1.0, 2.0, exclude_max=True)))
    scale = max(abs(v) for v in case.y) or Fraction(1)
    u = tuple(scale * gi for gi in case.g)  # the drawn upstream vector doubles as a direction
    return ScaleCase(case, a, u)


class Dual:
    """A forward-mode dual number value + t*derivative over an mpmath context (mp or iv)."""

    __slots__ = ("v", "d")

    def __init__(self, v: Any, d: Any) -> None:
        self.v, self.d = v, d

    def __add__(self, o: Any) -> "Dual":
        return Dual(self.v + o.v, self.d + o.d) if isinstance(o, Dual) else Dual(self.v + o, self.d)

    __radd__ = __add__

    def __sub__(self, o: Any) -> "Dual":
        return Dual(self.v - o.v, self.d - o.d) if isinstance(o, Dual) else Dual(self.v - o, self.d)

    def __mul__(self, o: Any) -> "Dual":
        if isinstance(o, Dual):
            return Dual(self.v * o.v, self.d * o.v + self.v * o.d)
        return Dual(self.v * o, self.d * o)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> "Dual":
        if isinstance(o, Dual):
            return Dual(self.v / o.v, (self.d * o.v - self.v * o.d) / (o.v * o.v))
        return Dual(self.v / o, self.d / o)


def bn_dual(M, y: list, u: list, gamma, beta, eps) -> list:
    """z(y + t u) and d/dt at t = 0, by the BN definition (Ioffe & Szegedy Alg. 1) on duals."""
    m = len(y)
    ys = [Dual(a, b) for a, b in zip(y, u)]
    mu = Dual(M.fsum(y), M.fsum(u)) / m
    cen = [v - mu for v in ys]
    var = Dual(M.fsum([c.v * c.v for c in cen]), M.fsum([2 * c.v * c.d for c in cen])) / m
    s = M.sqrt(var.v + eps)
    sd = Dual(s, var.d / (2 * s))
    return [c / sd * gamma + beta for c in cen]


def _conv(M, xs):
    return [M.mpf(x.numerator) / x.denominator for x in xs]


def _kappa(M, y: list):
    """Condition number of BN at y: 1 + max|y_i| / sigma (rounding is relative to |y_i|)."""
    mu = M.fsum(y) / len(y)
    sd = M.sqrt(M.fsum([(v - mu) ** 2 for v in y]) / len(y))
    return 1 + max(abs(v) for v in y) / sd if sd != 0 else M.mpf(1)


# Each lhs_rhs_* maps (M, case) -> (lhs list, rhs list, kappa[, normalized]); the check compares
# them by relative error, or by absolute error when the pair already scaled both sides.
def lhs_rhs_invariance(M, c: ScaleCase, twin: bool = False):
    """C09: BN_0(a y) against BN_0(y) (a > 0) or 2 beta - BN_0(y) (a < 0; twin: BN_0(y))."""
    b = c.bn
    y = _conv(M, b.y)
    lhs = bn_forward(M, _conv(M, [c.a * v for v in b.y]), _conv(M, [b.gamma])[0], _conv(M, [b.beta])[0], 0)
    z = bn_forward(M, y, _conv(M, [b.gamma])[0], _conv(M, [b.beta])[0], 0)
    if c.a < 0 and not twin:
        z = [2 * _conv(M, [b.beta])[0] - v for v in z]
    return lhs, z, _kappa(M, y)


def lhs_rhs_invariance_twin(M, c: ScaleCase):
    return lhs_rhs_invariance(M, c, twin=True)


def lhs_rhs_with_eps(M, c: ScaleCase, power: int = 2):
    """C09: BN_eps(a y) against BN_{eps/a^power}(y), a > 0 (claim: power 2; twin: power 1)."""
    b = c.bn
    g, be, e, a = (_conv(M, [v])[0] for v in (b.gamma, b.beta, b.eps, c.a))
    y = _conv(M, b.y)
    lhs = bn_forward(M, _conv(M, [c.a * v for v in b.y]), g, be, e)
    rhs = bn_forward(M, y, g, be, e / a**power)
    return lhs, rhs, _kappa(M, y)


def lhs_rhs_with_eps_twin(M, c: ScaleCase):
    return lhs_rhs_with_eps(M, c, power=1)


def lhs_rhs_grad(M, c: ScaleCase, exponent: int = -1):
    """C10: [<grad L(aw), v>, <grad L(w), w>] against [a^exponent <grad L(w), v>, 0], L = g . z.

    BN is evaluated at the case's eps (the claim's strategies draw eps = 0 only; eps > 0 plants a
    known violation of <grad, w> = 0, used by the tests). In ``mpmath.iv`` both components are
    returned unscaled (the certificate only needs the sign of a difference).
    """
    b = c.bn
    g = _conv(M, b.g)
    gam, be, eps = _conv(M, [b.gamma])[0], _conv(M, [b.beta])[0], _conv(M, [b.eps])[0]
    y, u = _conv(M, b.y), _conv(M, c.u)
    a = _conv(M, [c.a])[0]
    def dl(z):
        return M.fsum([gi * zi.d for gi, zi in zip(g, z)])
    at_aw = dl(bn_dual(M, _conv(M, [c.a * v for v in b.y]), u, gam, be, eps))
    at_w = dl(bn_dual(M, y, u, gam, be, eps))
    ortho = dl(bn_dual(M, y, y, gam, be, eps))
    # scale of <grad, w>: |gamma| ||g|| ||y|| / sigma bounds it; normalise so 0 compares relatively
    nrm = abs(gam) * M.sqrt(M.fsum([x * x for x in g])) * M.sqrt(M.fsum([x * x for x in y]))
    sd = M.sqrt(M.fsum([(v - M.fsum(y) / len(y)) ** 2 for v in y]) / len(y))
    want = a**exponent * at_w
    if M is mpmath.iv:  # certificate: the raw differences, both components (j = 0 or 1)
        return [at_aw, ortho], [want, 0 * ortho], 1
    # |<grad L(w), v>| <= N_w = |gamma| ||g|| ||u|| / sigma and |<grad L(aw), v>| <= N_w / |a|:
    # errors are measured on the larger natural scale of the two sides (absolute after scaling)
    n_w = abs(gam) * M.sqrt(M.fsum([x * x for x in g])) * M.sqrt(M.fsum([x * x for x in u])) / sd
    scale = max(n_w / abs(a), abs(a**exponent) * n_w)
    scale = scale if scale != 0 else M.mpf(1)
    rel_ortho = ortho * sd / nrm if nrm != 0 else ortho
    return [at_aw / scale, rel_ortho], [want / scale, 0 * ortho], _kappa(M, y), True


def lhs_rhs_grad_twin(M, c: ScaleCase):
    return lhs_rhs_grad(M, c, exponent=-2)


def _decoupling(M, c: ScaleCase, formula: str):
    b = c.bn
    gam, be = _conv(M, [b.gamma])[0], _conv(M, [b.beta])[0]
    y = _conv(M, b.y)
    m = len(y)
    lhs = bn_forward(M, y, gam, be, 0)
    if formula == "seed":
        nrm = M.sqrt(M.fsum([v * v for v in y]))
        return lhs, [gam * v / nrm + be for v in y], _kappa(M, y)
    mu = M.fsum(y) / m
    cy = [v - mu for v in y]
    nrm = M.sqrt(M.fsum([v * v for v in cy]))
    k = M.sqrt(m) if formula == "exact" else M.mpf(m)
    return lhs, [gam * k * v / nrm + be for v in cy], _kappa(M, y)


def lhs_rhs_decoupling_exact(M, c: ScaleCase):
    """C11: BN_0(y) against gamma sqrt(m) Cy/||Cy|| + beta."""
    return _decoupling(M, c, "exact")


def lhs_rhs_decoupling_seed(M, c: ScaleCase):
    """C11 seed 001: BN_0(y) against gamma y/||y|| + beta."""
    return _decoupling(M, c, "seed")


def lhs_rhs_decoupling_twin(M, c: ScaleCase):
    """False twin: gamma m Cy/||Cy|| + beta (exponent of m changed)."""
    return _decoupling(M, c, "twin")


Pair = Callable[[Any, ScaleCase], tuple]


def _compare(pair: Pair, c: ScaleCase, dps: int) -> tuple[Any, bool, int]:
    with mpmath.workdps(dps):
        lhs, rhs, kappa, *normalized = pair(mpmath.mp, c)
        if normalized:  # the pair already scaled both sides: absolute error
            err = max(abs(x - w) for x, w in zip(lhs, rhs))
        else:
            err = vec_rel_err(mpmath.mp, lhs, rhs)
        j = max(range(len(lhs)), key=lambda i: abs(lhs[i] - rhs[i]))
        return err, bool(err <= mp_rel_tol(dps) * kappa), j


def _certify(pair: Pair, c: ScaleCase, j: int, dps: int) -> dict:
    """Interval re-evaluation of lhs_j - rhs_j at the exact rational case."""
    def diff(M, *_):
        lhs, rhs = pair(M, c)[:2]
        return lhs[j] - rhs[j]
    return certify_nonzero(diff, [], dps=dps).as_dict()


def property_check(ctx: Context, pair: Pair, strategy, salt: str, what: str,
                   small_strategy=None) -> Outcome:
    """Run ``lhs == rhs`` on 12, 120 or 400 hypothesis cases (quick, default, thorough presets); a
    violation is shrunk and certified by intervals.

    Shrinking runs on ``small_strategy`` (the same family restricted to m <= 8, drawn value by
    value) so that the counterexample shrinks to a few small integers quickly.
    """
    n = ctx.budget(12, 120, 400)
    seed = ctx.rng(salt).randrange(2**32)
    def evaluate(c):
        return _compare(pair, c, ctx.dps)[:2]
    rep = run_property(strategy, evaluate, max_examples=n, seed=seed, shrink_violation=False)
    if rep.violated:
        rep.shrunk = shrink(small_strategy if small_strategy is not None else strategy,
                            lambda c: not evaluate(c)[1], seed=seed)
    evidence: dict = {"cases": rep.cases, "dps": ctx.dps, "seed": seed,
                      "max_rel_error": mpmath.nstr(rep.max_error, 5),
                      "tolerance": f"mp_rel_tol({ctx.dps}) * kappa",
                      "worst_case": rep.worst_case.describe() if rep.worst_case else None}
    scope = f"{rep.cases} hypothesis cases, {what}, {ctx.dps} digits"
    if not rep.violated:
        return Outcome(Verdict.HOLDS, scope, evidence)
    case = rep.shrunk if rep.shrunk is not None else rep.violation
    err, _, j = _compare(pair, case, ctx.dps)
    cert = _certify(pair, case, j, ctx.dps)
    evidence.update({"counterexample": {**case.describe(), "component": j, "rel_error": mpmath.nstr(err, 5)},
                     "shrunk": rep.shrunk is not None, "certificate": cert})
    verdict = Verdict.REFUTED if cert["certified"] else Verdict.INCONCLUSIVE
    return Outcome(verdict, scope + "; counterexample shrunk and interval-certified", evidence)


def check_invariance(ctx: Context, pair: Pair = lhs_rhs_invariance) -> Outcome:
    """C09 numerics: BN_0(X(aw)) vs BN_0(Xw) / 2 beta - BN_0(Xw), a of both signs, 1e-30..1e30."""
    return property_check(ctx, pair, scale_cases(), "scale.invariance",
                          "m in 2..300, eps = 0, a = +-(1e-30..1e30), hard flavours",
                          scale_cases(max_m=8))


def check_invariance_with_eps(ctx: Context, pair: Pair = lhs_rhs_with_eps) -> Outcome:
    """C09 numerics: BN_eps(X(aw)) vs BN_{eps/a^2}(Xw), eps in {0, 1e-5, 1}, a in 1e-30..1e30."""
    eps = (Fraction(0), Fraction(1, 10**5), Fraction(1))
    return property_check(ctx, pair, scale_cases(eps_values=eps, signs=(1,)), "scale.invariance_with_eps",
                          "m in 2..300, eps in {0, 1e-5, 1}, a in 1e-30..1e30, hard flavours",
                          scale_cases(eps_values=eps, signs=(1,), max_m=8))


def check_grad_orthogonal(ctx: Context, pair: Pair = lhs_rhs_grad) -> Outcome:
    """C10 numerics: <grad, w> = 0 and <grad(aw), v> = <grad(w), v>/a, eps = 0, L = g . z."""
    strat = scale_cases(signs=(1,), max_m=120)
    return property_check(ctx, pair, strat, "scale.grad_orthogonal",
                          "m in 2..120, eps = 0, a in 1e-30..1e30, forward-mode AD, hard flavours",
                          scale_cases(signs=(1,), max_m=8))


def check_decoupling(ctx: Context, pair: Pair = lhs_rhs_decoupling_exact) -> Outcome:
    """C11 numerics: BN_0(Xw) against a decoupling formula, eps = 0."""
    return property_check(ctx, pair, scale_cases(signs=(1,)), "scale.decoupling",
                          "m in 2..300, eps = 0, gamma of both signs, hard flavours",
                          scale_cases(signs=(1,), max_m=8))


# --- user batches --------------------------------------------------------------------------------
def _user_case(y, eps, gamma, g, a: Fraction, need_eps0: bool, claim: str) -> ScaleCase:
    y = [Fraction(v) for v in y]
    eps = Fraction(eps)
    if need_eps0 and eps != 0:
        raise BadInput(f"{claim} assumes eps = 0 (got eps = {eps}); try scale.invariance_with_eps")
    g = [Fraction(v) for v in g] if g is not None else default_upstream(y)
    if len(g) != len(y):
        raise BadInput(f"upstream gradient has {len(g)} entries but the batch has {len(y)}")
    bn = BNCase(tuple(y), tuple(g), Fraction(gamma if gamma is not None else 1), Fraction(0), eps, "user")
    return ScaleCase(bn, a, tuple(g))


def _on_batch(pair: Pair, case: ScaleCase, ctx: Context, expect_equal: bool) -> Outcome:
    err, ok, j = _compare(pair, case, ctx.dps)
    ev = {"case": case.describe(), "rel_error": mpmath.nstr(err, 5), "dps": ctx.dps}
    scope = f"the given batch (m = {case.bn.m}), a = {case.a}, {ctx.dps} digits"
    if ok:
        return Outcome(Verdict.HOLDS, scope, ev)
    ev["certificate"] = _certify(pair, case, j, ctx.dps)
    ev["component"] = j
    return Outcome(Verdict.REFUTED if ev["certificate"]["certified"] else Verdict.INCONCLUSIVE, scope, ev)


def on_batch_invariance(y, eps, gamma, g, ctx: Context) -> Outcome:
    """BN_0(a y) vs BN_0(y) for a = 1000 (and 2 beta - BN_0(y) for a = -1/1000) on a user batch."""
    outs = [_on_batch(lhs_rhs_invariance, _user_case(y, eps, gamma, g, a, True, "scale.invariance"), ctx, True)
            for a in (Fraction(1000), Fraction(-1, 1000))]
    worst = next((o for o in outs if o.verdict is not Verdict.HOLDS), outs[0])
    return Outcome(worst.verdict, worst.scope.replace("a = 1000", "a in {1000, -1/1000}"),
                   {"a=1000": outs[0].evidence, "a=-1/1000": outs[1].evidence})


def on_batch_invariance_with_eps(y, eps, gamma, g, ctx: Context) -> Outcome:
    """BN_eps(a y) vs BN_{eps/a^2}(y) for a = 1000 on a user batch."""
    return _on_batch(lhs_rhs_with_eps, _user_case(y, eps, gamma, g, Fraction(1000), False, ""), ctx, True)


def on_batch_grad(y, eps, gamma, g, ctx: Context) -> Outcome:
    """<grad, y> = 0 and grad(a y) = grad(y)/a (a = 1000) for L = g . z on a user batch."""
    return _on_batch(lhs_rhs_grad, _user_case(y, eps, gamma, g, Fraction(1000), True, "scale.grad_orthogonal"),
                     ctx, True)


def on_batch_decoupling_exact(y, eps, gamma, g, ctx: Context) -> Outcome:
    """BN_0(y) vs gamma sqrt(m) Cy/||Cy|| + beta (beta = 0) on a user batch."""
    return _on_batch(lhs_rhs_decoupling_exact,
                     _user_case(y, eps, gamma, g, Fraction(1), True, "scale.decoupling_formula_exact"), ctx, True)


def on_batch_decoupling_seed(y, eps, gamma, g, ctx: Context) -> Outcome:
    """BN_0(y) vs the seed's gamma y/||y|| + beta (beta = 0) on a user batch."""
    return _on_batch(lhs_rhs_decoupling_seed,
                     _user_case(y, eps, gamma, g, Fraction(1), True, "scale.decoupling_formula_seed"), ctx, False)
