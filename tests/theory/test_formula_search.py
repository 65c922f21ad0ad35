"""Tests for theory/formula_search.py: the simplest-first exact counterexample search over every free
quantity, honouring the hypotheses, and the exact cross-check of symbolic proofs."""
import itertools

import sympy as sp

from bnclaims import Context
from bnclaims.formula import FormulaClaim, bn
from bnclaims.theory import formula_search as S

QUICK = Context(preset="quick")
a = sp.Symbol("a", real=True)


def test_simplest_first_visits_every_tuple_once_in_order_of_rank_sum():
    order = list(S.simplest_first([3, 2, 4]))
    assert sorted(order) == sorted(itertools.product(range(3), range(2), range(4)))
    assert [sum(t) for t in order] == sorted(sum(t) for t in order)


def test_points_honour_the_hypotheses_on_each_quantity():
    F = FormulaClaim("unscaled", sp.Eq(bn.BN(a * bn.y), bn.BN(bn.y)), [sp.Gt(a, 0), sp.Gt(bn.eps, 0), sp.Ge(bn.m, 3)])
    pts = list(S._points(F, F.hyp, 3, 200))
    assert pts and all(dict(p.scalars)[a] > 0 and p.eps > 0 for p in pts)
    assert {p.eps for p in pts} > {1} and {dict(p.scalars)[a] for p in pts} > {1}   # both are varied


def test_gamma_is_varied_so_a_formula_right_only_at_gamma_one_is_refuted():
    rhs = bn.gamma / bn.sigma2 * (bn.norm2(bn.g) - bn.sum(bn.g) ** 2 / bn.m - bn.dot(bn.g, bn.yhat) ** 2 / bn.m)
    F = FormulaClaim("gamma not squared", sp.Eq(bn.norm2(bn.grad), rhs), [sp.Eq(bn.eps, 0)])
    cex = S.search(F, QUICK)["counterexample"]
    assert cex["exact"] is True and cex["gamma"] != "1" and cex["eps"] == "0"


def test_the_search_starts_at_the_hypothesised_batch_size():
    F = FormulaClaim("||yhat||^2 >= 4", sp.Ge(bn.norm2(bn.yhat), 4), [sp.Eq(bn.eps, 0), sp.Ge(bn.m, 3)])
    out = S.search(F, QUICK)
    assert out["summary"]["m"][0] == 3 and out["counterexample"]["m"] == 3


def test_a_true_identity_has_no_counterexample_and_passes_the_cross_check():
    F = FormulaClaim("sum of outputs", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [])
    out = S.search(F, QUICK)
    assert "counterexample" not in out and out["summary"]["points_tried"] > 100
    assert [c["consistent"] for c in S.cross_check(F, QUICK)] == [True, True]
    wrong = FormulaClaim("sum of outputs, twin", sp.Eq(bn.sum(bn.z), (bn.m + 1) * bn.beta), [])
    assert [c["consistent"] for c in S.cross_check(wrong, QUICK)] == [False, False]
