"""Tests of numerics/scale_invariance.py (C09, C10, C11)."""
from fractions import Fraction

import mpmath
import pytest

from bnclaims import BadInput, Context, Verdict
from bnclaims.numerics import scale_invariance as n
from bnclaims.numerics.bn_mp import bn_forward
from bnclaims.numerics.inputs import default_upstream
from bnclaims.numerics.search import run_property
from bnclaims.numerics.strategies import BNCase

CTX = Context(preset="quick")


def _case(y, a, g=None, eps=0, gamma=1):
    y = tuple(Fraction(v) for v in y)
    g = tuple(Fraction(v) for v in (g or [1] + [0] * (len(y) - 1)))
    return n.ScaleCase(BNCase(y, g, Fraction(gamma), Fraction(0), Fraction(eps), "t"), Fraction(a), g)


def test_dual_numbers_give_the_directional_derivative_of_mp_diff():
    y, u = [mpmath.mpf(v) for v in (0, 1, 3, -2)], [mpmath.mpf(v) for v in (1, 0, 2, 5)]
    with mpmath.workdps(60):
        z = n.bn_dual(mpmath.mp, y, u, 2, 1, 0)
        for j in range(4):
            ref = mpmath.diff(lambda t: bn_forward(mpmath.mp, [a + t * b for a, b in zip(y, u)], 2, 1, 0)[j], 0)
            assert abs(z[j].d - ref) < mpmath.mpf(10) ** -40


def test_invariance_pair_agrees_for_huge_and_tiny_negative_scales():
    for a in (Fraction(-10**30), Fraction(1, 10**30)):
        with mpmath.workdps(60):
            lhs, rhs, _ = n.lhs_rhs_invariance(mpmath.mp, _case([0, 1, 3], a))
            assert max(abs(p - q) for p, q in zip(lhs, rhs)) < mpmath.mpf(10) ** -50


def test_every_check_holds_and_every_twin_is_refuted_with_a_certified_shrunk_case():
    pairs = [(n.check_invariance, n.lhs_rhs_invariance_twin), (n.check_invariance_with_eps, n.lhs_rhs_with_eps_twin),
             (n.check_decoupling, n.lhs_rhs_decoupling_twin)]
    for check, twin in pairs:
        assert check(CTX).verdict is Verdict.HOLDS
        out = check(CTX, pair=twin)
        assert out.verdict is Verdict.REFUTED and out.evidence["shrunk"] and out.evidence["certificate"]["certified"]


def test_seed_decoupling_formula_is_refuted_at_y_0_1():
    out = n.on_batch_decoupling_seed([0, 1], 0, 1, None, CTX)
    assert out.verdict is Verdict.REFUTED
    assert n.on_batch_decoupling_exact([0, 1], 0, 1, None, CTX).verdict is Verdict.HOLDS


def test_gradient_scaling_holds_on_a_user_batch_and_eps_is_rejected():
    assert n.on_batch_grad([0, 1, 3, 7], 0, -2, [1, -1, 2, 0], CTX).verdict is Verdict.HOLDS
    with pytest.raises(BadInput):
        n.on_batch_grad([0, 1, 3], Fraction(1, 100000), 1, None, CTX)
    with pytest.raises(BadInput):
        n.on_batch_invariance([0, 1, 3], 1, 1, None, CTX)


def test_a_planted_non_orthogonal_gradient_is_certified_on_the_second_component():
    # eps = 1 breaks <grad, w> = 0: d/dt z(y + t y) = gamma eps (y - mu)/s^3, so with g = e1,
    # y = (0, 1, 3): <grad, y> = (y_1 - mu) eps / s^3 = -36 / (23 sqrt 23); a = 1 makes component 0 exact
    case = _case([0, 1, 3], 1, g=[1, 0, 0], eps=1)
    err, ok, j = n._compare(n.lhs_rhs_grad, case, 60)
    assert not ok and j == 1
    cert = n._certify(n.lhs_rhs_grad, case, j, 60)
    assert cert["certified"]
    lo, hi = (mpmath.mpf(v) for v in cert["interval"])
    exact = -36 / (23 * mpmath.sqrt(23))
    assert abs(lo - exact) < 1e-15 and abs(hi - exact) < 1e-15
    with mpmath.workdps(60):  # the same pair at eps = 0 is orthogonal
        lhs, rhs = n.lhs_rhs_grad(mpmath.mp, _case([0, 1, 3], 1, g=[1, 0, 0]))[:2]
        assert abs(lhs[1] - rhs[1]) < mpmath.mpf(10) ** -50


def test_property_check_refutes_a_planted_eps_violation_through_the_certificate():
    from bnclaims.numerics.scale_invariance import scale_cases
    strat = scale_cases(eps_values=(Fraction(1),), signs=(1,), max_m=8)
    out = n.property_check(CTX, n.lhs_rhs_grad, strat, "planted", "planted eps = 1", strat)
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]


def test_a_user_batch_without_upstream_gets_the_default_upstream_not_ones():
    """With g = 1 the BN gradient <1, z> is constant and every gradient check would hold for any formula."""
    y = [Fraction(1), Fraction(2), Fraction(4)]
    case = n._user_case(y, 0, 1, None, Fraction(1000), True, "scale.grad_orthogonal")
    assert list(case.bn.g) == default_upstream(y) and any(case.bn.g) and len(set(case.bn.g)) > 1


def test_kappa_is_one_plus_the_largest_magnitude_over_the_biased_standard_deviation():
    """The docstring's condition number 1 + max|y_i|/sigma, sigma^2 the biased (1/m) variance, by hand:
    y = (-1, 1): sigma = 1, kappa = 2; y = (0, 0, 0, 4): mu = 1, sigma^2 = 12/4 = 3, kappa = 1 + 4/sqrt(3);
    a constant batch has kappa 1."""
    with mpmath.workdps(60):
        assert n._kappa(mpmath.mp, [mpmath.mpf(-1), mpmath.mpf(1)]) == 2
        kappa = n._kappa(mpmath.mp, [mpmath.mpf(v) for v in (0, 0, 0, 4)])
        assert abs(kappa - (1 + 4 / mpmath.sqrt(3))) < mpmath.mpf(10) ** -55
        assert n._kappa(mpmath.mp, [mpmath.mpf(5)] * 3) == 1


def test_the_user_invariance_check_runs_at_the_two_documented_scales():
    """on_batch_invariance is documented for a = 1000 and a = -1/1000; each run's evidence records its a."""
    out = n.on_batch_invariance([0, 1, 3], 0, 1, None, CTX)
    assert out.verdict is Verdict.HOLDS
    assert out.evidence["a=1000"]["case"]["a"] == "1000"
    assert out.evidence["a=-1/1000"]["case"]["a"] == "-1/1000"


def test_the_default_scale_draws_are_plus_or_minus_a_magnitude_times_one_to_two():
    """scale_cases' docstring: a in +-{1e-30, ..., 1e30} x [1, 2), both signs by default: every drawn a
    lies in [mag, 2 mag) for one magnitude, up to its sign, and both signs occur."""
    seen = []
    run_property(n.scale_cases(max_m=8), lambda c: (seen.append(c.a), (0, True))[1], max_examples=60, seed=5)
    assert len(seen) == 60 and {a > 0 for a in seen} == {True, False}
    for a in seen:
        assert any(mag <= abs(a) < 2 * mag for mag in n.A_MAGNITUDES), a


def test_the_property_check_runs_the_documented_number_of_cases_per_preset():
    """12, 120 or 400 cases at the quick, default and thorough presets (the docstring); a pair that always
    agrees makes the cases free."""
    def agree(M, c):
        return [M.mpf(1)], [M.mpf(1)], M.mpf(1)
    got = {p: n.property_check(Context(preset=p), agree, n.scale_cases(max_m=4), "cases", "cases").evidence["cases"]
           for p in ("quick", "default")}
    assert got == {"quick": 12, "default": 120}
    assert "12, 120 or 400 hypothesis cases" in " ".join(n.property_check.__doc__.split())
