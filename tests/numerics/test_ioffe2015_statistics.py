"""Tests of numerics/ioffe2015_statistics.py (C12, C13, C14)."""
from fractions import Fraction
from itertools import product

import mpmath
import pytest

from bnclaims import Context, Verdict
from bnclaims.numerics import ioffe2015_statistics as n

CTX = Context(preset="quick")


def test_enumerated_moments_match_brute_force_over_all_batches():
    d = n.Dist((Fraction(-1), Fraction(2), Fraction(7)), (1, 2, 5), 3)
    tot = sum(d.weights)
    e1 = Fraction(0)
    for b in product(range(3), repeat=3):
        p = Fraction(1)
        for k in b:
            p *= Fraction(d.weights[k], tot)
        ys = [d.atoms[k] for k in b]
        mb = sum(ys) / 3
        e1 += p * sum((y - mb) ** 2 for y in ys) / 3
    with mpmath.workdps(60):
        got, _, var = n.batch_variance_moments(mpmath.mp, d)
        assert abs(got - mpmath.mpf(e1.numerator) / e1.denominator) < mpmath.mpf(10) ** -55
        assert abs(got - var * Fraction(2, 3).numerator / 3) < mpmath.mpf(10) ** -55


def test_finite_population_formula_matches_every_subset_enumeration():
    out = n.finite_population_enumeration()
    assert out["all_match"]
    row = next(r for r in out["rows"] if r["m"] == 3 and len(r["population"]) == 6)
    assert row["E_sigma_B2"] == row["(m-1)/m n/(n-1) s_n^2"] != row["(m-1)/m s_n^2"]


def test_unbiased_check_holds_and_twin_is_refuted_with_a_shrunk_certified_counterexample():
    assert n.check_unbiased_population_variance(CTX).verdict is Verdict.HOLDS
    twin = n.check_unbiased_population_variance(CTX, coeff=n.twin_unbiased_coeff)
    assert twin.verdict is Verdict.REFUTED
    assert twin.evidence["counterexample"]["m"] <= 6 and twin.evidence["certificate"]["certified"]


def test_monte_carlo_ema_of_biased_variance_sits_at_seven_eighths_sigma2():
    mc = n.monte_carlo_ema(CTX)
    assert mc["max_abs_z"] < 5.0
    twin = n.monte_carlo_ema(CTX, limit_coeff=n.twin_unbiased_coeff)
    assert twin["max_abs_z"] > 5.0


def test_ema_errors_vanish_for_the_claim_and_not_for_the_twin():
    e = n.EmaCase(n.Dist((Fraction(0), Fraction(1)), (1, 1), 2), Fraction(9, 10), 5, Fraction(0))
    with mpmath.workdps(60):
        assert max(abs(x) for x in n.ema_errors(mpmath.mp, e)) < mpmath.mpf(10) ** -50
        assert abs(n.ema_errors(mpmath.mp, e, n.twin_unbiased_coeff)[0]) > 0.01


def test_inference_affine_on_a_user_batch_holds_and_the_sign_twin_is_refuted():
    out = n.on_batch_inference_affine([1, 2, 4], Fraction(1, 100000), 2, None, CTX)
    assert out.verdict is Verdict.HOLDS
    assert n.check_inference_affine(CTX, sign=1).verdict is Verdict.REFUTED


def test_torch_rule_and_keras_rule_coincide_only_under_the_one_minus_p_mapping():
    d = n.Dist((Fraction(0), Fraction(1)), (1, 1), 2)
    with mpmath.workdps(60):
        for p in (Fraction(1, 10), Fraction(1, 1000), Fraction(3, 10)):
            e = n.EmaCase(d, Fraction(9, 10), 7, Fraction(2), p)
            assert abs(n.ema_errors(mpmath.mp, e)[2]) < mpmath.mpf(10) ** -55
            twin = n.ema_errors(mpmath.mp, e, torch_to_keras=n.twin_keras_momentum)[2]
            # independent exact run of the documented rules: torch with p, Keras with c = p
            rt = rk = Fraction(2)
            ev = Fraction(1, 8)  # E sigma_B^2 = (1/2) (1/4) for m = 2 on {0, 1}
            for k in range(8):
                v = ev * ((k + 1) % 3) / 2
                rt, rk = (1 - p) * rt + p * v, p * rk + (1 - p) * v
            scale = 2 + Fraction(1, 4) + ev  # |r0| + sigma^2 + E v
            want = (rt - rk) / scale
            assert abs(twin - mpmath.mpf(want.numerator) / want.denominator) < mpmath.mpf(10) ** -50
            assert want != 0


def test_wrong_momentum_mapping_twin_is_refuted_with_a_shrunk_certified_counterexample():
    out = n.check_running_average(CTX, torch_to_keras=n.twin_keras_momentum)
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]
    ce = out.evidence["counterexample"]
    assert ce["m"] <= 6 and ce["torch_momentum"] != "1/2"  # p = 1/2 is the one point where c = p is right
    limit_twin = n.check_running_average(CTX, limit_coeff=n.twin_unbiased_coeff)
    assert limit_twin.verdict is Verdict.REFUTED and limit_twin.evidence["certificate"]["certified"]


def test_the_inference_kappa_is_one_plus_the_affine_terms_over_the_output_and_at_least_one():
    """y = (-1, -1, -1, -1, 1), gamma = 1, beta = 0: E[x] = -3/5, so the affine form adds terms of size
    max(|x|, |E x|)/s = 1/s to an output of size max|x - E x|/s = (8/5)/s: kappa = 1 + 5/8 = 13/8.
    A condition number never lets the allowed error fall below mp_rel_tol (here 5/8 < 1 would)."""
    out = n.on_batch_inference_affine([-1, -1, -1, -1, 1], 0, 1, None, CTX)
    assert out.verdict is Verdict.HOLDS
    assert mpmath.mpf(out.evidence["kappa"]) == mpmath.mpf(13) / 8


@pytest.mark.parametrize("y,eps,gamma", [([0, 1, 3], 0, 0), ([2, 2, 2], Fraction(1, 10**5), 1)])
def test_inference_bn_with_an_all_zero_output_holds_with_kappa_one(y, eps, gamma):
    """gamma = 0, or a constant batch with eps > 0 (beta = 0): both sides are exactly 0, so the claim
    holds with error 0 and the output-relative kappa has no output to be relative to (kappa = 1)."""
    out = n.on_batch_inference_affine(y, eps, gamma, None, CTX)
    assert out.verdict is Verdict.HOLDS and mpmath.mpf(out.evidence["rel_error"]) == 0
    assert mpmath.mpf(out.evidence["kappa"]) == 1
