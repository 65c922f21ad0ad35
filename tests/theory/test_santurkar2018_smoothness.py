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


def test_thm41_with_half_the_last_coefficient_is_a_true_bound_but_not_an_identity():
    # ||grad||^2 = gamma^2/sigma^2 (||g||^2 - <1,g>^2/m - <g,yhat>^2/m) at eps = 0, so replacing the last 1/m
    # by 1/(2m) gives a right-hand side larger by gamma^2 <g,yhat>^2 / (2 m sigma^2) >= 0: an upper bound,
    # not an identity
    half = 1 / (2 * A.m)
    out = T.prove_thm41(Context(preset="quick"), last=half, equality=False)
    assert out.verdict is Verdict.PROVED and out.evidence["explicit_m"] == {"2": True, "3": True, "4": True}
    # for eps >= 0 with r = sigma^2/s^2 = (s^2 - eps)/s^2:
    # K = gamma^2/s^2 ((2 - r)/m - 1/(2m)) = gamma^2 (s^2 + 2 eps)/(2 m s^4)
    assert A.is_zero(out.exprs["K_eps"] - A.gamma**2 * (A.s**2 + 2 * A.eps) / (2 * A.m * A.s**4))
    out = T.prove_thm41(Context(preset="quick"), last=half, equality=True)
    assert out.verdict is Verdict.REFUTED
    cex = out.evidence["counterexample"]
    y = [sp.Rational(v) for v in cex["y"]]
    g = [sp.Rational(v) for v in cex["g"]]
    m = len(y)
    mu = sum(y) / m
    var = sum((v - mu) ** 2 for v in y) / m
    yhat = [(v - mu) / sp.sqrt(var) for v in y]
    q = sum(a * b for a, b in zip(g, yhat))
    rhs = (sum(a * a for a in g) - sum(g) ** 2 / m - q**2 / (2 * m)) / var   # gamma = 1, eps = 0
    norm2 = (sum(a * a for a in g) - sum(g) ** 2 / m - q**2 / m) / var      # the exact identity
    assert q != 0 and sp.simplify(sp.sympify(cex["rhs"]) - rhs) == 0
    assert sp.simplify(sp.sympify(cex["grad_sq_norm"]) - norm2) == 0


def test_thm42_sign_flip_counterexample_recomputed_from_the_definition_of_bn():
    # linear L(z) = <g, z> (H = 0): lhs = d^2/dt^2 <g, BN(y + t v)> at t = 0 with v = grad_y <g, BN(y)>,
    # the flipped right-hand side is + <g,yhat> ||v||^2 / (m sigma^2) (gamma = 1, eps = 0)
    out = T.prove_thm42(Context(preset="quick"), sign=1)
    assert out.verdict is Verdict.REFUTED
    cex = out.evidence["counterexample"]
    m = cex["m"]
    ys, t = sp.symbols(f"u0:{m}", real=True), sp.Symbol("t")
    mu = sum(ys) / m
    sd = sp.sqrt(sum((v - mu) ** 2 for v in ys) / m)
    loss = sum(sp.Rational(gi) * (v - mu) / sd for gi, v in zip(cex["g"], ys))
    at = dict(zip(ys, map(sp.Rational, cex["y"])))
    v = [sp.simplify(sp.diff(loss, u).subs(at)) for u in ys]
    lhs = sp.diff(loss.subs({u: u + t * c for u, c in zip(ys, v)}), t, 2).subs(t, 0).subs(at)
    var = (sd**2).subs(at)
    q = sum(sp.Rational(gi) * ((u - mu) / sd).subs(at) for gi, u in zip(cex["g"], ys))
    rhs = q * sum(c**2 for c in v) / (m * var)
    assert sp.simplify(sp.sympify(cex["lhs"]) - lhs) == 0 and sp.simplify(sp.sympify(cex["rhs"]) - rhs) == 0
    assert sp.simplify(lhs - rhs) != 0
