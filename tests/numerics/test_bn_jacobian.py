"""Tests for numerics/bn_jacobian.py (dual numbers, Fact C.1 and the Jacobian spectrum at 60+ digits)."""
from fractions import Fraction

import mpmath
import pytest
from mpmath import iv

from bnclaims import BadInput, Context, Verdict
from bnclaims.numerics import bn_jacobian as N
from bnclaims.numerics import intervals
from bnclaims.numerics.inputs import to_mp

HUGE_MEANS = [10**40, 10**60]


def test_hyper_dual_jet_gives_exact_first_and_second_derivatives_of_sqrt_over_square():
    # f(t) = sqrt(4 + t) / (1 + t)^2: f(0) = 2, f'(0) = 1/4 - 4 = -15/4, f''(0) = -1/32 - 1 + 12 = 351/32
    with mpmath.workdps(60):
        J = N.JetContext(mpmath.mp, 2)
        t = J.path([mpmath.mpf(0)], [1])[0]
        f = J.sqrt(t + 4) / (1 + t) ** 2
        assert f.c[0] == 2 and f.c[1] == mpmath.mpf(-15) / 4
        assert abs(2 * f.c[2] - mpmath.mpf(351) / 32) < mpmath.mpf(10) ** -58
    J = N.JetContext(iv, 2)
    f = J.sqrt(J.path([iv.mpf(0)], [1])[0] + 4) / (1 + J.path([iv.mpf(0)], [1])[0]) ** 2
    assert mpmath.mpf(351) / 32 in 2 * f.c[2]


def test_dual_number_gradient_matches_numerical_differentiation_and_projection_form():
    with mpmath.workdps(60):
        y, g = to_mp([Fraction(v) for v in (0, 1, 5, -2)]), to_mp([Fraction(v) for v in (3, -1, 2, 7)])
        ga, e = mpmath.mpf(2), mpmath.mpf(1) / 100000
        a = N.def_grad(mpmath.mp, y, g, ga, e)
        b = N.reference_grad(y, g, ga, e, 60)
        c = N.projection_grad(mpmath.mp, y, g, ga, e)
        assert max(abs(u - v) for u, v in zip(a, b)) < mpmath.mpf(10) ** -45
        assert max(abs(u - v) for u, v in zip(a, c)) < mpmath.mpf(10) ** -55


def test_interval_jacobian_encloses_hand_derived_entries():
    # m = 2: BN(y) = (-1, 1) or (1, -1) for every non-constant batch, so dz/dy = 0
    cols = intervals.enclose(lambda M, y: N.def_jacobian(M, y, M.mpf(1), M.mpf(0)), [[-1, 1]])[0]
    assert all(0 in x for col in cols for x in col)
    # y = (0, 0, 3): mu = 1, sigma^2 = 2, yhat = (-1, -1, 2)/sqrt(2); dz_1/dy_2 = -(1/3 + yhat_1 yhat_2/3)/sigma
    cols = intervals.enclose(lambda M, y: N.def_jacobian(M, y, M.mpf(1), M.mpf(0)), [[0, 0, 3]])[0]
    with mpmath.workdps(60):
        exact = -mpmath.mpf(1) / 2 / mpmath.sqrt(2)
        assert exact in cols[1][0] and cols[1][0].delta < mpmath.mpf(10) ** -55


def test_working_precision_grows_with_the_mean_over_sigma():
    y = [10**40, 10**40 + 1, 10**40 + 3]
    assert N.work_dps(y, 0, 60) >= 60 + 80 and N.work_dps([0, 1, 3], 0, 60) <= 60 + 25


@pytest.mark.parametrize("mean", HUGE_MEANS)
def test_on_batch_projection_and_spectrum_hold_at_huge_mean(mean):
    y = [mean, mean + 1, mean + 3]
    for fn in (N.on_batch_projection, N.on_batch_spectrum):
        out = fn(y, 0, 1, [1, 0, 0], Context(preset="quick"))
        assert out.verdict is Verdict.HOLDS, out.evidence
        assert mpmath.mpf(out.evidence["rel_error"]) < mpmath.mpf(10) ** -50


@pytest.mark.parametrize("mean", [0] + HUGE_MEANS)
def test_user_check_refutes_sign_flipped_projection_with_certificate_at_any_mean(mean):
    def error(y, g, ga, e):
        grad = N.def_grad(mpmath.mp, y, g, ga, e)
        return N._projection_err(y, g, ga, e, grad, 1), {}
    out = N.user_check([mean, mean + 1, mean + 3], 0, 1, [1, 0, 0], Context(preset="quick"),
                       error=error, certify=N._projection_cert(1))
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]


def test_projection_form_checks_component_along_yhat_for_positive_eps():
    with mpmath.workdps(60):
        y, g = to_mp([Fraction(-1), Fraction(1)]), to_mp([Fraction(1), Fraction(0)])
        grad = N.def_grad(mpmath.mp, y, g, mpmath.mpf(1), mpmath.mpf(1))
        d, sm, along = N._projection_residuals(mpmath.mp, y, g, mpmath.mpf(1), mpmath.mpf(1), grad, -1)
        # s^2 = 2, yhat = (-1, 1)/sqrt(2), <g,yhat> = -1/sqrt(2): <grad, yhat> = eps <g,yhat>/s^3 = -1/4
        assert abs(mpmath.fsum([a * b for a, b in zip(grad, (-1 / mpmath.sqrt(2), 1 / mpmath.sqrt(2)))]) + 0.25) < 1e-50
        assert abs(along) < mpmath.mpf(10) ** -55 and abs(sm) < mpmath.mpf(10) ** -55


def test_spectrum_check_holds_and_twin_is_refuted_with_certificate():
    assert N.check_spectrum(Context(preset="quick")).verdict is Verdict.HOLDS
    out = N.check_spectrum(Context(preset="quick"), sigma_power=2)
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]


def test_near_identity_counterexample_has_gamma_one_and_a_nonzero_singular_value_outside_band():
    out = N.check_near_identity(Context(preset="quick"))
    cex = out.evidence["counterexample"]
    assert out.verdict is Verdict.REFUTED and cex["gamma"] == "1" and cex["eps"] == "0"
    y = [Fraction(v) for v in cex["y"]]
    mu = sum(y) / len(y)
    inv_sigma2 = len(y) / sum((v - mu) ** 2 for v in y)    # the nonzero singular value squared, exactly
    assert not (Fraction(1, 4) <= inv_sigma2 <= 4)


def test_near_identity_with_a_band_containing_every_tried_value_is_not_refuted():
    out = N.check_near_identity(Context(preset="quick"), band=(Fraction(1, 10**40), Fraction(10**40)))
    assert out.verdict is Verdict.HOLDS


def test_on_batch_spectrum_rejects_positive_eps():
    with pytest.raises(BadInput):
        N.on_batch_spectrum([0, 1, 2], Fraction(1, 10), 1, None, Context(preset="quick"))


def test_the_spectrum_certificate_is_refused_for_the_true_spectrum():
    """The certificate of a wrong spectrum must not certify the right one: both invariants,
    sum sv^2 = ||J||_F^2 and sum sv^4 = ||J^T J||_F^2, vanish for |gamma|/sigma (m - 2 times)."""
    true_cert, twin_cert = N._spectrum_cert(1), N._spectrum_cert(2)
    for y, gamma in (([-2, 0, 2], Fraction(3, 2)), ([0, 1, 3, 7], Fraction(-1, 3)), ([1, 2, 4, 8, 16], 1)):
        args = [[Fraction(v) for v in y], [Fraction(0)] * len(y), Fraction(gamma), Fraction(0)]
        assert not true_cert(args, 60).certified, y
        assert twin_cert(args, 60).certified, y


def test_the_spectrum_error_of_a_two_value_batch_is_relative_to_gamma_over_sigma():
    """At m = 2 every singular value is 0; rounding noise of 1e-300 values is noise, not a violation."""
    out = N.on_batch_spectrum([Fraction(1, 10**300), Fraction(2, 10**300)], 0, 1, None, Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS, out.evidence


def test_the_default_upstream_is_nonzero_and_outside_span_of_ones_and_yhat():
    for y in ([1, 2, 4], [5, 1, 1], [0, 0, 3], [-1, 0, 0, 1], [3, 1, 4, 1, 5]):
        y = [Fraction(v) for v in y]
        g = N.user_fr(y, 0, 1, None)[1]
        mu = sum(y) / len(y)
        d = [v - mu for v in y]
        p = [gi - sum(g) / len(g) for gi in g]          # g without its component along 1
        assert any(p[i] * d[j] != p[j] * d[i] for i in range(len(y)) for j in range(len(y))), (y, g)
        assert sum(gi * di for gi, di in zip(g, d)) != 0, (y, g)   # <g, yhat> != 0


def test_the_projection_check_on_a_batch_with_the_default_upstream_refutes_the_sign_flipped_twin():
    def error(y, g, ga, e):
        return N._projection_err(y, g, ga, e, N.def_grad(mpmath.mp, y, g, ga, e), 1), {}
    for y in ([1, 2, 4], [5, 1, 1]):
        out = N.user_check(y, 0, 1, None, Context(preset="quick"), error=error, certify=N._projection_cert(1))
        assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"], (y, out.evidence)
        assert N.on_batch_projection(y, 0, 1, None, Context(preset="quick")).verdict is Verdict.HOLDS


def test_the_spectrum_error_is_relative_to_the_largest_singular_value_or_the_scale():
    """Hand values: |3 - 2| over the largest of the singular values, the claimed ones and the scale;
    the all-zero spectrum of an m = 2 batch with no scale is an error of 0, not 0/0."""
    mpf = mpmath.mpf
    with mpmath.workdps(30):
        assert N._spectrum_err([mpf(0), mpf(0), mpf(3)], [mpf(0), mpf(0), mpf(2)]) == mpf(1) / 3
        assert N._spectrum_err([mpf(0), mpf(0), mpf(3)], [mpf(0), mpf(0), mpf(2)], mpf(4)) == mpf(1) / 4
        assert N._spectrum_err([mpf(0), mpf(0), mpf(3)], [mpf(0), mpf(0), mpf(6)]) == mpf(1) / 2
        assert N._spectrum_err([mpf(0), mpf(0)], [mpf(0), mpf(0)]) == 0


def test_the_spectrum_check_on_a_batch_with_a_huge_gamma_holds():
    """gamma = 1e40 scales every singular value to about 8e39 (|gamma|/sigma, sigma^2 = 14/9): the
    rounding noise at 60+ digits is about 1e-43 in absolute terms but 1e-83 relative, so the true
    spectrum must hold; an absolute error would call it a violation."""
    out = N.on_batch_spectrum([0, 1, 3], 0, 10**40, None, Context(preset="quick"))
    assert out.verdict is Verdict.HOLDS, out.evidence
    assert mpmath.mpf(out.evidence["rel_error"]) < mpmath.mpf(10) ** -50


def test_the_property_check_runs_the_documented_number_of_cases_per_preset():
    """12 and 25 cases at the quick and default presets unless a check asks otherwise (the docstring)."""
    got = {p: N.property_check(Context(preset=p), name="zero", error=lambda c: mpmath.mpf(0), certify=None,
                               max_m=(4, 4)).evidence["cases"] for p in ("quick", "default")}
    assert got == {"quick": 12, "default": 25}
    assert "(12 and 25\n    cases by default" in N.property_check.__doc__


def test_the_rayleigh_certificate_is_refused_inside_the_band_and_given_outside():
    """At gamma = 1, eps = 0 every nonzero singular value of J is 1/sigma: y = (-1, 0, 1) has 1/sigma =
    sqrt(3/2), inside [1/2, 2], so neither side may be certified; y/8 has 8 sqrt(3/2), above the band."""
    inside, _ = N._rayleigh_cert([Fraction(-1), Fraction(0), Fraction(1)], Fraction(1, 2), Fraction(2), 60)
    assert not inside.certified
    above, how = N._rayleigh_cert([Fraction(-1, 8), Fraction(0), Fraction(1, 8)], Fraction(1, 2), Fraction(2), 60)
    assert above.certified and how["side"] == "above band"
