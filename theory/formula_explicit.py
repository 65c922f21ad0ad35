"""Explicit-m side of the formula-claim engine (:mod:`bnclaims.theory.formula_engine`): BN of ``m`` concrete or
symbolic entries, straight from the definitions (Ioffe & Szegedy 2015, Alg. 1; ``ioffe2015batch``).

* :class:`Point` and :func:`evaluate`: a vocabulary expression (:mod:`bnclaims.formula`) at a batch of
  ``m`` entries (sympy numbers or symbols). ``J d``, ``J^T w``, the Hessian form and the staged partials of
  Ioffe & Szegedy §3 are Taylor coefficients of the definitions along ``y + t d`` (truncated jets, exact
  over sympy); a generic loss ``L`` enters through ``L(z') = <g, z' - z> + (z' - z)^T H (z' - z)/2``
  (gradient ``g``, Hessian ``H`` at ``z``). The same code runs in floats (stdlib ``math``) as a screen.
* :func:`violation`: does a point violate the relation? Decided exactly
  (:func:`bnclaims.theory.exact_numbers.exact_nonzero`: 60-digit error-controlled evaluation, else the minimal
  polynomial) after a float screen that only orders the work.
* :func:`prove_explicit`: exact proofs for each ``m`` with symbolic entries (``eps = S^2 - sigma^2``,
  :func:`bnclaims.theory.bn_algebra.reduce_explicit`), for claims outside the symbolic-m algebra.
"""
from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass
from typing import Sequence

import sympy as sp

from bnclaims.context import Context
from bnclaims.formula import (BNOf, Dot, FormulaClaim, HessianForm, Hypotheses, Jvp, LossHessian, Partial, Vjp,
                              VectorSymbol, bn)
from bnclaims.tolerances import tol
from bnclaims.theory import bn_algebra as A
from bnclaims.theory.exact_numbers import exact_nonzero, exact_number

__all__ = ["Point", "evaluate", "differences", "is_zero", "violation", "prove_explicit"]


# --------------------------------------------------------------------------- zero test
def _canon_radicals(e: sp.Expr) -> sp.Expr:
    """Every fractional power of a sum with its base factored, so that square factors leave the radical."""
    return e.replace(lambda x: x.is_Pow and x.exp.is_Rational and not x.exp.is_Integer,
                     lambda x: sp.Pow(sp.factor(sp.together(x.base)), x.exp))


def is_zero(expr: sp.Expr) -> bool:
    """True only when ``expr`` is identically 0 (rational functions with canonicalized radicals);
    False means "not shown", not "nonzero"."""
    e = sp.sympify(expr)
    for f in (lambda x: x, _canon_radicals):
        if sp.cancel(sp.together(f(e))) == 0:
            return True
    e = _canon_radicals(e)
    return sp.count_ops(e) < 400 and sp.simplify(e) == 0


# --------------------------------------------------------------------------- explicit evaluation
@dataclass(frozen=True)
class Point:
    """A batch of ``m`` entries with every free quantity (numbers for a search, symbols for a proof)."""

    y: tuple
    g: tuple
    v: tuple
    H: tuple
    i: int
    gamma: sp.Expr
    beta: sp.Expr
    eps: sp.Expr
    scalars: tuple = ()

    @property
    def mm(self) -> int:
        return len(self.y)

    def stats(self) -> tuple[sp.Expr, sp.Expr]:
        mu = sp.Add(*self.y) / self.mm
        return mu, sp.Add(*[(a - mu) ** 2 for a in self.y]) / self.mm

    def values(self) -> dict:
        """The scalars the hypotheses may mention."""
        mu, var = self.stats()
        return {bn.m: sp.Integer(self.mm), bn.eps: self.eps, bn.gamma: self.gamma, bn.beta: self.beta,
                bn.mu: mu, bn.sigma2: var, **dict(self.scalars)}

    def describe(self, quantities: frozenset) -> dict:
        """JSON form (exact strings) of ``y`` and of the quantities the claim uses."""
        out: dict = {"m": self.mm, "y": [str(a) for a in self.y]}
        for name in ("g", "v"):
            if name in quantities:
                out[name] = [str(a) for a in getattr(self, name)]
        if "e" in quantities:
            out["i"] = self.i + 1
        if "H" in quantities:
            out["H"] = [[str(a) for a in row] for row in self.H]
        out.update({k: str(getattr(self, k)) for k in ("gamma", "beta") if k in quantities})
        out["eps"] = str(self.eps)
        out.update({str(k): str(v) for k, v in self.scalars})
        return out


class _Jet:
    """``c0 + c1 t + c2 t^2`` modulo ``t^3``: forward-mode derivatives, exact over sympy numbers or symbols
    and approximate over floats (the same code path for the exact decision and the float screen)."""

    __slots__ = ("c",)

    def __init__(self, c: Sequence) -> None:
        self.c = tuple(c)

    @staticmethod
    def lift(x: object) -> "_Jet":
        return x if isinstance(x, _Jet) else _Jet((x, 0, 0))

    def __add__(self, o: object) -> "_Jet":
        return _Jet(a + b for a, b in zip(self.c, _Jet.lift(o).c))

    __radd__ = __add__

    def __neg__(self) -> "_Jet":
        return _Jet(-a for a in self.c)

    def __sub__(self, o: object) -> "_Jet":
        return self + (-_Jet.lift(o))

    def __rsub__(self, o: object) -> "_Jet":
        return _Jet.lift(o) - self

    def __mul__(self, o: object) -> "_Jet":
        (a0, a1, a2), (b0, b1, b2) = self.c, _Jet.lift(o).c
        return _Jet((a0 * b0, a0 * b1 + a1 * b0, a0 * b2 + a1 * b1 + a2 * b0))

    __rmul__ = __mul__

    def __truediv__(self, o: object) -> "_Jet":
        (a0, a1, a2), (b0, b1, b2) = self.c, _Jet.lift(o).c
        q0 = a0 / b0
        q1 = (a1 - q0 * b1) / b0
        return _Jet((q0, q1, (a2 - q0 * b2 - q1 * b1) / b0))

    def __rtruediv__(self, o: object) -> "_Jet":
        return _Jet.lift(o) / self

    def sqrt(self, root) -> "_Jet":
        r0 = root(self.c[0])
        r1 = self.c[1] / (2 * r0)
        return _Jet((r0, r1, (self.c[2] - r1 * r1) / (2 * r0)))


class _Arith:
    """Exact (sympy) or float (stdlib ``math``) arithmetic for :class:`_Eval`."""

    def __init__(self, exact: bool) -> None:
        self.exact = exact

    def cast(self, x: object) -> object:
        return sp.sympify(x) if self.exact else float(x)

    def root(self, x: object) -> object:
        return sp.sqrt(x) if self.exact else math.sqrt(x)

    def sqrt(self, x: object) -> object:
        return x.sqrt(self.root) if isinstance(x, _Jet) else self.root(x)

    def total(self, xs: Sequence) -> object:
        if self.exact and not any(isinstance(x, _Jet) for x in xs):
            return sp.Add(*xs)
        return functools.reduce(operator.add, xs)

    def power(self, x: object, e: sp.Rational) -> object:
        if self.exact:
            return x ** e
        if x < 0 and not e.is_Integer:
            raise ValueError("fractional power of a negative number")
        return x ** float(e)


def _bn(ar: _Arith, b: Sequence, eps: object, gamma: object, beta: object) -> list:
    mm = len(b)
    mu = ar.total(b) / mm
    c = [x - mu for x in b]
    s = ar.sqrt(ar.total([x * x for x in c]) / mm + eps)
    return [x * gamma / s + beta for x in c]


class _Eval:
    def __init__(self, p: Point, exact: bool = True) -> None:
        self.ar = ar = _Arith(exact)
        cast = ar.cast
        self.mm, self.i = p.mm, p.i
        self.y, self.g, self.v = ([cast(a) for a in vec] for vec in (p.y, p.g, p.v))
        self.H = [[cast(a) for a in row] for row in p.H]
        self.gamma, self.beta, self.eps = cast(p.gamma), cast(p.beta), cast(p.eps)
        self.scalars = {k: cast(v) for k, v in p.scalars}
        self.mu = ar.total(self.y) / self.mm
        self.var = ar.total([(a - self.mu) * (a - self.mu) for a in self.y]) / self.mm

    def z_along(self, d: Sequence) -> list:
        return _bn(self.ar, [_Jet((a, b, 0)) for a, b in zip(self.y, d)], self.eps, self.gamma, self.beta)

    def unit(self, j: int) -> list:
        return [self.ar.cast(int(k == j)) for k in range(self.mm)]

    def dot(self, a: Sequence, b: Sequence) -> object:
        return self.ar.total([x * w for x, w in zip(a, b)])

    def hessian_form(self, d: Sequence) -> object:
        """``2 [t^2] L(z(y + t d))`` with ``L(z') = <g, z' - z> + (z' - z)^T H (z' - z)/2``."""
        dz = [z - z.c[0] for z in self.z_along(d)]
        hdz = [self.ar.total([h * x for h, x in zip(row, dz)]) for row in self.H]
        return (self.ar.total([gi * x for gi, x in zip(self.g, dz)]) + self.ar.total(
            [x * w for x, w in zip(dz, hdz)]) / 2).c[2] * 2

    def partial(self, x: sp.Expr):
        """dL/dx in Ioffe & Szegedy's graph: the derivative of the definition in x, other nodes held."""
        ar, mm, g = self.ar, self.mm, self.g
        t = _Jet((0, 1, 0))
        if x == bn.sigma2:
            s = ar.sqrt(t + self.var + self.eps)
            return ar.total([gi * ((yi - self.mu) * self.gamma / s + self.beta) for gi, yi in zip(g, self.y)]).c[1]
        if x == bn.mu:
            c = [yi - (t + self.mu) for yi in self.y]
            s = ar.sqrt(ar.total([a * a for a in c]) / mm + self.eps)
            return ar.total([gi * (a * self.gamma / s + self.beta) for gi, a in zip(g, c)]).c[1]
        yhat = _bn(ar, self.y, self.eps, 1, 0)
        if x in (bn.gamma, bn.beta):
            ga, be = (t + self.gamma, self.beta) if x == bn.gamma else (self.gamma, t + self.beta)
            return ar.total([ga * (gi * h) + be * gi for gi, h in zip(g, yhat)]).c[1]
        if x == bn.yhat:
            return [ar.total([(t * e + h) * (gi * self.gamma) + gi * self.beta
                              for gi, h, e in zip(g, yhat, self.unit(j))]).c[1] for j in range(mm)]
        if x == bn.z:
            return list(g)
        return self.ev(Vjp(bn.g))

    def ev(self, expr: sp.Expr):
        ar = self.ar
        if isinstance(expr, VectorSymbol):
            return {"y": lambda: list(self.y), "g": lambda: list(self.g), "v": lambda: list(self.v),
                    "ones": lambda: [ar.cast(1)] * self.mm, "e": lambda: self.unit(self.i),
                    "yhat": lambda: _bn(ar, self.y, self.eps, 1, 0),
                    "z": lambda: _bn(ar, self.y, self.eps, self.gamma, self.beta)}[expr.name]()
        if isinstance(expr, Dot):
            return self.dot(*(self.ev(x) for x in expr.args))
        if isinstance(expr, LossHessian):
            a, b = (self.ev(x) for x in expr.args)
            return self.dot(a, [self.dot(row, b) for row in self.H])
        if isinstance(expr, BNOf):
            return _bn(ar, *(self.ev(x) for x in expr.args))
        if isinstance(expr, Jvp):
            return [z.c[1] for z in self.z_along(self.ev(expr.args[0]))]
        if isinstance(expr, Vjp):
            w = self.ev(expr.args[0])
            return [self.dot(w, [z.c[1] for z in self.z_along(self.unit(j))]) for j in range(self.mm)]
        if isinstance(expr, HessianForm):
            return self.hessian_form(self.ev(expr.args[0]))
        if isinstance(expr, Partial):
            return self.partial(expr.args[0])
        if isinstance(expr, sp.Symbol):
            table = {bn.m: ar.cast(self.mm), bn.eps: self.eps, bn.gamma: self.gamma, bn.beta: self.beta,
                     bn.mu: self.mu, bn.sigma2: self.var, bn.s: ar.root(self.var + self.eps),
                     bn.sigma: ar.root(self.var), **self.scalars}
            return table[expr]
        if expr.is_Number:
            return ar.cast(expr)
        if isinstance(expr, sp.Pow):
            return ar.power(self.ev(expr.base), expr.exp)
        parts = [self.ev(a) for a in expr.args]
        if isinstance(expr, sp.Add):
            if isinstance(parts[0], list):
                return [ar.total(list(c)) for c in zip(*parts)]
            return ar.total(parts)
        if isinstance(expr, sp.Mul):
            vec = [q for q in parts if isinstance(q, list)]
            scal = functools.reduce(operator.mul, [q for q in parts if not isinstance(q, list)], ar.cast(1))
            return [scal * c for c in vec[0]] if vec else scal
        if isinstance(expr, sp.Abs):
            return abs(parts[0])
        raise TypeError(f"cannot evaluate {expr}")


def evaluate(expr: sp.Expr, point: Point, exact: bool = True):
    """``expr`` at ``point``: a scalar or a list of ``m`` entries (sympy-exact, or floats for a screen)."""
    return _Eval(point, exact).ev(expr)


def differences(claim: FormulaClaim, point: Point, exact: bool = True) -> list[tuple]:
    """(lhs_k, rhs_k) per component (one pair for a scalar relation)."""
    rel = claim.relation
    lhs, rhs = evaluate(rel.lhs, point, exact), evaluate(rel.rhs, point, exact)
    if isinstance(lhs, list) or isinstance(rhs, list):
        n = point.mm
        lhs, rhs = (x if isinstance(x, list) else [x] * n for x in (lhs, rhs))
        return list(zip(lhs, rhs))
    return [(lhs, rhs)]


# --------------------------------------------------------------------------- exact decisions
def _violates(rel: sp.Basic, d: sp.Expr) -> bool:
    """Exact: does ``d = lhs - rhs`` (an algebraic number) violate the relation?"""
    if rel.rel_op == "==":
        return exact_nonzero(d)
    nonzero = exact_nonzero(d)
    positive = nonzero and bool(sp.N(d, 30) > 0)
    negative = nonzero and not positive
    return {"<=": positive, ">=": negative, "<": positive or not nonzero, ">": negative or not nonzero}[rel.rel_op]


def _screen(claim: FormulaClaim, point: Point) -> list[int]:
    """Components that may violate the relation, by a float evaluation of the same code (only a filter:
    the decision is exact); none where floats cannot evaluate (a pole or a negative radicand)."""
    try:
        pairs = differences(claim, point, exact=False)
    except (ArithmeticError, ValueError):
        return []
    op, out = claim.relation.rel_op, []
    for k, (lhs, rhs) in enumerate(pairs):
        d, tiny = lhs - rhs, tol("formula.float_screen_rel") * (1 + abs(lhs) + abs(rhs))
        if {"==": abs(d) > tiny, "<=": d > tiny, ">=": d < -tiny, "<": d > -tiny, ">": d < tiny}[op]:
            out.append(k)
    return out


def violation(claim: FormulaClaim, point: Point, screen: bool = True) -> dict | None:
    """The first component violating the relation, decided exactly at ``point`` (with its exact values)."""
    rel = claim.relation
    ks = _screen(claim, point) if screen else None
    if ks == []:
        return None
    pairs = differences(claim, point)
    for k in ks if ks is not None else range(len(pairs)):
        lhs, rhs = pairs[k]
        if any(x.has(sp.zoo, sp.nan, sp.oo, -sp.oo) for x in (lhs, rhs)):
            continue
        if _violates(rel, lhs - rhs):
            d = exact_number(lhs - rhs)
            return {"exact": True, **point.describe(claim.quantities), "component": k + 1 if claim.is_vector else None,
                    "lhs": str(exact_number(lhs)), "rhs": str(exact_number(rhs)), "difference": str(d),
                    "difference_60_digits": str(sp.N(d, 60)), "relation": rel.rel_op}
    return None


# --------------------------------------------------------------------------- proofs for explicit m
def _symbolic_point(claim: FormulaClaim, hyp: Hypotheses, unit: A.ExplicitUnit, i: int) -> Point:
    mm = unit.m
    v = sp.symbols(f"v1:{mm + 1}", real=True)
    h = [[sp.Symbol(f"h{min(a, b) + 1}{max(a, b) + 1}", real=True) for b in range(mm)] for a in range(mm)]

    def sym(x: sp.Symbol, default: sp.Expr) -> sp.Expr:
        if x in hyp.fixed and not (x == bn.eps and hyp.eps_zero):
            return hyp.fixed[x]
        sign = hyp.signs.get(x)
        return default if sign is None else sp.Symbol(getattr(default, "name", str(x)), real=True, **{sign: True})
    return Point(unit.y, unit.g, v, tuple(tuple(r) for r in h), i, sym(bn.gamma, A.gamma), sym(bn.beta, A.beta),
                 sym(bn.eps, A.eps), tuple((x, sym(x, sp.Symbol(x.name, real=True))) for x in claim.free_scalars))


def _explicit_zero(unit: A.ExplicitUnit, comp: sp.Expr, eps_zero: bool) -> bool:
    try:
        red = A.reduce_explicit(unit, comp, eps_zero=eps_zero)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        red = comp.subs(A.eps, 0) if eps_zero else comp
    return red == 0 or is_zero(red)


def prove_explicit(claim: FormulaClaim, ctx: Context) -> dict[str, bool]:
    """Exact proof of an identity for each ``m`` in the hypotheses' range up to ``ctx.budget(4, 6, 8)``
    (every index ``i`` when entries are used); stops at the first ``m`` where it fails."""
    hyp, out = claim.hyp, {}
    for mm in hyp.m_range(ctx.budget(4, 6, 8)):
        unit = A.explicit_unit(mm)
        ok = True
        for i in range(mm) if "e" in claim.quantities else (0,):
            point = _symbolic_point(claim, hyp, unit, i)
            ok = ok and all(_explicit_zero(unit, lhs - rhs, hyp.eps_zero) for lhs, rhs in differences(claim, point))
        out[str(mm)] = ok
        if not ok:
            break
    return out
