"""Tests for theory/ioffe2015.py (Ioffe & Szegedy §3 staged backprop; seed 001's vanishing term)."""
import sympy as sp

from bnclaims import Context, Level, Verdict, has_certificate
from bnclaims.runner import certified_only
from bnclaims.theory import bn_algebra as A
from bnclaims.theory import ioffe2015 as T


def test_backprop_formula_equals_exact_gradient_for_symbolic_m():
    out = T.prove_backprop(Context(preset="quick"))
    assert out.verdict is Verdict.PROVED and out.exprs["staged_minus_exact_on_u"] == 0


def test_staged_formula_matches_finite_difference_free_exact_value_at_rational_batch():
    unit = A.explicit_unit(2)
    sub = A.point_subs(unit, (0, 2), (1, 0), 0, 1)   # mu = 1, sigma = 1: grad = (g - 1/2 - q yhat/2) = (0, 0)
    vals = [sp.simplify(c.subs(sub)) for c in T.staged_components(unit)]
    assert vals == [0, 0]


def test_sign_flipped_sigma2_coefficient_is_refuted_with_exact_counterexample():
    out = T.prove_backprop(Context(preset="quick"), T.StagedFormula(sigma2_coeff=sp.Rational(1, 2)))
    assert out.verdict is Verdict.REFUTED and out.evidence["counterexample"]["difference"] != "0"


def test_second_term_of_dmu_vanishes_and_squared_variant_does_not():
    out = T.prove_vanishing_term(Context(preset="quick"))
    assert out.verdict is Verdict.PROVED and out.exprs["algebra_term"] == 0
    out = T.prove_vanishing_term(Context(preset="quick"), power=2)
    assert out.verdict is Verdict.REFUTED and out.evidence["counterexample"]["term"] != "0"


def test_squared_variant_counterexample_has_nonzero_dl_dsigma2_computed_exactly():
    cex = T.prove_vanishing_term(Context(preset="quick"), power=2).evidence["counterexample"]
    y = [sp.Rational(v) for v in cex["y"]]
    mu = sum(y) / len(y)
    c = [v - mu for v in y]                      # upstream dL/dyhat = y - mu, gamma = 1, eps = 0
    s = sp.sqrt(sum(ci**2 for ci in c) / len(y))
    dsig2 = sp.Rational(-1, 2) * s**-3 * sum(ci * ci for ci in c)
    second = sum(-2 * ci**2 for ci in c) / len(y)
    assert dsig2 != 0 and sp.simplify(dsig2 - sp.sympify(cex["dL_dsigma2"])) == 0
    assert sp.simplify(dsig2 * second - sp.sympify(cex["term"])) == 0


def test_squared_variant_refutation_carries_the_exact_certificate_a_theory_refutation_needs():
    # at the theory level a refutation counts only with exact re-verification (evidence exact: true);
    # without it the runner reports the record as inconclusive
    out = T.prove_vanishing_term(Context(preset="quick"), power=2)
    assert out.verdict is Verdict.REFUTED and out.evidence["exact"] is True
    assert has_certificate(out.evidence, Level.THEORY)
    assert certified_only(out, Level.THEORY).verdict is Verdict.REFUTED
