"""Tests for theory/formula_engine.py that kill mutants the mutation tier found surviving (mutation/).

The Riesz representer refuses a form that is not linear in the test direction, whatever the sign
of the part that is left over (a constant, a negative constant, a symbol); the translation of the
staged partials dL/dgamma, dL/dbeta and of sigma into the symbolic-m algebra, against their
closed forms (Ioffe & Szegedy 2015, Sec. 3).
"""
import pytest
import sympy as sp

from bnclaims.formula import FormulaClaim, bn
from bnclaims.theory import bn_algebra as A
from bnclaims.theory import formula_engine as T

ONE_U = A.GRAM[frozenset(("1", "u"))]


def test_the_representer_of_a_linear_form_has_its_coefficients():
    r = T._representer(3 * ONE_U + A.mu * A.GRAM[frozenset(("y", "u"))], "u")
    assert dict(r.coeffs)["1"] == 3 and dict(r.coeffs)["y"] == A.mu


@pytest.mark.parametrize("rest", [sp.Integer(1), sp.Integer(-1), A.mu, -A.s])
def test_a_form_with_a_part_free_of_the_test_direction_is_not_in_the_algebra(rest):
    with pytest.raises(T.NotInAlgebra):
        T._representer(ONE_U + rest, "u")


def test_a_form_quadratic_in_the_test_direction_is_not_in_the_algebra():
    with pytest.raises(T.NotInAlgebra):
        T._representer(ONE_U**2, "u")


def test_dL_dgamma_is_g_dot_yhat_and_dL_dbeta_is_the_sum_of_g_for_symbolic_m():
    # Ioffe & Szegedy 2015, Sec. 3: dL/dgamma = sum_i g_i yhat_i, dL/dbeta = sum_i g_i
    assert T.algebra_difference(FormulaClaim("dgamma", sp.Eq(bn.dL(bn.gamma), bn.dot(bn.g, bn.yhat)))) == [0]
    assert T.algebra_difference(FormulaClaim("dbeta", sp.Eq(bn.dL(bn.beta), bn.sum(bn.g)))) == [0]
    assert T.algebra_difference(FormulaClaim("swapped", sp.Eq(bn.dL(bn.gamma), bn.sum(bn.g)))) != [0]


def test_sigma_squared_is_sigma2_and_s_squared_is_sigma2_plus_eps_for_symbolic_m():
    assert T.algebra_difference(FormulaClaim("sigma", sp.Eq(bn.sigma**2, bn.sigma2))) == [0]
    assert T.algebra_difference(FormulaClaim("s", sp.Eq(bn.s**2, bn.sigma**2 + bn.eps))) == [0]


def test_an_identity_outside_the_algebra_with_no_m_to_check_explicitly_is_inconclusive(monkeypatch):
    """No proof in the algebra, no counterexample, and an empty explicit-m range: nothing is proved."""
    from bnclaims import Context, Verdict

    F = FormulaClaim("J symmetric for m >= 10", sp.Eq(bn.entry(bn.JT(bn.v + bn.e)), bn.entry(bn.J(bn.v + bn.e))),
                     [sp.Ge(bn.m, 10)])
    monkeypatch.setattr(T.S, "search", lambda claim, ctx: {"summary": {"scope": "no batch searched"}})
    monkeypatch.setattr(T.X, "prove_explicit", lambda claim, ctx: {})
    out = T.prove(F, Context(preset="quick"))
    assert out.verdict is Verdict.INCONCLUSIVE and "not in the symbolic-m algebra" in out.scope


def test_bn_of_the_batch_itself_is_z_for_symbolic_m():
    assert all(d == 0 for d in T.algebra_difference(FormulaClaim("BN(y) = z", sp.Eq(bn.BN(bn.y), bn.z))))
    # shift invariance: BN(y + 1) = BN(y), componentwise (the centring removes the shift)
    assert all(d == 0 for d in T.algebra_difference(FormulaClaim("shift", sp.Eq(bn.BN(bn.y + bn.ones), bn.z))))


def test_rescaling_by_a_positive_scalar_is_proved_under_its_sign_hypothesis():
    # BN(a y; eps a^2) = BN(y; eps) for a > 0 (scale invariance with eps, sqrt(a^2) = a)
    from bnclaims import Context, Verdict

    a = sp.Symbol("a", real=True)
    F = FormulaClaim("scale invariance", sp.Eq(bn.BN(a * bn.y, eps=bn.eps * a**2), bn.z), [sp.Gt(a, 0)])
    assert all(d == 0 for d in T.algebra_difference(F))
    assert T.prove(F, Context(preset="quick")).verdict is Verdict.PROVED


def test_a_difference_of_minus_one_is_not_reported_as_reducing_to_zero():
    from bnclaims import Context, Verdict

    F = FormulaClaim("sum z = m beta + 1", sp.Eq(bn.sum(bn.z), bn.m * bn.beta + 1), [sp.Ge(bn.eps, 0)])
    assert T.algebra_difference(F) == [-1]
    out = T.prove(F, Context(preset="quick"))
    assert out.verdict is Verdict.REFUTED and out.evidence["algebra"] == "the algebra difference did not reduce to 0"


@pytest.mark.parametrize("x", [bn.gamma, bn.beta])
def test_a_sign_hypothesis_on_gamma_or_beta_is_used_by_the_algebra(x):
    F = FormulaClaim("|x| = x", sp.Eq(sp.Abs(x), x), [sp.Gt(x, 0)])
    assert T.algebra_difference(F) == [0]
    assert T.algebra_difference(FormulaClaim("|x| = x, no sign", sp.Eq(sp.Abs(x), x), [])) != [0]
