"""Tests for numerics/intervals.py that kill mutants the mutation tier found surviving (mutation/).

Certificates are computed at the documented default of 60 significant digits (the precision the
README states for the numerics level), and the working precision is restored afterwards;
``certify_positive`` certifies exactly the positive rationals (zero and negatives are refused),
``certify_nonzero`` certifies small and large values of either sign. (The zero boundary of
``certify_nonzero`` is tested with the certificate boundary tests of issue 13, item 2.)
"""
from fractions import Fraction

import mpmath
import pytest

from bnclaims.numerics import intervals as I


def _bits_at(dps: int) -> int:
    old = mpmath.iv.dps
    try:
        mpmath.iv.dps = dps
        return mpmath.iv.prec
    finally:
        mpmath.iv.dps = old


@pytest.mark.parametrize("certify", [I.certify_positive, I.certify_nonzero])
def test_certificates_default_to_sixty_digits_and_restore_the_precision(certify):
    before = mpmath.iv.prec
    cert = certify(lambda iv, x: x, [1])
    assert cert.prec_bits == _bits_at(60) and cert.certified
    assert certify(lambda iv, x: x, [1], dps=30).prec_bits == _bits_at(30)
    assert mpmath.iv.prec == before


def test_an_enclosure_defaults_to_sixty_digits():
    assert I.enclose(lambda iv, x: x, [1])[1] == _bits_at(60)


@pytest.mark.parametrize("x,certified", [(Fraction(1, 2), True), (Fraction(1, 10**30), True), (0, False),
                                         (Fraction(-1, 2), False)])
def test_certify_positive_certifies_exactly_the_positive_rationals(x, certified):
    assert I.certify_positive(lambda iv, v: v, [x]).certified is certified


@pytest.mark.parametrize("x", [Fraction(1, 2), Fraction(-1, 2), Fraction(1, 10**30), 3])
def test_certify_nonzero_certifies_small_and_large_values_of_either_sign(x):
    assert I.certify_nonzero(lambda iv, v: v, [x]).certified is True
