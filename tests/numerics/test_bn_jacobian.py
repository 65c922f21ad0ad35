"""Tests for numerics/bn_jacobian.py (Fact C.1 and the Jacobian spectrum at 60 digits)."""
from fractions import Fraction

import mpmath
import pytest

from bnclaims import BadInput, Context, Verdict
from numerics import bn_jacobian as N
from numerics.inputs import to_mp


def test_projection_gradient_matches_numerical_differentiation_at_sixty_digits():
    with mpmath.workdps(60):
        y, g = to_mp([Fraction(v) for v in (0, 1, 5, -2)]), to_mp([Fraction(v) for v in (3, -1, 2, 7)])
        a = N.projection_grad(mpmath.mp, y, g, mpmath.mpf(2), mpmath.mpf(1) / 100000)
        b = N.reference_grad(y, g, mpmath.mpf(2), mpmath.mpf(1) / 100000, 60)
        assert max(abs(u - v) for u, v in zip(a, b)) < mpmath.mpf(10) ** -45


def test_spectrum_check_holds_and_twin_is_refuted_with_certificate():
    assert N.check_spectrum(Context(preset="quick")).verdict is Verdict.HOLDS
    out = N.check_spectrum(Context(preset="quick"), sigma_power=2)
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]


def test_on_batch_spectrum_rejects_positive_eps():
    with pytest.raises(BadInput):
        N.on_batch_spectrum([0, 1, 2], Fraction(1, 10), 1, None, Context(preset="quick"))
