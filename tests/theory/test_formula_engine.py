"""Tests for theory/formula_engine.py: symbolic-m proofs of formula claims in the inner-product algebra,
the fallbacks (search, explicit m) and the honesty of the verdicts."""
import pytest
import sympy as sp

from bnclaims import Context, Verdict
from bnclaims.formula import FormulaClaim, bn
from bnclaims.theory import bn_algebra as A
from bnclaims.theory import formula_engine as T

QUICK = Context(preset="quick")
a = sp.Symbol("a", real=True)


def thm41(last):
    rhs = bn.gamma**2 / bn.sigma2 * (bn.norm2(bn.g) - bn.sum(bn.g) ** 2 / bn.m - last * bn.dot(bn.g, bn.yhat) ** 2)
    return FormulaClaim("Thm 4.1", sp.Eq(bn.norm2(bn.grad), rhs), [sp.Eq(bn.eps, 0)])


def test_thm41_difference_vanishes_and_the_two_over_m_twin_leaves_gamma2_q2_over_m_sigma2():
    assert T.algebra_difference(thm41(1 / bn.m)) == [0]
    (d,) = T.algebra_difference(thm41(2 / bn.m))
    assert A.is_zero(d - A.gamma**2 * A.qg**2 / (A.m * A.sigma**2))


def test_transpose_jacobian_of_a_free_direction_uses_a_second_test_direction_and_proves_symmetry():
    F = FormulaClaim("J is symmetric", sp.Eq(bn.entry(bn.JT(bn.v)), bn.entry(bn.J(bn.v))))
    assert T.algebra_difference(F) == [0]
    out = T.prove(F, QUICK)
    assert out.verdict is Verdict.PROVED and out.scope.startswith("symbolic m >= 2")


def test_outside_the_algebra_the_identity_is_proved_for_each_explicit_m_and_the_scope_says_so():
    F = FormulaClaim("J is symmetric, mixed", sp.Eq(bn.JT(bn.v + bn.e), bn.J(bn.v + bn.e)))
    with pytest.raises(T.NotInAlgebra):
        T.algebra_difference(F)
    out = T.prove(F, QUICK)
    assert out.verdict is Verdict.PROVED and out.scope.startswith("m = 2..4 explicit")
    assert out.evidence["explicit_m"] == {"2": True, "3": True, "4": True}


def test_ioffe_staged_gradient_through_the_graph_partials_is_proved():
    rhs = (bn.dL(bn.yhat) / bn.s + bn.dL(bn.sigma2) * 2 * (bn.y - bn.mu * bn.ones) / bn.m
           + bn.dL(bn.mu) * bn.ones / bn.m)
    F = FormulaClaim("Ioffe & Szegedy dL/dy", sp.Eq(bn.dL(bn.y), rhs))
    assert T.prove(F, QUICK).verdict is Verdict.PROVED


def test_an_inequality_is_proved_with_the_lower_bound_on_m_and_refuted_without_it():
    ge3 = FormulaClaim("||yhat||^2 >= 3", sp.Ge(bn.norm2(bn.yhat), 3), [sp.Eq(bn.eps, 0), sp.Ge(bn.m, 3)])
    assert T.prove(ge3, QUICK).verdict is Verdict.PROVED
    any_m = FormulaClaim("||yhat||^2 >= 3", sp.Ge(bn.norm2(bn.yhat), 3), [sp.Eq(bn.eps, 0)])
    assert T.prove(any_m, QUICK).verdict is Verdict.REFUTED


def test_scale_invariance_needs_a_positive_and_a_negative_a_refutes_it():
    F = FormulaClaim("scale", sp.Eq(bn.BN(a * bn.y), bn.BN(bn.y, eps=bn.eps / a**2)), [sp.Ne(a, 0)])
    out = T.prove(F, QUICK)
    assert out.verdict is Verdict.REFUTED and sp.Rational(out.evidence["counterexample"]["a"]) < 0


def test_cauchy_schwarz_has_no_sign_certificate_and_stays_inconclusive():
    F = FormulaClaim("Cauchy-Schwarz", sp.Le(bn.dot(bn.g, bn.yhat) ** 2, bn.norm2(bn.g) * bn.norm2(bn.yhat)))
    out = T.prove(F, QUICK)
    assert out.verdict is Verdict.INCONCLUSIVE and out.evidence["search"]["points_tried"] > 0


def test_thm42_first_form_is_proved_and_its_sign_twin_refuted_with_a_linear_loss():
    def thm42(sign):
        rhs = (bn.gamma**2 / bn.sigma2 * bn.H(bn.grad, bn.grad)
               + sign * bn.gamma / (bn.m * bn.sigma2) * bn.dot(bn.g, bn.yhat) * bn.norm2(bn.grad))
        return FormulaClaim("Thm 4.2", sp.Eq(bn.hess(bn.grad), rhs), [sp.Eq(bn.eps, 0)])
    assert T.prove(thm42(-1), QUICK).verdict is Verdict.PROVED
    cex = T.prove(thm42(1), QUICK).evidence["counterexample"]
    assert cex["m"] == 3 and all(x == "0" for row in cex["H"] for x in row)   # at m = 2, eps = 0: grad = 0


def test_a_proof_that_disagrees_with_the_explicit_evaluation_is_not_reported(monkeypatch):
    monkeypatch.setattr(T.S, "cross_check", lambda claim, ctx: [{"m": 2, "consistent": False}])
    F = FormulaClaim("sum of outputs", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [])
    out = T.prove(F, QUICK)
    assert out.verdict is Verdict.INCONCLUSIVE and "disagrees" in out.scope


def test_proved_outcome_carries_steps_exprs_and_an_exact_cross_check():
    out = T.prove(thm41(1 / bn.m), QUICK)
    assert out.exprs["difference"] == 0 and out.steps
    assert [c["m"] for c in out.evidence["cross_check"]] == [2, 3]
    assert all(c["consistent"] for c in out.evidence["cross_check"])
