"""Tests for numerics/rao2020_regnorm.py (Rao & Sohl-Dickstein 2020, eq. 3, Appendices A and B)."""
from fractions import Fraction

import mpmath
import pytest

from bnclaims import Context, Verdict
from bnclaims.numerics import rao2020_regnorm as n

CTX = Context(preset="quick")


@pytest.fixture(scope="module")
def identity_twin():
    """eq. (3) checked against the twin r = sum_i mu_i^2 (factor 2 dropped), one run per module."""
    return n.check_regnorm_identity(CTX, formula=n.TWIN)


@pytest.fixture(scope="module")
def appendix_a():
    return n.refute_appendix_a_variance(CTX)


@pytest.fixture(scope="module")
def appendix_b():
    return n.refute_appendix_b_step(CTX)


def test_regnorm_at_a_known_batch_equals_twice_sum_of_squared_means():
    with mpmath.workdps(60):
        zb = n.zbar_of(mpmath.mp, [[3, 4], [4, -3]])  # rms 5/sqrt2 each
        r = n.regnorm_r(mpmath.mp, zb)
        mus = n.batch_means(mpmath.mp, zb)
        assert abs(r - 2 * (mus[0] ** 2 + mus[1] ** 2)) < mpmath.mpf(10) ** -50
        assert abs(mus[0] - 7 * mpmath.sqrt(2) / 10) < mpmath.mpf(10) ** -50


def test_regnorm_identity_holds_and_twin_is_refuted_with_a_shrunk_certified_batch(identity_twin):
    assert n.check_regnorm_identity(CTX).verdict is Verdict.HOLDS
    out = identity_twin
    assert out.verdict is Verdict.REFUTED and out.evidence["shrunk"] and out.evidence["certificate"]["certified"]


def test_the_twin_certificate_encloses_the_gap_r_minus_the_twin_formula(identity_twin):
    """r - sum_i mu_i^2 = 2 sum mu^2 - sum mu^2 = sum_i mu_i^2 of the counterexample: the certified
    interval must be that gap (here recomputed from the integer batch: rows over their rms, column means)."""
    z = identity_twin.evidence["counterexample"]
    with mpmath.workdps(40):
        rows = [[mpmath.mpf(v) / mpmath.sqrt(mpmath.fsum([mpmath.mpf(x) ** 2 for x in r]) / len(r)) for v in r]
                for r in z]
        gap = mpmath.fsum([(mpmath.fsum([r[i] for r in rows]) / len(rows)) ** 2 for i in range(len(z[0]))])
        lo, hi = (mpmath.mpf(v) for v in identity_twin.evidence["certificate"]["interval"])
        assert gap > 0 and lo - mpmath.mpf(10) ** -15 <= gap <= hi + mpmath.mpf(10) ** -15


def test_appendix_b_gap_is_the_batch_variance_and_is_certified_positive(appendix_b):
    out = appendix_b
    assert out.verdict is Verdict.REFUTED
    assert mpmath.mpf(out.evidence["gap_equals_batch_variance"]["max_abs_error"]) < mpmath.mpf(10) ** -50


def test_appendix_b_records_the_paper_chain_value_2n_for_its_counterexample(appendix_b):
    """App. B's chain of equalities ends at r = 2N (N units); the evidence sets that value beside eq. (3)'s
    r for the counterexample, so it must be twice the counterexample's number of units."""
    assert appendix_b.evidence["paper_chain_2N"] == 2 * len(appendix_b.evidence["counterexample"][0])


def test_appendix_a_partner_with_four_times_the_variance_has_the_same_value(appendix_a):
    out = appendix_a
    assert out.verdict is Verdict.REFUTED
    assert out.evidence["r"] == out.evidence["r_partner"] and out.evidence["exact_equal"]


def test_appendix_a_certificate_encloses_three_times_the_batch_variance(appendix_a):
    """Doubling every deviation multiplies the variance by 4: the certified difference
    variance(partner) - variance(batch) is 3 variance(batch), exactly the recorded variances' difference."""
    var, var_partner = (Fraction(v) for v in appendix_a.evidence["variance"])
    assert var_partner == 4 * var and var > 0
    lo, hi = (mpmath.mpf(v) for v in appendix_a.evidence["certificate"]["interval"])
    exact = mpmath.mpf(3 * var.numerator) / var.denominator
    assert lo - mpmath.mpf(10) ** -15 <= exact <= hi + mpmath.mpf(10) ** -15


def test_the_identity_is_checked_on_the_documented_number_of_batches_per_preset():
    got = {p: n.check_regnorm_identity(Context(preset=p)).evidence["cases"] for p in ("quick", "default")}
    assert got == {"quick": 40, "default": 200}
    assert "40, 200 or 800 hypothesis\n    batches" in n.check_regnorm_identity.__doc__
