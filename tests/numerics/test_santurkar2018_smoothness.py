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
