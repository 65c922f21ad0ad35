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


def test_a_violation_below_the_float_screen_is_still_found_by_the_cross_check():
    """The cross-check decides exactly at every component (no float screen): an identity off by 1e-30
    passes any float test but is caught."""
    off = FormulaClaim("sum of outputs, off by 1e-30", sp.Eq(bn.sum(bn.z), bn.m * bn.beta + sp.Rational(1, 10**30)), [])
    checks = S.cross_check(off, QUICK)
    assert [c["consistent"] for c in checks] == [False, False]
    assert checks[0]["violation"]["difference"] == "-1/1000000000000000000000000000000"


def test_the_hessian_candidates_are_the_documented_five():
    """0, I, E_11, 11^T and diag(1..m), in that order (the module docstring)."""
    m3 = [[[int(x) for x in row] for row in h] for h in S._h_candidates(3)]
    assert m3 == [[[0, 0, 0]] * 3, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 0, 0], [0, 0, 0], [0, 0, 0]],
                  [[1, 1, 1]] * 3, [[1, 0, 0], [0, 2, 0], [0, 0, 3]]]


def test_the_cross_check_points_are_the_ones_recorded_in_the_golden_evidence():
    """The cross-check's points are evidence of the proofs (golden/latex/semantic.json keeps them), so a
    change to the generic point is a changed result: here for Thm 4.2, whose point has every quantity."""
    import json
    from pathlib import Path

    from bnclaims.claims.bn_gradients import _thm42

    golden = json.loads((Path(__file__).resolve().parents[2] / "golden/latex/semantic.json").read_text())
    recorded = json.loads(golden["santurkar.thm42_hessian_quadratic_form"]["claim.evidence.cross_check"])
    got = [{k: c[k] for k in ("consistent", "m", "point")} for c in S.cross_check(_thm42(), QUICK)]
    assert got == recorded


def test_the_search_scope_names_the_batch_sizes_it_covered():
    F = FormulaClaim("sum of outputs", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [sp.Ge(bn.m, 3)])
    summary = S.search(F, QUICK)["summary"]
    assert summary["m"] == [3, 5]
    assert summary["scope"].startswith("simplest-first search over m = 3..5 and every free quantity (y, beta, eps, gamma)")


def test_the_search_budget_per_preset_is_the_documented_one():
    F = FormulaClaim("sum of outputs", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [])
    summaries = {p: S.search(F, Context(preset=p))["summary"] for p in ("quick", "default", "thorough")}
    got = {p: (s["points_per_m"], s["m"]) for p, s in summaries.items()}
    assert got == {"quick": (150, [2, 4]), "default": (400, [2, 4]), "thorough": (1200, [2, 5])}
    assert "150, 400 or 1,200" in S.__doc__ and "3, 3 or 4 batch sizes" in S.__doc__


def test_the_generic_point_honours_a_narrow_hypothesis_on_a_free_scalar():
    """Only the last generic candidate, -1/3, lies in (-1, 0): the cross-check must still run there."""
    F = FormulaClaim("scaling by a in (-1, 0)", sp.Eq(bn.BN(a * bn.y), bn.BN(bn.y)),
                     [sp.Gt(a, -1), sp.Lt(a, 0), sp.Gt(bn.eps, 0)])
    checks = S.cross_check(F, QUICK)
    assert [c["point"]["a"] for c in checks] == ["-1/3", "-1/3"]
