"""Numerics level of formula claims (:mod:`bnclaims.formula`): hypothesis property runs at >= 50 digits.

:func:`check` evaluates both sides of a :class:`bnclaims.formula.FormulaClaim` in mpmath *from the BN
definition* (:func:`bnclaims.numerics.bn_mp.bn_forward`, Ioffe & Szegedy 2015 Alg. 1, ``ioffe2015batch``):
``J d``, ``J^T w``, the Hessian form and the staged partials of Ioffe & Szegedy §3 are coefficients of
jets (dual / hyper-dual numbers, :class:`bnclaims.numerics.bn_jacobian.Jet`) carried through the definitions,
never a closed form under test; a generic loss enters as ``L(z') = <g, z' - z> + (z' - z)^T H (z' - z)/2``
(gradient ``g``, Hessian ``H`` at ``z``). Cases come from :func:`formula_cases`, which builds on
:func:`bnclaims.numerics.strategies.bn_cases` and enforces the hypotheses in the strategy (``m >= k`` is the
lower bound of the drawn size, so shrinking never leaves it; a fixed or positive eps restricts the eps
values; every other hypothesis filters exactly). Each side carries a magnitude (an upper bound of the
terms that may cancel in it) so that an identity whose two sides are 0 is judged against its natural
scale. A violation is shrunk (small batches first) and re-evaluated in ``mpmath.iv`` at the exact
rational inputs: REFUTED needs the enclosure on the violating side (:mod:`bnclaims.numerics.intervals`).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from bnclaims.context import Context
from bnclaims.formula import (BNOf, Dot, FormulaClaim, HessianForm, Hypotheses, Jvp, LossHessian, Partial, Vjp,
                              VectorSymbol, bn)
from bnclaims.tolerances import mp_rel_tol, tol
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.numerics import bn_mp, intervals, search, strategies
from bnclaims.numerics.bn_jacobian import Jet, JetContext, def_grad, jet_bn, work_dps
from bnclaims.numerics.inputs import to_mp

__all__ = ["FormulaCase", "formula_cases", "sides", "residual", "check"]

_SCALARS = [Fraction(x) for x in (1, 2, -1, Fraction(1, 2), 3, -2)]


@dataclass(frozen=True)
class FormulaCase:
    """A :class:`bnclaims.numerics.strategies.BNCase` plus a direction ``v``, an index ``i``, a loss Hessian ``H``
    and the free scalars (exact rationals)."""

    base: strategies.BNCase
    v: tuple[Fraction, ...]
    i: int
    H: tuple[tuple[Fraction, ...], ...]
    scalars: tuple[tuple[sp.Symbol, Fraction], ...] = ()

    @property
    def m(self) -> int:
        return self.base.m

    def values(self) -> dict:
        """The scalars the hypotheses may mention, exactly."""
        y, m = self.base.y, self.base.m
        mu = sum(y, Fraction(0)) / m
        return {bn.m: m, bn.eps: self.base.eps, bn.gamma: self.base.gamma, bn.beta: self.base.beta, bn.mu: mu,
                bn.sigma2: sum(((a - mu) ** 2 for a in y), Fraction(0)) / m, **dict(self.scalars)}

    def describe(self, quantities: frozenset) -> dict:
        out = self.base.describe()
        if "v" in quantities:
            out["v"] = [str(a) for a in self.v]
        if "e" in quantities:
            out["i"] = self.i + 1
        if "H" in quantities:
            out["H"] = [[str(a) for a in row] for row in self.H]
        out.update({str(k): str(x) for k, x in self.scalars})
        return out


def _vector(m: int, lo: int = -8, hi: int = 8) -> st.SearchStrategy:
    if m <= 8:
        return st.lists(st.integers(lo, hi), min_size=m, max_size=m).map(lambda v: tuple(Fraction(a) for a in v))
    return st.integers(0, 2**32 - 1).map(lambda sd: tuple(Fraction(random.Random(sd).gauss(0, 1)) for _ in range(m)))


def _matrix(m: int) -> st.SearchStrategy:
    """A symmetric matrix (the loss Hessian at z): small integers, or Gaussian entries for large m."""
    def sym(flat: tuple) -> tuple:
        it = iter(flat)
        up = {(a, b): next(it) for a in range(m) for b in range(a, m)}
        return tuple(tuple(up[min(a, b), max(a, b)] for b in range(m)) for a in range(m))
    n = m * (m + 1) // 2
    if m <= 8:
        return st.lists(st.integers(-3, 3), min_size=n, max_size=n).map(lambda v: sym(tuple(Fraction(a) for a in v)))
    return _vector(n).map(sym)


def formula_cases(claim: FormulaClaim, max_m: int) -> st.SearchStrategy:
    """Cases honouring the claim's hypotheses, drawing only the quantities it uses (see the module docstring)."""
    hyp, q = claim.hyp, claim.quantities
    eps_values = _eps_drawn(hyp)
    top = max_m if hyp.m_max is None else min(max_m, hyp.m_max)
    top = max(top, hyp.m_min)
    # the smallest admitted sizes (where BN degenerates: at m = 2, eps = 0, J = 0) get branches of their own,
    # so that about half the cases have m = m_min; shrinking goes there first
    base = st.one_of(*(strategies.bn_cases(min_m=hyp.m_min, max_m=hi, eps_values=eps_values)
                       for hi in (hyp.m_min, min(top, hyp.m_min + 2), top)))
    fixed = {k: Fraction(int(v.p), int(v.q)) for k, v in hyp.fixed.items()}

    @st.composite
    def build(draw) -> FormulaCase:
        c = draw(base)
        c = replace(c, gamma=fixed.get(bn.gamma, c.gamma), beta=fixed.get(bn.beta, c.beta))
        zero = tuple(Fraction(0) for _ in range(c.m))
        v = draw(_vector(c.m)) if "v" in q else zero
        i = draw(st.integers(0, c.m - 1)) if "e" in q else 0
        H = draw(_matrix(c.m)) if "H" in q else tuple(zero for _ in range(c.m))
        scal = st.one_of(st.sampled_from(_SCALARS), st.floats(-8, 8, allow_nan=False).map(Fraction))
        scalars = tuple((x, fixed[x] if x in fixed else draw(scal)) for x in claim.free_scalars)
        return FormulaCase(c, v, i, H, scalars)

    return build().filter(lambda fc: hyp.holds_at(fc.values()))


def _eps_drawn(hyp: Hypotheses) -> tuple[Fraction, ...]:
    """The eps values drawn: the fixed one, else {0, 1e-5, 1} without 0 when eps > 0 is a hypothesis."""
    if bn.eps in hyp.fixed:
        return (Fraction(int(hyp.fixed[bn.eps].p), int(hyp.fixed[bn.eps].q)),)
    return tuple(e for e in strategies.EPS_VALUES if e > 0 or not hyp.eps_positive)


# --------------------------------------------------------------------------- evaluation from the definition
@dataclass
class _R:
    """A value (number or list) and, in ``mp``, a magnitude bounding the terms that may cancel in it."""

    val: Any
    mag: Any = None


class _Env:
    def __init__(self, M, case: FormulaCase) -> None:
        b, self.M, self.case = case.base, M, case
        self.track = M is mpmath.mp
        self.y, self.g, self.v = (to_mp(list(x), M) for x in (b.y, b.g, case.v))
        self.H = [to_mp(list(row), M) for row in case.H]
        self.gamma, self.beta, self.eps = to_mp([b.gamma, b.beta, b.eps], M)
        self.scalars = {k: to_mp([x], M)[0] for k, x in case.scalars}
        self.mu, self.var = bn_mp.batch_stats(M, self.y)
        self.s = M.sqrt(self.var + self.eps)
        self.yhat = [(a - self.mu) / self.s for a in self.y]
        self.m = len(self.y)

    def mag(self, fn) -> Any:
        return fn() if self.track else None

    def vmax(self, xs) -> Any:
        return max(abs(x) for x in xs)

    def k_jac(self) -> Any:
        """Natural scale of the entries of J = dz/dy: |gamma|/s (1 + max|yhat|)^2."""
        return abs(self.gamma) / self.s * (1 + self.vmax(self.yhat)) ** 2

    def hessian_form(self, d: list) -> Any:
        J2 = JetContext(self.M, 2)
        z = bn_mp.bn_forward(J2, J2.path(self.y, d), J2.const(self.gamma), 0, J2.const(self.eps))
        dz = [zi - zi.c[0] for zi in z]
        lin = J2.fsum([x * gi for x, gi in zip(dz, self.g)])
        quad = J2.fsum([x * J2.fsum([w * h for w, h in zip(dz, row)]) for x, row in zip(dz, self.H)])
        return 2 * (lin + quad * (self.M.mpf(1) / 2)).c[2]

    def partial(self, x: sp.Expr) -> _R:
        M, m, g, ga = self.M, self.m, self.g, self.gamma
        J1 = JetContext(M, 1)
        sg = self.mag(lambda: M.fsum([abs(a) for a in g]))
        if x == bn.sigma2:
            s_t = J1.sqrt(Jet((self.var, 1)) + self.eps)
            f = J1.fsum([(J1.const((a - self.mu) * ga) / s_t + self.beta) * gi for a, gi in zip(self.y, g)])
            return _R(f.c[1], self.mag(lambda: abs(ga) * sg * self.vmax(self.yhat) / self.s**2))
        if x == bn.mu:
            c = [J1.const(a) - Jet((self.mu, 1)) for a in self.y]
            s_t = J1.sqrt(J1.fsum([u * u for u in c]) / m + self.eps)
            f = J1.fsum([(u * ga / s_t + self.beta) * gi for u, gi in zip(c, g)])
            return _R(f.c[1], self.mag(lambda: abs(ga) * sg / self.s * (1 + self.vmax(self.yhat)) ** 2))
        if x in (bn.gamma, bn.beta):
            ga_t, be_t = (Jet((ga, 1)), J1.const(self.beta)) if x == bn.gamma else (J1.const(ga), Jet((self.beta, 1)))
            f = J1.fsum([(ga_t * h + be_t) * gi for h, gi in zip(self.yhat, g)])
            return _R(f.c[1], self.mag(lambda: sg * (1 + self.vmax(self.yhat))))
        if x == bn.yhat:
            out = [J1.fsum([((Jet((h, 1)) if j == k else J1.const(h)) * ga + self.beta) * gi
                            for k, (h, gi) in enumerate(zip(self.yhat, g))]).c[1] for j in range(m)]
            return _R(out, self.mag(lambda: abs(ga) * self.vmax(g)))
        if x == bn.z:
            return _R(list(g), self.mag(lambda: self.vmax(g)))
        return _R(def_grad(M, self.y, g, ga, self.eps), self.mag(lambda: self.k_jac() * m * self.vmax(g)))

    def ev(self, expr: sp.Expr) -> _R:
        M, m = self.M, self.m
        if isinstance(expr, VectorSymbol):
            vals = {"y": self.y, "g": self.g, "v": self.v, "ones": [M.mpf(1)] * m,
                    "e": [M.mpf(int(k == self.case.i)) for k in range(m)], "yhat": self.yhat,
                    "z": [self.gamma * h + self.beta for h in self.yhat]}[expr.name]
            return _R(list(vals), self.mag(lambda: self.vmax(vals) if expr != bn.z else
                                           abs(self.gamma) * self.vmax(self.yhat) + abs(self.beta)))
        if isinstance(expr, (Dot, LossHessian)):
            a, b = (self.ev(x) for x in expr.args)
            if isinstance(expr, LossHessian):
                hb = [M.fsum([h * w for h, w in zip(row, b.val)]) for row in self.H]
                return _R(bn_mp.dot(M, a.val, hb), self.mag(lambda: m * m * self.vmax([self.vmax(r) for r in self.H])
                                                           * a.mag * b.mag))
            return _R(bn_mp.dot(M, a.val, b.val), self.mag(lambda: m * a.mag * b.mag))
        if isinstance(expr, BNOf):
            b, e, ga, be = (self.ev(x).val for x in expr.args)
            z = bn_mp.bn_forward(M, b, ga, be, e)
            return _R(z, self.mag(lambda: abs(ga) * self.vmax(bn_mp.normalize(M, b, e)) + abs(be)))
        if isinstance(expr, Jvp):
            d = self.ev(expr.args[0])
            return _R([z.c[1] for z in jet_bn(M, self.y, d.val, self.gamma, self.eps)],
                      self.mag(lambda: self.k_jac() * m * d.mag))
        if isinstance(expr, Vjp):
            w = self.ev(expr.args[0])
            return _R(def_grad(M, self.y, w.val, self.gamma, self.eps), self.mag(lambda: self.k_jac() * m * w.mag))
        if isinstance(expr, HessianForm):
            d = self.ev(expr.args[0])
            return _R(self.hessian_form(d.val), self.mag(lambda: (
                self.gamma**2 * (1 + self.vmax([self.vmax(r) for r in self.H])) * m**2 + abs(self.gamma) * m
                * self.vmax(self.g)) / self.s**2 * (1 + self.vmax(self.yhat)) ** 4 * m**2 * d.mag**2))
        if isinstance(expr, Partial):
            return self.partial(expr.args[0])
        if isinstance(expr, sp.Symbol):
            table = {bn.m: M.mpf(m), bn.eps: self.eps, bn.gamma: self.gamma, bn.beta: self.beta, bn.mu: self.mu,
                     bn.sigma2: self.var, bn.s: self.s, bn.sigma: M.sqrt(self.var), **self.scalars}
            val = table[expr]
            return _R(val, self.mag(lambda: self.vmax(self.y) if expr == bn.mu else abs(val)))
        if expr.is_Number:
            val = M.mpf(int(expr.p)) / int(expr.q)
            return _R(val, self.mag(lambda: abs(val)))
        if isinstance(expr, sp.Pow):
            return self.power(self.ev(expr.base), expr.exp)
        parts = [self.ev(a) for a in expr.args]
        if isinstance(expr, sp.Add):
            val = ([M.fsum(c) for c in zip(*[p.val for p in parts])] if isinstance(parts[0].val, list)
                   else M.fsum([p.val for p in parts]))
            return _R(val, self.mag(lambda: M.fsum([p.mag for p in parts])))
        if isinstance(expr, sp.Mul):
            vec = [p.val for p in parts if isinstance(p.val, list)]
            scal = M.mpf(1)
            for p in parts:
                if not isinstance(p.val, list):
                    scal = scal * p.val
            mag = self.mag(lambda: M.fprod([p.mag for p in parts]))
            return _R([scal * c for c in vec[0]] if vec else scal, mag)
        if isinstance(expr, sp.Abs):
            return _R(abs(parts[0].val), parts[0].mag)
        raise TypeError(f"cannot evaluate {expr}")

    def power(self, base: _R, e: sp.Rational) -> _R:
        M, x = self.M, base.val
        if e.is_Integer:
            val = x ** int(e)
        else:
            if self.track and x < 0:
                raise ValueError("fractional power of a negative number")
            val = x ** (M.mpf(int(e.p)) / int(e.q))
        if not self.track:
            return _R(val)
        rel = base.mag / abs(x) if x != 0 else M.mpf(1)
        return _R(val, abs(val) * max(1, abs(M.mpf(int(e.p)) / int(e.q)) * rel) if x != 0 else base.mag ** e)


def sides(claim: FormulaClaim, M, case: FormulaCase) -> tuple[_R, _R]:
    """Both sides of the relation at ``case`` in context ``M`` (``mp`` with magnitudes, or ``iv``)."""
    env = _Env(M, case)
    return env.ev(claim.relation.lhs), env.ev(claim.relation.rhs)


def residual(claim: FormulaClaim, M, case: FormulaCase) -> list:
    """``lhs - rhs`` per component, signed so that a violation is ``!= 0`` (Eq) or ``> 0`` (orderings)."""
    lhs, rhs = sides(claim, M, case)
    n = case.m
    ls, rs = ([x.val] if not isinstance(x.val, list) else x.val for x in (lhs, rhs))
    ls, rs = (xs * n if len(xs) == 1 and claim.is_vector else xs for xs in (ls, rs))
    sign = -1 if claim.relation.rel_op in (">=", ">") else 1
    return [sign * (a - b) for a, b in zip(ls, rs)]


def _error(claim: FormulaClaim, case: FormulaCase, dps: int) -> tuple[Any, int]:
    """(relative violation, worst component) at ``work_dps``: |d|/scale (Eq) or the signed excess d/scale."""
    with mpmath.workdps(work_dps(case.base.y, case.base.eps, dps)):
        lhs, rhs = sides(claim, mpmath.mp, case)
        scale = max(lhs.mag, rhs.mag)
        d = residual(claim, mpmath.mp, case)
        rel = [(abs(x) if claim.relation.rel_op == "==" else x) / (scale if scale != 0 else 1) for x in d]
        k = max(range(len(rel)), key=lambda j: rel[j])
        return +rel[k], k


def _certify(claim: FormulaClaim, case: FormulaCase, k: int, dps: int) -> intervals.Certificate:
    """The k-th residual at the exact inputs in interval arithmetic, on the violating side."""
    fn = (intervals.certify_nonzero if claim.relation.rel_op == "==" else intervals.certify_positive)
    return fn(lambda M: residual(claim, M, case)[k], [], dps=dps)


def check(claim: FormulaClaim, ctx: Context) -> Outcome:
    """Adjudicate ``claim`` at the numerics level (see the module docstring); never a fixed verdict."""
    hyp, q, op = claim.hyp, claim.quantities, claim.relation.rel_op
    bound = mp_rel_tol(ctx.dps)
    strict = op in ("<", ">")
    max_m = ctx.budget(10, 40, 120)
    undefined: list = []

    def evaluate(case: FormulaCase) -> tuple:
        try:
            err, _ = _error(claim, case, ctx.dps)
        except (ZeroDivisionError, ValueError):
            undefined.append(case)
            return mpmath.mpf(0), True
        return max(err, 0) if op != "==" else err, (err < -bound) if strict else (err <= bound)

    strat = formula_cases(claim, max_m)
    try:
        with mpmath.workdps(ctx.dps):
            rep = search.run_property(strat, evaluate, max_examples=ctx.budget(12, 40, 150), seed=ctx.seed,
                                      shrink_violation=False)
    except Unsatisfiable:
        return Outcome(Verdict.INCONCLUSIVE, f"the hypotheses ({hyp.describe()}) admit no drawn case",
                       evidence={"claim": claim.describe(), "dps": ctx.dps, "seed": ctx.seed})
    top = max_m if hyp.m_max is None else min(max_m, hyp.m_max)
    ev: dict = {"claim": claim.describe(), "cases": rep.cases, "dps": ctx.dps, "seed": ctx.seed,
                "tolerance": mpmath.nstr(bound, 5), "max_rel_error": mpmath.nstr(rep.max_error, 5),
                "undefined_cases": len(undefined), "quantities": ["y"] + sorted(q),
                "working_dps": f"dps + 2 log10(1 + max|y|/s) + {int(tol('mp.conditioning_guard_digits'))}"}
    scope = (f"{rep.cases} hypothesis cases, m in {hyp.m_min}..{max(top, hyp.m_min)}, {hyp.eps_text()} "
             f"(eps drawn from {{{', '.join(str(e) for e in _eps_drawn(hyp))}}}), {ctx.dps} digits; drawn: "
             f"{', '.join(ev['quantities'])}; hypotheses enforced in the strategy ({hyp.describe()}); both sides "
             "from the BN definition (jets)")
    if not rep.violated:
        if rep.cases == len(undefined):
            return Outcome(Verdict.INCONCLUSIVE, scope + "; the relation was undefined at every case", evidence=ev)
        return Outcome(Verdict.HOLDS, scope, evidence=ev)
    small = search.shrink(formula_cases(claim, min(8, max_m)), lambda c: not evaluate(c)[1], seed=ctx.seed,
                          max_examples=ctx.budget(150, 400, 1000))
    for case in [c for c in (small, rep.violation) if c is not None]:   # the shrunk case first
        _, k = _error(claim, case, ctx.dps)
        cert = _certify(claim, case, k, work_dps(case.base.y, case.base.eps, ctx.dps))
        ok_hyp = hyp.holds_at(case.values())
        if cert.certified and ok_hyp:
            break
    ev.update({"counterexample": case.describe(q), "component": k + 1 if claim.is_vector else None,
               "certificate": cert.as_dict(), "shrunk": case is small, "hypotheses_hold": ok_hyp})
    return Outcome(Verdict.REFUTED if cert.certified and ok_hyp else Verdict.INCONCLUSIVE,
                   scope + "; shrunk + interval-certified against the BN definition", evidence=ev)


