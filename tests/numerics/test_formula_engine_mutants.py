"""Tests for numerics/formula_engine.py that kill mutants the mutation tier found surviving (mutation/).

The magnitude the engine attaches to a value (the scale of the terms that may cancel in it, which
sets the tolerance of an equality) bounds the value itself: for z = gamma yhat + beta 1 it is
|gamma| max|yhat| + |beta| >= max|z_i|.
"""
from fractions import Fraction as F

import mpmath
import pytest
import sympy as sp

from bnclaims.formula import FormulaClaim, bn
from bnclaims.numerics import formula_engine as N
from bnclaims.numerics import strategies


def case(y, gamma, beta):
    m = len(y)
    base = strategies.BNCase(tuple(map(F, y)), tuple([F(0)] * m), F(gamma), F(beta), F(0), "generic")
    return N.FormulaCase(base, tuple([F(0)] * m), 0, tuple(tuple([F(0)] * m) for _ in range(m)), ())


@pytest.mark.parametrize("y,gamma,beta", [((0, 0, 0, 4), 3, 0), ((0, 0, 0, 4), -3, 2), ((1, 2), F(1, 2), -5)])
def test_the_magnitude_of_z_bounds_every_entry_of_z(y, gamma, beta):
    claim = FormulaClaim("z", sp.Eq(bn.z, bn.gamma * bn.yhat + bn.beta * bn.ones, evaluate=False), [])
    with mpmath.workdps(30):
        lhs, _ = N.sides(claim, mpmath.mp, case(y, gamma, beta))
        assert lhs.mag >= max(abs(v) for v in lhs.val)
        mu = mpmath.mpf(sum(y)) / len(y)
        s = mpmath.sqrt(mpmath.fsum((v - mu) ** 2 for v in y) / len(y))
        assert lhs.mag == pytest.approx(abs(gamma) * max(abs(v - mu) for v in y) / s + abs(beta))


def test_a_case_shows_the_index_of_e_i_counted_from_one():
    assert case((0, 1, 3), 1, 0).describe(frozenset({"e"}))["i"] == 1
    c = N.FormulaCase(case((0, 1, 3), 1, 0).base, (F(0),) * 3, 2, ((F(0),) * 3,) * 3, ())
    assert c.describe(frozenset({"e"}))["i"] == 3 and "i" not in c.describe(frozenset())


def _case_g(y, g, gamma, beta, eps):
    m = len(y)
    base = strategies.BNCase(tuple(map(F, y)), tuple(map(F, g)), F(gamma), F(beta), F(eps), "generic")
    return N.FormulaCase(base, tuple([F(0)] * m), 0, tuple(tuple([F(0)] * m) for _ in range(m)), ())


@pytest.mark.parametrize("y,g,gamma,eps", [((1, 2, 4), (1, -2, F(1, 3)), F(3, 2), F(1, 10)),
                                           ((-3, 0, 5, 7), (2, 0, -1, 1), -2, 0)])
def test_the_staged_partials_at_the_numerics_level_equal_ioffe_and_szegedys_closed_forms(y, g, gamma, eps):
    """dL/dsigma^2 = sum_i g_i gamma (y_i - mu) (-1/2) s^-3 and dL/dmu = -gamma/s sum_i g_i + dL/dsigma^2 *
    (-2/m) sum_i (y_i - mu) (Ioffe & Szegedy 2015, Sec. 3), evaluated exactly in sympy."""
    ys, gs, ga, ep = ([sp.Rational(v) for v in y], [sp.Rational(v) for v in g], sp.Rational(gamma), sp.Rational(eps))
    m = len(ys)
    mu = sum(ys) / m
    s = sp.sqrt(sum((v - mu) ** 2 for v in ys) / m + ep)
    d_sigma2 = sum(gi * ga * (v - mu) for v, gi in zip(ys, gs)) * sp.Rational(-1, 2) * s ** -3
    d_mu = -ga / s * sum(gs) + d_sigma2 * sp.Rational(-2, m) * sum(v - mu for v in ys)
    for x, exact in ((bn.sigma2, d_sigma2), (bn.mu, d_mu)):
        claim = FormulaClaim("partial", sp.Eq(bn.dL(x), 0), [])
        with mpmath.workdps(50):
            lhs, _ = N.sides(claim, mpmath.mp, _case_g(y, g, gamma, 0, eps))
            assert abs(lhs.val - mpmath.mpf(str(sp.N(exact, 60)))) <= mpmath.mpf(10) ** -45 * (1 + abs(lhs.val)), x
