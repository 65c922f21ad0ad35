"""Tests for theory/santurkar2018_smoothness.py (Santurkar et al. 2018 Thms 4.1 and 4.2)."""
import sympy as sp

from bnclaims import Context, Verdict
from bnclaims.theory import bn_algebra as A
from bnclaims.theory import santurkar2018_smoothness as T


def test_thm41_slack_for_positive_eps_is_gamma2_eps_over_m_s4():
    out = T.prove_thm41(Context(preset="quick"))
    assert out.verdict is Verdict.PROVED
    assert A.is_zero(out.exprs["K_eps"] - A.gamma**2 * A.eps / (A.m * A.s**4))


def test_thm41_catalog_instance_has_value_three_fiftieths():
    unit = A.explicit_unit(4)
    lhs, rhs = T._explicit_sq_norm_and_rhs(unit, 1 / A.m)
    sub = A.point_subs(unit, (-3, -1, 1, 3), (1, 0, 0, 0), 0, 1)
    assert sp.simplify(lhs.subs(sub)) == sp.Rational(3, 50) == sp.simplify(rhs.subs(sub))
    _, rhs_sqrt = T._explicit_sq_norm_and_rhs(unit, 1 / sp.sqrt(A.m))
    assert sp.simplify(rhs_sqrt.subs(sub)) == sp.Rational(-3, 100)


def test_thm41_read_as_an_inequality_is_proved_with_each_explicit_batch_checked():
    out = T.prove_thm41(Context(preset="quick"), equality=False)
    assert out.verdict is Verdict.PROVED and out.evidence["explicit_m"] == {"2": True, "3": True, "4": True}


def test_sqrt_m_variant_is_refuted_with_negative_right_hand_side():
    out = T.prove_thm41(Context(preset="quick"), last=1 / sp.sqrt(A.m), equality=False)
    assert out.verdict is Verdict.REFUTED
    assert float(sp.sympify(out.evidence["counterexample"]["rhs"])) < 0


def test_thm42_first_form_is_an_equality_and_sign_flip_is_refuted():
    out = T.prove_thm42(Context(preset="quick"))
    assert out.verdict is Verdict.PROVED and out.exprs["lhs_minus_rhs"] == 0
    assert T.prove_thm42(Context(preset="quick"), sign=1).verdict is Verdict.REFUTED
