"""Tests for numerics/ioffe2015.py (staged backprop and the vanishing dL/dmu term at 60+ digits)."""
from fractions import Fraction

import mpmath
import pytest

from bnclaims import Context, Outcome, Verdict
from bnclaims.numerics import intervals
from bnclaims.numerics import ioffe2015 as N
from bnclaims.numerics.bn_jacobian import def_grad
from bnclaims.numerics.inputs import to_mp
from bnclaims.numerics.strategies import BNCase


def test_staged_backprop_holds_and_sign_twin_is_refuted_and_certified():
    assert N.check_backprop(Context(preset="quick")).verdict is Verdict.HOLDS
    out = N.check_backprop(Context(preset="quick"), sigma2_coeff=Fraction(1, 2))
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]


def test_on_batch_backprop_holds_on_a_large_mean_batch():
    out = N.on_batch_backprop([10**8, 10**8 + 1, 10**8 + 3], Fraction(1, 10**5), 2, [1, 2, -3], Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS


@pytest.mark.parametrize("mean", [10**40, 10**60])
def test_on_batch_backprop_holds_at_huge_mean_with_eps_zero(mean):
    out = N.on_batch_backprop([mean, mean + 1, mean + 3], 0, 1, [1, 0, 0], Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS and mpmath.mpf(out.evidence["rel_error"]) < mpmath.mpf(10) ** -50


def test_whole_dmu_product_is_enclosed_exactly_at_a_rational_batch():
    # y = (0, 0, 0, 1), g = e_4, gamma = 1, eps = 0, power 2: mu = 1/4, s = sqrt(3)/4,
    # dL/dsigma^2 = -(3/4)/(2 s^3) = -8/sqrt(3), (1/m) sum -2 (y - mu)^2 = -3/8: product sqrt(3)
    val, _ = intervals.enclose(lambda M, y, g, ga, e: N.dmu_second_term(M, y, g, ga, e, 2)[0],
                               [[0, 0, 0, 1], [0, 0, 0, 1], 1, 0])
    with mpmath.workdps(60):
        assert mpmath.sqrt(3) in val and val.delta < mpmath.mpf(10) ** -55


@pytest.fixture(scope="module")
def squared_twin():
    """The twin of C03 with (y - mu)^2: refuted, with a certified counterexample (one run per module)."""
    return N.check_vanishing_term(Context(preset="quick"), power=2)


def test_vanishing_term_holds_and_squared_twin_is_refuted_where_dl_dsigma2_is_nonzero(squared_twin):
    assert N.check_vanishing_term(Context(preset="quick")).verdict is Verdict.HOLDS
    out = squared_twin
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]
    cex = out.evidence["counterexample"]
    y, g = [Fraction(v) for v in cex["y"]], [Fraction(v) for v in cex["g"]]
    mu = sum(y) / len(y)
    assert Fraction(cex["gamma"]) * sum(gi * (v - mu) for gi, v in zip(g, y)) != 0   # dL/dsigma^2 != 0, exactly
    assert sum((v - mu) ** 2 for v in y) != 0


@pytest.mark.parametrize("k", [20, 25, 30])
def test_staged_backprop_compensates_the_rounding_of_the_mean_without_guard_digits(k):
    """At 60 digits, mu = 1e^k + 4/3 is rounded by delta ~ 1e^(k-60), and every y_i - mu is off by
    -delta. The literal dL/dmu term dL/dsigma^2 (1/m) sum -2 (y_i - mu) = 2 delta dL/dsigma^2 cancels
    that error in the 2 (y_i - mu)/m term: the staged gradient stays good to 1e-50 relative to J^T g
    from dual numbers at 300 digits, with no conditioning digits added."""
    y, g = [Fraction(10**k + d) for d in (0, 1, 3)], [Fraction(v) for v in (1, 2, -3)]
    with mpmath.workdps(300):
        ref = def_grad(mpmath.mp, to_mp(y), to_mp(g), mpmath.mpf(1), mpmath.mpf(0))
    with mpmath.workdps(60):
        staged = N.staged_grad(mpmath.mp, to_mp(y), to_mp(g), mpmath.mpf(1), mpmath.mpf(0))
    with mpmath.workdps(300):
        assert max(abs(a - b) for a, b in zip(staged, ref)) / max(abs(b) for b in ref) < mpmath.mpf(10) ** -50


def test_the_exact_factors_of_the_squared_twin_reproduce_the_certified_product(squared_twin):
    """The evidence's note says dL/dsigma^2 = -(gamma <g, y - mu>)/(2 s^3): its two exact factors,
    combined that way, must give the product the interval certificate encloses (y = 0,0,0,1 gives
    sqrt(3), see above; the relation holds for whatever counterexample the search returns)."""
    out = squared_twin
    cex, factors = out.evidence["counterexample"], out.evidence["exact_factors"]
    y, eps = [Fraction(v) for v in cex["y"]], Fraction(cex["eps"])
    mu = sum(y) / len(y)
    s2 = sum((v - mu) ** 2 for v in y) / len(y) + eps
    with mpmath.workdps(60):
        f1, f2 = (mpmath.mpf(Fraction(factors[k]).numerator) / Fraction(factors[k]).denominator
                  for k in ("gamma_times_sum_g_centered", "sum_term"))
        product = -f1 / (2 * mpmath.sqrt(mpmath.mpf(s2.numerator) / s2.denominator) ** 3) * f2
        lo, hi = (mpmath.mpf(v) for v in out.evidence["certificate"]["interval"])
        assert product != 0 and abs(product - (lo + hi) / 2) <= abs(hi - lo) + abs(product) * mpmath.mpf(10) ** -18


def _vanishing_term_certificate(monkeypatch, power: int):
    """The certificate that check_vanishing_term hands to the property search, to call on a chosen case."""
    seen = {}

    def fake_property_check(ctx, *, certify, **kw):
        seen["certify"] = certify
        return Outcome(Verdict.HOLDS, "stub")
    monkeypatch.setattr(N, "property_check", fake_property_check)
    N.check_vanishing_term(Context(preset="quick"), power=power)
    return seen["certify"]


@pytest.mark.parametrize("y,g,certified", [
    ((-1, 0, 1), (0, 0, 1), True),      # an entry at the mean; <g, y - mu> = 1, (1/m) sum -2 (y - mu)^2 = -4/3
    ((-1, 1), (0, 1), True),            # (y - mu)^2 = 1 for both entries: sum -2 (y - mu)^2 = -4
    ((0, 0, 0, 1), (0, 0, 0, 1), True),  # the shrunk counterexample: 3/4 and -3/8
    ((-1, 0, 1), (1, 1, 1), False),     # g along 1: <g, y - mu> = 0, the product is exactly 0
])
def test_the_vanishing_term_certificate_certifies_exactly_the_nonzero_products(monkeypatch, y, g, certified):
    """Power 2: the product is nonzero exactly when gamma <g, y - mu> != 0 (the sum of squares of a
    non-constant batch is never 0); the certificate must say so for each hand-checked batch."""
    cert = _vanishing_term_certificate(monkeypatch, 2)
    case = BNCase(tuple(map(Fraction, y)), tuple(map(Fraction, g)), Fraction(1), Fraction(0), Fraction(0), "hand")
    assert cert(case).certified is certified
