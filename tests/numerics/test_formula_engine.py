"""Tests for numerics/formula_engine.py: formula claims at 60 digits from the BN definition (jets), the
strategies' hypotheses, natural-scale errors, shrinking and interval certificates."""
from fractions import Fraction

import mpmath
import sympy as sp
from hypothesis import given, settings

from bnclaims import Context, Verdict
from bnclaims.formula import FormulaClaim, bn
from bnclaims.numerics import bn_mp, strategies
from bnclaims.numerics import formula_engine as N
from bnclaims.numerics.bn_jacobian import reference_grad
from bnclaims.numerics.inputs import to_mp

QUICK = Context(preset="quick")
a = sp.Symbol("a", real=True)
F = Fraction
HYP_CLAIM = FormulaClaim("unscaled eps", sp.Eq(bn.BN(a * bn.y), bn.BN(bn.y)),
                         [sp.Ge(bn.m, 3), sp.Gt(bn.eps, 0), sp.Gt(a, 0), sp.Eq(bn.gamma, 2)])


def case(y, g, gamma=1, eps=0, v=None, H=None, i=0, scalars=()):
    m = len(y)
    base = strategies.BNCase(tuple(map(F, y)), tuple(map(F, g)), F(gamma), F(0), F(eps), "generic")
    return N.FormulaCase(base, tuple(map(F, v or [0] * m)), i,
                         tuple(tuple(map(F, r)) for r in (H or [[0] * m] * m)), tuple(scalars))


@settings(max_examples=30, deadline=None)
@given(N.formula_cases(HYP_CLAIM, max_m=12))
def test_drawn_cases_honour_every_hypothesis(c):
    assert c.m >= 3 and c.base.eps > 0 and c.base.gamma == 2 and dict(c.scalars)[a] > 0


def test_gradient_side_matches_numerical_differentiation_of_the_definition():
    c = case((0, 1, 5, -2), (3, -1, 2, 7), gamma=2, eps=F(1, 10**5))
    with mpmath.workdps(60):
        lhs, _ = N.sides(FormulaClaim("grad", sp.Eq(bn.grad, 0)), mpmath.mp, c)
        ref = reference_grad(*(to_mp(list(x)) for x in (c.base.y, c.base.g)), mpmath.mpf(2), mpmath.mpf(1) / 10**5, 60)
        assert max(abs(u - w) for u, w in zip(lhs.val, ref)) < mpmath.mpf(10) ** -45


def test_hessian_form_matches_a_second_numerical_derivative_of_the_loss_of_the_definition():
    y, g, d, H = (0, 1, 3), (1, 2, 0), (1, 0, -1), [[1, 0, 2], [0, 3, 0], [2, 0, -1]]
    c = case(y, g, gamma=F(3, 2), eps=F(1, 3), v=d, H=H)
    with mpmath.workdps(60):
        got, _ = N.sides(FormulaClaim("hess", sp.Eq(bn.hess(bn.v), 0)), mpmath.mp, c)
        yy, gg, dd = (to_mp([F(x) for x in v]) for v in (y, g, d))
        z0 = bn_mp.bn_forward(mpmath.mp, yy, mpmath.mpf(3) / 2, 0, mpmath.mpf(1) / 3)

        def loss(t):
            dz = [a_ - b_ for a_, b_ in zip(bn_mp.bn_forward(mpmath.mp, [p + t * q for p, q in zip(yy, dd)],
                                                              mpmath.mpf(3) / 2, 0, mpmath.mpf(1) / 3), z0)]
            return bn_mp.dot(mpmath.mp, gg, dz) + sum(H[i][j] * dz[i] * dz[j] for i in range(3) for j in range(3)) / 2
        with mpmath.workdps(90):
            want = mpmath.diff(loss, 0, 2)
        assert abs(got.val - want) < mpmath.mpf(10) ** -45


def test_both_sides_zero_is_judged_on_the_natural_scale_even_for_huge_batches():
    ones_perp = FormulaClaim("J maps into 1-perp", sp.Eq(bn.sum(bn.J(bn.v)), 0))
    c = case((10**30, 10**30 + 1, 10**30 + 3), (0, 0, 0), eps=F(1, 10**5), v=(1, -2, 5))
    err, _ = N._error(ones_perp, c, 60)
    assert err < mpmath.mpf(10) ** -50
    out = N.check(ones_perp, QUICK)
    assert out.verdict is Verdict.HOLDS and mpmath.mpf(out.evidence["max_rel_error"]) < mpmath.mpf(10) ** -50


def test_a_refutation_is_shrunk_and_certified_by_an_interval_on_the_violating_side():
    out = N.check(HYP_CLAIM, QUICK)
    assert out.verdict is Verdict.REFUTED and out.evidence["hypotheses_hold"]
    cert, cex = out.evidence["certificate"], out.evidence["counterexample"]
    assert cert["certified"] is True and cex["m"] >= 3 and cex["gamma"] == "2" and cex["a"] != "1"
    lo, hi = (mpmath.mpf(x) for x in cert["interval"])
    assert lo > 0 or hi < 0


def test_a_strict_inequality_met_with_equality_cannot_be_certified_and_is_inconclusive():
    out = N.check(FormulaClaim("strict", sp.Lt(bn.norm2(bn.yhat), bn.m), [sp.Eq(bn.eps, 0)]), QUICK)
    assert out.verdict is Verdict.INCONCLUSIVE and out.evidence["certificate"]["certified"] is False


def test_negative_scale_factor_refutes_scale_invariance_numerically():
    out = N.check(FormulaClaim("scale", sp.Eq(bn.BN(a * bn.y), bn.BN(bn.y, eps=bn.eps / a**2)), [sp.Ne(a, 0)]), QUICK)
    assert out.verdict is Verdict.REFUTED and F(out.evidence["counterexample"]["a"]) < 0


def test_residual_is_signed_so_that_a_violation_is_positive_for_every_relation():
    """At y = (0, 1, 2), eps = 0: ||yhat||^2 = m = 3 exactly, so lhs - rhs = 3 - c."""
    c = case((0, 1, 2), (1, 0, 0))
    want = {"==": [2], "<=": [2], ">=": [-2]}          # against c = 1: only ">=" holds
    with mpmath.workdps(60):
        for op, rel in (("==", sp.Eq), ("<=", sp.Le), (">=", sp.Ge)):
            got = N.residual(FormulaClaim(op, rel(bn.norm2(bn.yhat), 1)), mpmath.mp, c)
            assert [mpmath.nint(x) for x in got] == want[op] and all(abs(x - mpmath.nint(x)) < 1e-50 for x in got)


def test_a_zero_right_side_of_a_vector_relation_is_compared_with_every_component():
    """z - gamma yhat - beta = 0 (a vector against the scalar 0): one residual per unit, all zero; with
    beta + 1 subtracted, each is -1."""
    c = case((0, 1, 5, -2), (3, -1, 2, 7), gamma=2)
    with mpmath.workdps(60):
        for shift, want in ((0, 0), (1, -1)):
            lhs = bn.z - bn.gamma * bn.yhat - (bn.beta + shift) * bn.ones
            got = N.residual(FormulaClaim("shift", sp.Eq(lhs, 0, evaluate=False)), mpmath.mp, c)
            assert len(got) == 4 and all(abs(x - want) < 1e-50 for x in got)


def test_the_jacobian_scale_is_the_documented_one():
    """|gamma|/s (1 + max|yhat|)^2 at y = (0, 1, 5, -2), gamma = 2, eps = 0: mu = 1, s^2 = 13/2, max|yhat| = 4/s."""
    c = case((0, 1, 5, -2), (3, -1, 2, 7), gamma=2)
    with mpmath.workdps(60):
        s = mpmath.sqrt(mpmath.mpf(13) / 2)
        assert abs(N._Env(mpmath.mp, c).k_jac() - 2 / s * (1 + 4 / s) ** 2) < 1e-55


@settings(max_examples=20, deadline=None)
@given(N._vector(5), N._vector(8), N._vector(9))
def test_small_batches_are_small_integers_and_larger_ones_gaussian(v5, v8, v9):
    assert all(x.denominator == 1 and -8 <= x <= 8 for x in v5 + v8)
    assert len(v9) == 9 and any(x.denominator != 1 for x in v9)
