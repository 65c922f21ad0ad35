"""Tests for numerics.intervals: certificates hold only when the enclosure excludes the boundary."""
from fractions import Fraction

from numerics.intervals import certify_nonzero, certify_positive


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
