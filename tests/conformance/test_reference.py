"""Tests for conformance.reference (the mpmath reference BN with explicit conventions)."""
from fractions import Fraction

import mpmath

from bnclaims.conformance.reference import (Conventions, TORCH, ref_backward, ref_batch_stats, ref_forward_eval,
                                   ref_forward_train, ref_running_update)
from bnclaims.numerics.bn_mp import mp_gradient


def test_forward_train_equals_exact_rational_evaluation_for_a_square_variance():
    # y = (0, 2): mu = 1, var = 1; with eps = 3, s = 2 exactly, so yhat = (-1/2, 1/2)
    z = ref_forward_train([0, 2], 3, 1, 3)
    assert z == [mpmath.mpf(-1) / 2 * 3 + 1, mpmath.mpf(1) / 2 * 3 + 1]


def test_eps_outside_the_root_differs_from_inside_by_the_exact_amount():
    inside = ref_forward_train([0, 2], 1, 0, 3)[1]
    outside = ref_forward_train([0, 2], 1, 0, 3, Conventions(eps_placement="outside"))[1]
    assert inside == mpmath.mpf(1) / 2 and outside == mpmath.mpf(1) / 4


def test_running_update_stores_unbiased_variance_in_torch_convention():
    rm, rv = ref_running_update(0, 1, [0, 2], Fraction(1, 10))
    with mpmath.workdps(60):
        assert abs(rm - mpmath.mpf(1) / 10) < mpmath.mpf(10) ** -50
        assert abs(rv - mpmath.mpf(11) / 10) < mpmath.mpf(10) ** -50
    _, rv_b = ref_running_update(0, 1, [0, 2], Fraction(9, 10), Conventions(running_correction=0,
                                                                            momentum_convention="keras"))
    assert abs(rv_b - 1) < mpmath.mpf(10) ** -50  # 0.9*1 + 0.1*1 with the biased variance 1


def test_eval_uses_the_stored_statistics():
    assert ref_forward_eval([5], 1, 3, 2, 1, 1) == [mpmath.mpf(5)]


def test_closed_form_backward_equals_high_precision_numerical_gradient():
    y, g = [1, -2, 4, 0.5], [0.3, -1, 2, 1]
    dy, dgamma, dbeta = ref_backward(y, g, 1.5, Fraction(1, 100))

    def loss(yy):
        mu, var = ref_batch_stats(yy, 0)
        s = mpmath.sqrt(var + mpmath.mpf(1) / 100)
        return mpmath.fsum([gi * (1.5 * (v - mu) / s) for gi, v in zip(g, yy)])

    num = mp_gradient(loss, [mpmath.mpf(v) for v in y], 60)
    assert max(abs(a - b) for a, b in zip(dy, num)) < mpmath.mpf(10) ** -40
    with mpmath.workdps(60):
        assert dbeta == mpmath.fsum([mpmath.mpf(v) for v in g])
    assert TORCH.running_correction == 1
