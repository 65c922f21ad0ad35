"""Tests for numerics/santurkar2018_smoothness.py (Thms 4.1 and 4.2 at 60+ digits)."""
from fractions import Fraction

import mpmath
import pytest

from bnclaims import Context, Verdict
from bnclaims.numerics import intervals
from bnclaims.numerics import santurkar2018_smoothness as N
from bnclaims.numerics.inputs import to_mp


def test_thm41_right_hand_side_at_catalog_instance_is_three_fiftieths():
    with mpmath.workdps(60):
        y, g = to_mp([Fraction(v) for v in (-3, -1, 1, 3)]), to_mp([Fraction(v) for v in (1, 0, 0, 0)])
        assert abs(N.thm41_rhs(mpmath.mp, y, g, 1, 0) - mpmath.mpf(3) / 50) < mpmath.mpf(10) ** -55
        assert abs(N.thm41_rhs(mpmath.mp, y, g, 1, 0, sqrt_m=True) + mpmath.mpf(3) / 100) < mpmath.mpf(10) ** -55


def test_sqrt_m_variant_is_refuted_with_a_certified_counterexample_at_eps_zero():
    out = N.check_thm41(Context(preset="quick"), sqrt_m=True)
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]
    assert out.evidence["counterexample"]["eps"] == "0" and out.evidence["hypotheses_hold"]
    assert "eps in {0}," in out.scope


@pytest.mark.parametrize("mean", [10**40, 10**60])
@pytest.mark.parametrize("eps", [0, Fraction(1, 10**5)])
def test_on_batch_thm41_holds_at_huge_mean(mean, eps):
    out = N.on_batch_thm41([mean, mean + 1, mean + 3], eps, 1, [1, 0, 0], Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS, out.evidence


def test_thm42_hyper_dual_residual_vanishes_for_the_theorem_and_not_for_the_sign_twin():
    args = [[-3, -1, 1, 3], [1, 2, 0, -1], Fraction(3, 2), 0]
    claim, _ = intervals.enclose(lambda M, *a: N._thm42_def_residual(M, *a, -1), args)
    twin, _ = intervals.enclose(lambda M, *a: N._thm42_def_residual(M, *a, 1), args)
    assert 0 in claim and claim.delta < mpmath.mpf(10) ** -50
    assert 0 not in twin


def test_thm42_equality_holds_numerically():
    out = N.check_thm42(Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS and mpmath.mpf(out.evidence["max_rel_error"]) < mpmath.mpf(10) ** -40


def test_the_thm41_error_is_relative_to_gamma_squared_over_s_squared_times_g_squared():
    """Hand values at y = (-1, 1) (sigma^2 = 1), g = (1, 0): the scale gamma^2/s^2 ||g||^2 is 9 for
    gamma = 3, eps = 0 and 9/2 for eps = 1; an excess of 1 is 1/9 resp. 2/9, a deficit is 0 for the
    inequality."""
    with mpmath.workdps(30):
        y, g = to_mp([Fraction(-1), Fraction(1)]), to_mp([Fraction(1), Fraction(0)])
        one, three = mpmath.mpf(1), mpmath.mpf(3)
        assert N._thm41_err(one + 1, one, y, g, three, 0, True) == one / 9
        assert N._thm41_err(one, one + 1, y, g, three, 0, True) == one / 9
        assert N._thm41_err(one + 1, one, y, g, three, one, False) == 2 * one / 9
        assert N._thm41_err(one, one + 1, y, g, three, one, False) == 0


def test_on_batch_thm41_holds_with_a_huge_gamma():
    """||J^T g||^2 scales with gamma^2 = 1e80: its rounding noise is large in absolute terms but
    about 1e-60 relative, so the theorem must hold on the batch."""
    out = N.on_batch_thm41([0, 1, 3], 0, 10**40, [1, 0, 0], Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS, out.evidence


@pytest.mark.parametrize("last_num,certified", [(0, True), (2, True), (1, False)])
def test_the_eps_zero_certificate_certifies_a_violated_equality_of_either_sign(last_num, certified):
    """At y = (-3, -1, 1, 3), g = e_1, eps = 0: ||J^T g||^2 = 3/50 = RHS with c = 1/m. With c = 0 the
    RHS is 3/20 > 3/50, with c = 2/m it is -3/100 < 3/50: at eps = 0 the statement is an equality, so
    both are certified violations, and the true coefficient is not."""
    args = [[Fraction(v) for v in (-3, -1, 1, 3)], [Fraction(v) for v in (1, 0, 0, 0)], Fraction(1), Fraction(0)]
    assert N._thm41_cert(False, last_num)(args, 60).certified is certified
