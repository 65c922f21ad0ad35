"""Tests for numerics/rao2020_regnorm.py (Rao & Sohl-Dickstein 2020, eq. 3, Appendices A and B)."""
import mpmath

from bnclaims import Context, Verdict
from bnclaims.numerics import rao2020_regnorm as n


def test_regnorm_at_a_known_batch_equals_twice_sum_of_squared_means():
    with mpmath.workdps(60):
        zb = n.zbar_of(mpmath.mp, [[3, 4], [4, -3]])  # rms 5/sqrt2 each
        r = n.regnorm_r(mpmath.mp, zb)
        mus = n.batch_means(mpmath.mp, zb)
        assert abs(r - 2 * (mus[0] ** 2 + mus[1] ** 2)) < mpmath.mpf(10) ** -50
        assert abs(mus[0] - 7 * mpmath.sqrt(2) / 10) < mpmath.mpf(10) ** -50


def test_regnorm_identity_holds_and_twin_is_refuted_with_a_shrunk_certified_batch():
    assert n.check_regnorm_identity(Context(preset="quick")).verdict is Verdict.HOLDS
    out = n.check_regnorm_identity(Context(preset="quick"), formula=n.TWIN)
    assert out.verdict is Verdict.REFUTED and out.evidence["shrunk"] and out.evidence["certificate"]["certified"]


def test_appendix_b_gap_is_the_batch_variance_and_is_certified_positive():
    out = n.refute_appendix_b_step(Context(preset="quick"))
    assert out.verdict is Verdict.REFUTED
    assert mpmath.mpf(out.evidence["gap_equals_batch_variance"]["max_abs_error"]) < mpmath.mpf(10) ** -50


def test_appendix_a_partner_with_four_times_the_variance_has_the_same_value():
    out = n.refute_appendix_a_variance(Context(preset="quick"))
    assert out.verdict is Verdict.REFUTED
    assert out.evidence["r"] == out.evidence["r_partner"] and out.evidence["exact_equal"]
