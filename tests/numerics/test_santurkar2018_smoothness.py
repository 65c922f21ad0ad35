"""Tests for numerics/santurkar2018_smoothness.py (Thms 4.1 and 4.2 at 60 digits)."""
from fractions import Fraction

import mpmath

from bnclaims import Context, Verdict
from numerics import santurkar2018_smoothness as N
from numerics.inputs import to_mp


def test_thm41_right_hand_side_at_catalog_instance_is_three_fiftieths():
    with mpmath.workdps(60):
        y, g = to_mp([Fraction(v) for v in (-3, -1, 1, 3)]), to_mp([Fraction(v) for v in (1, 0, 0, 0)])
        assert abs(N.thm41_rhs(mpmath.mp, y, g, 1, 0) - mpmath.mpf(3) / 50) < mpmath.mpf(10) ** -55
        assert abs(N.thm41_rhs(mpmath.mp, y, g, 1, 0, sqrt_m=True) + mpmath.mpf(3) / 100) < mpmath.mpf(10) ** -55


def test_sqrt_m_variant_is_refuted_with_a_certified_counterexample():
    out = N.check_thm41(Context(preset="quick"), sqrt_m=True)
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]


def test_thm42_equality_holds_numerically():
    out = N.check_thm42(Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS and mpmath.mpf(out.evidence["max_rel_error"]) < mpmath.mpf(10) ** -40
