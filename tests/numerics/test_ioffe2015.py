"""Tests for numerics/ioffe2015.py (staged backprop and the vanishing dL/dmu term at 60+ digits)."""
from fractions import Fraction

import mpmath
import pytest

from bnclaims import Context, Verdict
from bnclaims.numerics import intervals
from bnclaims.numerics import ioffe2015 as N


def test_staged_backprop_holds_and_sign_twin_is_refuted_and_certified():
    assert N.check_backprop(Context(preset="quick")).verdict is Verdict.HOLDS
    out = N.check_backprop(Context(preset="quick"), sigma2_coeff=Fraction(1, 2))
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]


def test_on_batch_backprop_holds_on_a_large_mean_batch():
    out = N.on_batch_backprop([10**8, 10**8 + 1, 10**8 + 3], Fraction(1, 10**5), 2, [1, 2, -3], Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS


@pytest.mark.parametrize("mean", [10**40, 10**60])
def test_on_batch_backprop_holds_at_huge_mean_with_eps_zero(mean):
    out = N.on_batch_backprop([mean, mean + 1, mean + 3], 0, 1, [1, 0, 0], Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS and mpmath.mpf(out.evidence["rel_error"]) < mpmath.mpf(10) ** -50


def test_whole_dmu_product_is_enclosed_exactly_at_a_rational_batch():
    # y = (0, 0, 0, 1), g = e_4, gamma = 1, eps = 0, power 2: mu = 1/4, s = sqrt(3)/4,
    # dL/dsigma^2 = -(3/4)/(2 s^3) = -8/sqrt(3), (1/m) sum -2 (y - mu)^2 = -3/8: product sqrt(3)
    val, _ = intervals.enclose(lambda M, y, g, ga, e: N.dmu_second_term(M, y, g, ga, e, 2)[0],
                               [[0, 0, 0, 1], [0, 0, 0, 1], 1, 0])
    with mpmath.workdps(60):
        assert mpmath.sqrt(3) in val and val.delta < mpmath.mpf(10) ** -55


def test_vanishing_term_holds_and_squared_twin_is_refuted_where_dl_dsigma2_is_nonzero():
    assert N.check_vanishing_term(Context(preset="quick")).verdict is Verdict.HOLDS
    out = N.check_vanishing_term(Context(preset="quick"), power=2)
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]
    cex = out.evidence["counterexample"]
    y, g = [Fraction(v) for v in cex["y"]], [Fraction(v) for v in cex["g"]]
    mu = sum(y) / len(y)
    assert Fraction(cex["gamma"]) * sum(gi * (v - mu) for gi, v in zip(g, y)) != 0   # dL/dsigma^2 != 0, exactly
    assert sum((v - mu) ** 2 for v in y) != 0
