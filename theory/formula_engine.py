"""Theory level of formula claims (:mod:`bnclaims.formula`): symbolic proofs and exact refutations.

:func:`prove` adjudicates a :class:`bnclaims.formula.FormulaClaim` about one BN unit (Ioffe &
Szegedy 2015, Alg. 1; ``ioffe2015batch``) in three stages, with no knowledge of any particular
formula:

1. **Symbolic m** (:func:`algebra_difference`): both sides are translated into the inner-product
   algebra of :mod:`bnclaims.theory.bn_algebra` (``y, g, v, e_i`` are the basis vectors ``y, g, u, w``;
   ``J d`` and the Hessian form come from :func:`bnclaims.theory.bn_algebra.bn_path` derivatives, ``J^T w`` is
   the Riesz representer of ``<w, J t>`` in a free test direction ``t``; the entries ``a_i = <a, e_i>``
   use ``<1, e_i> = <e_i, e_i> = 1``). The difference vanishing as a rational function of the free
   Gram symbols (radicals canonicalized, :func:`is_zero`) proves the identity for every ``m`` and
   batch; an inequality is proved when the factored difference has a sign sympy can certify.
   Every such proof is cross-checked exactly at one explicit point (:func:`bnclaims.theory.formula_search.cross_check`).
2. **Refutation** (:func:`bnclaims.theory.formula_search.search`): a simplest-first exact search over every
   free quantity that honours the hypotheses; a counterexample is re-verified exactly.
3. **Explicit m** (:func:`bnclaims.theory.formula_explicit.prove_explicit`) when the expressions do not live in
   the algebra or the difference did not simplify: exact proofs for each ``m`` with symbolic entries.
"""
from __future__ import annotations

import itertools
from typing import Union

import sympy as sp

from bnclaims.context import Context
from bnclaims.formula import (BNOf, Dot, FormulaClaim, HessianForm, Hypotheses, Jvp, LossHessian, Partial, Vjp,
                              VectorSymbol, bn)
from bnclaims.verdicts import Outcome, Verdict
from bnclaims.theory import bn_algebra as A
from bnclaims.theory import formula_explicit as X
from bnclaims.theory import formula_search as S
from bnclaims.theory.formula_explicit import is_zero

__all__ = ["NotInAlgebra", "algebra_difference", "prove", "is_zero"]

Value = Union[sp.Expr, A.Vec]
_HSYM = {frozenset((a, b)): sp.Symbol(f"H_{{{A._tex(a)}{A._tex(b)}}}", real=True)
         for a, b in itertools.combinations_with_replacement(A.BASIS, 2)}
_VEC = {"y": A.Y, "g": A.G, "v": A.U, "ones": A.ONE, "e": A.W, "yhat": A.YHAT}
#: The i-th unit vector: <1, e_i> = 1, <e_i, e_i> = 1 (the other inner products are entries, free).
_ENTRY = {A.GRAM[frozenset(("1", "w"))]: sp.Integer(1), A.GRAM[frozenset(("w",))]: sp.Integer(1)}


class NotInAlgebra(ValueError):
    """The expression has no translation into the symbolic-m algebra (the explicit-m route is used)."""


def _hform(a: A.Vec, b: A.Vec) -> sp.Expr:
    """A generic symmetric bilinear form (the loss Hessian at z) on the basis of the algebra."""
    return sp.Add(*[ca * cb * _HSYM[frozenset((ka, kb))] for ka, ca in a.coeffs for kb, cb in b.coeffs])


def _names(v: A.Vec) -> set[str]:
    return {k for k, c in v.coeffs if c != 0}


def _representer(form: sp.Expr, test: str) -> A.Vec:
    """The vector ``r`` with ``<r, t> = form`` for a free test direction ``t`` (``A.representer``, any ``t``)."""
    others = [b for b in A.BASIS if b != test]
    syms = [A.GRAM[frozenset((b, test))] for b in others]
    expr = sp.expand(form)
    coeffs = [sp.cancel(expr.coeff(x)) for x in syms]
    rest = sp.cancel(expr - sum(c * x for c, x in zip(coeffs, syms)))
    test_syms = set(syms) | {A.GRAM[frozenset((test,))]}
    if rest != 0 or any(c.has(*test_syms) for c in coeffs):
        raise NotInAlgebra(f"not a linear form in the test direction {test}")
    return A.Vec.of(dict(zip(others, coeffs))).simplify()


def _partial(x: sp.Expr) -> Value:
    """dL/dx in Ioffe & Szegedy's graph, differentiated from the definitions (``L = <g, z>`` to first order)."""
    c = A.Y - A.ONE * A.mu
    if x == bn.sigma2:
        v2 = sp.Dummy("sigma2", positive=True)
        loss = A.dot(A.G, c * (A.gamma / sp.sqrt(v2 + A.eps)) + A.ONE * A.beta)
        return sp.diff(loss, v2).subs(v2, A.s**2 - A.eps)
    if x == bn.mu:
        mu_ = sp.Dummy("mu", real=True)
        cm = A.Y - A.ONE * mu_
        loss = A.dot(A.G, cm * (A.gamma / sp.sqrt(sp.expand(A.dot(cm, cm) / A.m) + A.eps)) + A.ONE * A.beta)
        return sp.diff(loss, mu_).subs(mu_, A.mu)
    if x in (bn.gamma, bn.beta):
        ga, be = sp.Dummy("gamma"), sp.Dummy("beta")
        loss = A.dot(A.G, A.YHAT * ga + A.ONE * be)
        return sp.diff(loss, ga if x == bn.gamma else be).subs({ga: A.gamma, be: A.beta})
    if x == bn.yhat:
        return A.G * A.gamma                     # L(gamma yhat + beta 1): d/dyhat = gamma g
    if x == bn.z:
        return A.G
    return _vjp(A.G)                             # x == y: the total derivative J^T g


def _jvp(d: A.Vec) -> A.Vec:
    return A.directional(A.bn_path(d)["z"])


def _vjp(w: A.Vec) -> A.Vec:
    test = next((t for t in ("u", "w") if t not in _names(w)), None)
    if test is None:
        raise NotInAlgebra("J^T of a vector involving both v and e_i has no free test direction")
    t_vec = A.U if test == "u" else A.W
    return _representer(A.dot(w, _jvp(t_vec)), test)


def _translate(expr: sp.Expr) -> Value:
    """A vocabulary expression as an algebra scalar or :class:`bnclaims.theory.bn_algebra.Vec`."""
    if isinstance(expr, VectorSymbol):
        if expr == bn.z:
            return A.YHAT * A.gamma + A.ONE * A.beta
        return _VEC[expr.name]
    if isinstance(expr, Dot):
        return A.dot(*(_translate(a) for a in expr.args))
    if isinstance(expr, LossHessian):
        return _hform(*(_translate(a) for a in expr.args))
    if isinstance(expr, BNOf):
        b, e, ga, be = (_translate(a) for a in expr.args)
        c = b - A.ONE * (A.dot(A.ONE, b) / A.m)
        return c * (ga / sp.sqrt(sp.expand(A.dot(c, c) / A.m) + e)) + A.ONE * be
    if isinstance(expr, Jvp):
        return _jvp(_translate(expr.args[0]))
    if isinstance(expr, Vjp):
        return _vjp(_translate(expr.args[0]))
    if isinstance(expr, HessianForm):
        path = A.bn_path(_translate(expr.args[0]))
        z1, z2 = (A.directional(path["z"], order=k) for k in (1, 2))
        return _hform(z1, z1) + A.dot(A.G, z2)
    if isinstance(expr, Partial):
        return _partial(expr.args[0])
    if isinstance(expr, sp.Symbol):
        return {bn.m: A.m, bn.eps: A.eps, bn.gamma: A.gamma, bn.beta: A.beta, bn.mu: A.mu,
                bn.sigma2: A.s**2 - A.eps, bn.s: A.s, bn.sigma: sp.sqrt(A.s**2 - A.eps)}.get(expr, expr)
    if expr.is_Number:
        return expr
    if isinstance(expr, sp.Add):
        parts = [_translate(a) for a in expr.args]
        return sum(parts[1:], parts[0]) if isinstance(parts[0], A.Vec) else sp.Add(*parts)
    if isinstance(expr, sp.Mul):
        parts = [_translate(a) for a in expr.args]
        vecs = [p for p in parts if isinstance(p, A.Vec)]
        scal = sp.Mul(*[p for p in parts if not isinstance(p, A.Vec)])
        return vecs[0] * scal if vecs else scal
    if isinstance(expr, sp.Pow):
        return _translate(expr.base) ** expr.exp
    if isinstance(expr, sp.Abs):
        return sp.Abs(_translate(expr.args[0]))
    raise NotInAlgebra(f"no translation for {expr}")


def _substitutions(claim: FormulaClaim, hyp: Hypotheses) -> dict:
    """Hypotheses as substitutions: fixed values, signs as symbol assumptions, entries of e_i, eps = 0."""
    sub: dict = dict(_ENTRY)
    for x in claim.free_scalars:
        sub[x] = hyp.fixed.get(x, sp.Symbol(x.name, real=True, **_assumption(hyp.signs.get(x))))
    for x, ax in ((bn.gamma, A.gamma), (bn.beta, A.beta)):
        if x in hyp.fixed:
            sub[ax] = hyp.fixed[x]
        elif x in hyp.signs:
            sub[ax] = sp.Symbol(ax.name, real=True, **_assumption(hyp.signs[x]))
    if bn.eps in hyp.fixed:
        sub[A.eps] = hyp.fixed[bn.eps]
        if hyp.eps_zero:
            sub[A.s] = A.sigma
    elif hyp.eps_positive:
        sub[A.eps] = sp.Symbol(A.eps.name, positive=True)
    return sub


def _assumption(sign: str | None) -> dict:
    return {} if sign is None else {sign: True}


def algebra_difference(claim: FormulaClaim) -> list[sp.Expr]:
    """``lhs - rhs`` in the symbolic-m algebra under the hypotheses: one expression, or the basis
    coefficients of a vector difference (all zero implies the vector identity)."""
    rel, hyp = claim.relation, claim.hyp
    lhs, rhs = _translate(rel.lhs), _translate(rel.rhs)
    if isinstance(lhs, A.Vec) or isinstance(rhs, A.Vec):
        zero = A.Vec.of({})
        diff = (lhs if isinstance(lhs, A.Vec) else zero) - (rhs if isinstance(rhs, A.Vec) else zero)
        comps = [c for _, c in diff.coeffs]
    else:
        comps = [lhs - rhs]
    sub = _substitutions(claim, hyp)
    return [sp.factor(sp.cancel(sp.together(c.xreplace(sub)))) for c in comps]


def _sign_proved(d: sp.Expr, rel: sp.Basic, m_min: int) -> bool:
    """``d = lhs - rhs`` has the sign the relation asks for, certified by sympy's assumptions
    (``m = m_min + k`` with ``k >= 0`` an integer; squared norms ``<g,g>, <v,v>, <e,e>`` nonnegative)."""
    k = sp.Symbol("k", integer=True, nonnegative=True)
    norms = {A.GRAM[frozenset((b,))]: sp.Symbol(A.GRAM[frozenset((b,))].name, nonnegative=True) for b in "guw"}
    d = sp.factor(sp.cancel(d.xreplace(norms).subs(A.m, m_min + k)))
    want = {"<=": (-d).is_nonnegative, ">=": d.is_nonnegative, "<": (-d).is_positive, ">": d.is_positive}
    return want[rel.rel_op] is True


def prove(claim: FormulaClaim, ctx: Context) -> Outcome:
    """Adjudicate ``claim`` at the theory level (see the module docstring); never a fixed verdict."""
    hyp, rel = claim.hyp, claim.relation
    steps: list[tuple[str, str]] = []
    exprs: dict = {}
    evidence: dict = {"claim": claim.describe()}
    proved_alg, why = False, ""
    try:
        comps = algebra_difference(claim)
        exprs["difference"] = comps[0] if len(comps) == 1 else sp.Matrix(comps)
        steps.append(("Left minus right side in the symbolic-$m$ inner-product algebra (free Gram symbols; "
                      "hypotheses substituted).", sp.latex(exprs["difference"])))
        if isinstance(rel, sp.Equality):
            proved_alg = all(c == 0 or is_zero(c) for c in comps)
        else:
            proved_alg = _sign_proved(comps[0], rel, hyp.m_min)
        if not proved_alg:
            why = ("the algebra difference did not reduce to 0" if isinstance(rel, sp.Equality)
                   else "no sign certificate for the algebra difference")
    except NotInAlgebra as exc:
        why = f"not in the symbolic-m algebra: {exc}"
    evidence["algebra"] = why or ("difference reduces to 0" if isinstance(rel, sp.Equality) else "sign certified")
    if proved_alg:
        cross = S.cross_check(claim, ctx)
        evidence["cross_check"] = cross
        if all(c["consistent"] for c in cross):
            mtxt = f"m >= {hyp.m_min}" + (f", m <= {hyp.m_max}" if hyp.m_max else "")
            kind = "identity" if isinstance(rel, sp.Equality) else "inequality (sign of the factored difference)"
            ms = ", ".join(str(c["m"]) for c in cross)
            checked = (f"cross-checked exactly at an explicit point for m = {ms}" if cross
                       else "no generic explicit point met the hypotheses for a cross-check")
            return Outcome(Verdict.PROVED, f"symbolic {mtxt}, {hyp.eps_text()} symbolic, s > 0, every batch "
                           f"and every value of the free quantities: {kind} in the inner-product algebra of "
                           f"bnclaims.theory.bn_algebra; hypotheses: {hyp.describe()}; {checked}", evidence, steps, exprs)
        why = "the algebra proof disagrees with an exact explicit evaluation"
    cex = S.search(claim, ctx)
    evidence["search"] = cex["summary"]
    if cex.get("counterexample"):
        evidence["counterexample"] = cex["counterexample"]
        return Outcome(Verdict.REFUTED, "exact counterexample (sympy rationals/radicals, re-verified exactly): "
                       f"{cex['summary']['scope']}", evidence, steps, exprs)
    if isinstance(rel, sp.Equality) and not evidence.get("cross_check"):
        explicit = X.prove_explicit(claim, ctx)
        evidence["explicit_m"] = explicit
        if explicit and all(explicit.values()):
            ms = sorted(int(k) for k in explicit)
            return Outcome(Verdict.PROVED, f"m = {ms[0]}..{ms[-1]} explicit (symbolic entries), {hyp.eps_text()} "
                           f"symbolic; hypotheses: {hyp.describe()}; symbolic m not covered ({why})",
                           evidence, steps, exprs)
    return Outcome(Verdict.INCONCLUSIVE, f"no proof ({why}) and no counterexample in "
                   f"{cex['summary']['scope']}", evidence, steps, exprs)
