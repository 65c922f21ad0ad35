"""Exact counterexample search for formula claims (:mod:`bnclaims.theory.formula_engine`), simplest first.

:func:`search` enumerates batch sizes ``m`` from the hypotheses' lower bound (a claim for ``m >= 3`` never
tries ``m = 2``) and, for each, tuples of candidates for *every* free quantity the claim uses: the batch
``y`` (non-constant integer batches, simplest first), the upstream gradient ``g`` and direction ``v``
(unit vectors, then ``1`` and ``(1..m)``), the index ``i``, the loss Hessian ``H`` (``0, I, E_11, 11^T,
diag(1..m)``), ``gamma``, ``beta``, ``eps`` and the free scalars (small rationals), each list filtered by
the hypotheses on that quantity, tuples ordered by the sum of their ranks; at most 150, 400 or 1,200
points per ``m`` (quick, default, thorough presets) over 3, 3 or 4 batch sizes. Every point is checked against
all hypotheses exactly; the decision at a point is exact (:func:`bnclaims.theory.formula_explicit.violation`).
:func:`cross_check` re-tests a symbolic proof at one generic exact point for the two smallest ``m``.
"""
from __future__ import annotations

import itertools
from typing import Iterator, Sequence

import sympy as sp

from bnclaims.context import Context
from bnclaims.formula import FormulaClaim, Hypotheses, bn
from bnclaims.theory import bn_algebra as A
from bnclaims.theory.formula_explicit import Point, violation

__all__ = ["search", "cross_check", "simplest_first"]

R = sp.Rational
_CAND = {"gamma": (1, 2, -1, R(1, 2), 3, -2), "beta": (0, 1, -1, R(1, 2)), "eps": (0, 1, R(1, 4), 2, R(1, 2)),
         "scalar": (1, 2, -1, R(1, 2), 3, -2, R(-1, 2), R(1, 3))}
_GENERIC = {"gamma": (R(3, 2), -2, R(2, 3), 1), "beta": (R(-1, 2), 2, 0), "eps": (R(1, 3), 2, 0),
            "scalar": (R(3, 2), -2, R(2, 5), R(1, 2), 3, R(-1, 3))}


def _h_candidates(mm: int) -> list[tuple]:
    eye = [[int(a == b) for b in range(mm)] for a in range(mm)]
    e11 = [[int(a == b == 0) for b in range(mm)] for a in range(mm)]
    ones = [[1] * mm for _ in range(mm)]
    diag = [[(a + 1) * int(a == b) for b in range(mm)] for a in range(mm)]
    zero = [[0] * mm for _ in range(mm)]
    return [tuple(tuple(sp.Integer(x) for x in row) for row in h) for h in (zero, eye, e11, ones, diag)]


def _filtered(sym: sp.Symbol, cands: Sequence, hyp: Hypotheses) -> list:
    """Candidates for one scalar honouring the hypotheses that mention only it (eps >= 0 always)."""
    if sym in hyp.fixed:
        return [hyp.fixed[sym]]
    own = [r for r in hyp.relations if r.free_symbols == {sym}]
    out = [sp.sympify(c) for c in cands if all(r.xreplace({sym: c}) is sp.true for r in own)]
    return [c for c in out if c >= 0] if sym == bn.eps else out


def _scalar_dims(claim: FormulaClaim, hyp: Hypotheses, table: dict) -> list[tuple[sp.Symbol, list]]:
    dims = [(sym, _filtered(sym, table[name], hyp)) for name, sym in
            (("gamma", bn.gamma), ("beta", bn.beta), ("eps", bn.eps))]
    return dims + [(x, _filtered(x, table["scalar"], hyp)) for x in claim.free_scalars]


def simplest_first(sizes: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Index tuples in order of increasing rank sum (lexicographic within a sum)."""
    def comps(r: int, k: int) -> Iterator[tuple[int, ...]]:
        if k == len(sizes):
            if r == 0:
                yield ()
            return
        for a in range(min(r, sizes[k] - 1) + 1):
            for rest in comps(r - a, k + 1):
                yield (a,) + rest
    for r in range(sum(s - 1 for s in sizes) + 1):
        yield from comps(r, 0)


def _qname(sym: sp.Symbol) -> str:
    return {bn.gamma: "gamma", bn.beta: "beta", bn.eps: "eps"}.get(sym, sym.name)


def _points(claim: FormulaClaim, hyp: Hypotheses, mm: int, limit: int) -> Iterator[Point]:
    """The first ``limit`` points for batch size ``mm``, simplest first over every free quantity."""
    q = claim.quantities
    zero = tuple(sp.Integer(0) for _ in range(mm))
    vecs = [tuple(sp.Integer(x) for x in v) for v in A.unit_vectors(mm)]
    dims: list[tuple[object, list]] = [("y", [tuple(sp.Integer(x) for x in b) for b in A.small_batches(mm, 2)[:40]])]
    dims += [(n, c) for n, c in (("g", vecs), ("v", vecs), ("e", list(range(mm))), ("H", _h_candidates(mm)))
             if n in q]
    scal = _scalar_dims(claim, hyp, _CAND)
    if any(not c for _, c in scal):
        return
    dims += [(n, c) for n, c in scal if _qname(n) in q and len(c) > 1]
    base = {n: c[0] for n, c in scal}
    for count, idx in enumerate(simplest_first([len(c) for _, c in dims])):
        if count >= limit:
            return
        pick = {n: c[k] for (n, c), k in zip(dims, idx)}
        sv = {s: pick.get(s, base[s]) for s in base}
        yield Point(pick["y"], pick.get("g", zero), pick.get("v", zero), pick.get("H", _h_candidates(mm)[0]),
                    pick.get("e", 0), sv[bn.gamma], sv[bn.beta], sv[bn.eps],
                    tuple((x, sv[x]) for x in claim.free_scalars))


def search(claim: FormulaClaim, ctx: Context) -> dict:
    """The simplest exact counterexample honouring the hypotheses, or none; with a summary of the search."""
    hyp = claim.hyp
    sizes = list(hyp.m_range(hyp.m_min + ctx.budget(2, 2, 3)))
    limit = ctx.budget(150, 400, 1200)
    tried = 0
    free = ["y"] + sorted(q for q in claim.quantities)
    summary = {"m": [sizes[0], sizes[-1]], "free_quantities": free, "points_per_m": limit,
               "scope": f"simplest-first search over m = {sizes[0]}..{sizes[-1]} and every free quantity "
                        f"({', '.join(free)}), honouring the hypotheses ({hyp.describe()})"}
    for mm in sizes:
        for point in _points(claim, hyp, mm, limit):
            if not hyp.holds_at(point.values()):
                continue
            tried += 1
            cex = violation(claim, point)
            if cex is not None:
                summary["points_tried"] = tried
                return {"summary": summary, "counterexample": cex}
    summary["points_tried"] = tried
    return {"summary": summary}


def _generic_point(claim: FormulaClaim, hyp: Hypotheses, mm: int) -> Point | None:
    y = tuple(sp.Integer(k * (k + 1) // 2) for k in range(mm))
    g = tuple(sp.Integer((-1) ** k * (k + 1)) for k in range(mm))
    v = tuple(sp.Integer((3 * k + 2) % 7 - 3) for k in range(mm))
    H = tuple(tuple(sp.Integer((a + 1) * (b + 1) % 5 - 2 + 2 * (a == b)) for b in range(mm)) for a in range(mm))
    scal = _scalar_dims(claim, hyp, _GENERIC)
    for combo in itertools.product(*[c for _, c in scal]):
        sv = dict(zip([n for n, _ in scal], combo))
        p = Point(y, g, v, H, mm - 1, sv[bn.gamma], sv[bn.beta], sv[bn.eps],
                  tuple((x, sv[x]) for x in claim.free_scalars))
        if hyp.holds_at(p.values()):
            return p
    return None


def cross_check(claim: FormulaClaim, ctx: Context) -> list[dict]:
    """An algebra proof re-tested exactly at one generic explicit point for the two smallest ``m``."""
    hyp, out = claim.hyp, []
    for mm in list(hyp.m_range(hyp.m_min + 1))[:2]:
        p = _generic_point(claim, hyp, mm)
        if p is None:
            continue
        bad = violation(claim, p, screen=False)
        out.append({"m": mm, "point": p.describe(claim.quantities), "consistent": bad is None,
                    **({"violation": bad} if bad else {})})
    return out

