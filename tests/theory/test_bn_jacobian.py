"""Tests for theory/bn_jacobian.py (projection form C02, spectrum C17, seed 001 near-identity)."""
import sympy as sp

from bnclaims import Context, Verdict
from bnclaims.theory import bn_algebra as A
from bnclaims.theory import bn_jacobian as T


def test_projection_form_gradient_component_along_yhat_is_proportional_to_eps():
    out = T.prove_projection_form(Context(preset="quick"))
    assert out.verdict is Verdict.PROVED
    assert A.is_zero(out.exprs["along_yhat"] - A.gamma * A.eps * A.qg / A.s**3)
    assert out.exprs["sum_of_entries"] == 0


def test_exact_singular_values_of_a_balanced_batch_are_gamma_over_sigma_and_two_zeros():
    sv = T.exact_singular_values((-2, -2, 2, 2), 0, 3)   # sigma = 2
    assert sv == [0, 0, sp.Rational(3, 2), sp.Rational(3, 2)]


def test_spectrum_is_proved_and_sigma_squared_variant_refuted():
    assert T.prove_spectrum(Context(preset="quick")).verdict is Verdict.PROVED
    assert T.prove_spectrum(Context(preset="quick"), value=A.gamma / A.sigma**2).verdict is Verdict.REFUTED


def test_near_identity_counterexample_is_at_eps_zero_with_exact_structural_zeros_dropped():
    out = T.refute_near_identity(Context(preset="quick"))
    cex = out.evidence["counterexample"]
    assert out.verdict is Verdict.REFUTED and cex["eps"] == 0 and cex["gamma"] == 1
    sv = T.exact_singular_values(tuple(cex["y"]), 0, 1)
    assert sum(1 for v in sv if v == 0) == 2 == cex["structural_zeros"]
    # the nonzero singular values are 1/sigma, sigma from exact rationals: outside [1/2, 2]
    y = [sp.Rational(v) for v in cex["y"]]
    mu = sum(y) / len(y)
    inv_sigma = 1 / sp.sqrt(sum((v - mu) ** 2 for v in y) / len(y))
    assert all(sp.simplify(v - inv_sigma) == 0 for v in sv if v != 0)
    assert not (sp.Rational(1, 2) <= inv_sigma <= 2)
    assert all(sp.sympify(v) != 0 for v in cex["outside_band"])


def test_near_identity_with_a_band_containing_every_tried_value_holds():
    out = T.refute_near_identity(Context(preset="quick"), band=(sp.Rational(1, 100), sp.Integer(100)))
    assert out.verdict is Verdict.HOLDS and out.evidence["checked"] == 100   # the quick preset's budget
    assert "the 100, 400 or 1,000\n    simplest at the quick, default and thorough presets" in T.refute_near_identity.__doc__


def test_the_only_if_holds_for_every_batch_and_the_degenerate_cases_are_exactly_zero():
    out = T.prove_projection_form(Context(preset="quick"))
    with_yhat = out.exprs["along_yhat_at_g_yhat"]
    # g = yhat: gamma eps m sigma^2 / s^5 with sigma^2 = s^2 - eps, read independently at a rational point
    point = {A.eps: sp.Rational(1, 3), A.gamma: sp.Rational(-2), A.m: 5, A.s: sp.Rational(3, 2)}
    assert with_yhat.subs(point) == sp.Rational(-2) * sp.Rational(1, 3) * 5 * (sp.Rational(9, 4) - sp.Rational(1, 3)) / sp.Rational(3, 2) ** 5
    assert out.evidence["zero_although_eps_positive"] == {
        "constant batch y = (3, 3), eps = 1": ["0", "0"], "gamma = 0, y = (-1, 1), eps = 1": ["0", "0"]}
    assert "gamma != 0" in out.scope and "sigma > 0" in out.scope
