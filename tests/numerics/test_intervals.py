"""Tests for numerics.intervals: certificates hold only when the enclosure excludes the boundary."""
from fractions import Fraction

from bnclaims.numerics.intervals import certify_nonzero, certify_positive


def test_a_positive_quantity_is_certified():
    cert = certify_positive(lambda M, a, b: a - b, [Fraction(1, 3), Fraction(333, 1000)])
    assert cert.certified and float(cert.lo) > 0


def test_an_exact_zero_cannot_be_certified_nonzero():
    # (1/3)*3 - 1 is exactly zero; its enclosure straddles 0, so no certificate.
    cert = certify_nonzero(lambda M, a: a * 3 - 1, [Fraction(1, 3)])
    assert not cert.certified


def test_a_tiny_but_real_difference_is_certified_at_high_precision():
    cert = certify_nonzero(lambda M, a: M.sqrt(a) - M.mpf(14142135623730951) / 10**16,
                           [Fraction(2)], dps=60)
    assert cert.certified


def test_an_enclosure_touching_zero_from_either_side_is_never_certified():
    """Boundary cases of both certificates: [0, 0] (an exact zero), [0, 1] and [-1, 0] touch zero."""
    for lo, hi in ((0, 0), (0, 1), (-1, 0)):
        enclosure = lambda M, lo=lo, hi=hi: M.mpf([lo, hi])  # noqa: E731  (an interval given by its endpoints)
        assert not certify_nonzero(enclosure, []).certified, (lo, hi)
        assert not certify_positive(enclosure, []).certified, (lo, hi)


def test_an_exactly_zero_expression_of_rationals_is_not_certified_nonzero():
    cert = certify_nonzero(lambda M, a: a * 0, [Fraction(1, 3)])
    assert (cert.lo, cert.hi, cert.certified) == ("0.0", "0.0", False)


def test_enclosures_strictly_on_one_side_of_zero_are_certified():
    assert certify_nonzero(lambda M: M.mpf([1, 2]), []).certified
    assert certify_nonzero(lambda M: M.mpf([-2, -1]), []).certified
    assert certify_positive(lambda M: M.mpf([1, 2]), []).certified
    assert not certify_positive(lambda M: M.mpf([-2, -1]), []).certified
