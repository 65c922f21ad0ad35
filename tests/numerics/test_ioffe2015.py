"""Tests for numerics/ioffe2015.py (staged backprop and the vanishing dL/dmu term at 60 digits)."""
from fractions import Fraction

from bnclaims import Context, Verdict
from numerics import ioffe2015 as N


def test_staged_backprop_holds_and_sign_twin_is_refuted_and_certified():
    assert N.check_backprop(Context(preset="quick")).verdict is Verdict.HOLDS
    out = N.check_backprop(Context(preset="quick"), sigma2_coeff=Fraction(1, 2))
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]


def test_on_batch_backprop_holds_on_a_large_mean_batch():
    out = N.on_batch_backprop([10**8, 10**8 + 1, 10**8 + 3], Fraction(1, 10**5), 2, [1, 2, -3], Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS
