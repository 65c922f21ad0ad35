"""Tests for numerics.santurkar2018_initialization: Obs. 4.3 and Lemma 4.5 (RHS) at high precision."""
import math
import random
from fractions import Fraction as F

import mpmath
import numpy as np

from bnclaims import Context, Verdict
from numerics import santurkar2018_initialization as nsi
from numerics.junike2025_search import random_problem

CTX = Context(preset="quick")


def test_reparametrization_holds_on_hard_batches_at_60_digits():
    out = nsi.check_reparametrization(CTX)
    assert out.verdict is Verdict.HOLDS and out.evidence["cases"] >= 20
    assert mpmath.mpf(out.evidence["max_rel_error"]) < mpmath.mpf(10) ** -50


def test_reparametrization_twin_is_refuted_by_a_small_shrunk_batch_that_really_fails():
    out = nsi.check_reparametrization_twin(CTX)
    assert out.verdict is Verdict.REFUTED
    sh = out.evidence["shrunk"]
    y, eps = [F(v) for v in sh["y"]], F(sh["eps"])
    assert len(y) <= 8
    mu = sum(y) / len(y)
    var = sum((v - mu) ** 2 for v in y) / len(y)
    s = math.sqrt(var + eps)
    z = [float(var + eps) * float(v - mu) / s + float(mu) for v in y]
    assert max(abs(a - float(b)) for a, b in zip(z, y)) > 1e-6
    assert out.evidence["certificate_sum_sq_residual"]["certified"]


def test_qr_distance_reference_matches_numpy_projection():
    rng = np.random.default_rng(2)
    for d in range(2, 7):
        W0, Ws = rng.standard_normal(d), rng.standard_normal(d)
        foot = W0 - (W0 @ Ws) / (Ws @ Ws) * Ws
        with mpmath.workdps(60):
            ref = nsi._qr_dist2([mpmath.mpf(float(v)) for v in W0], [mpmath.mpf(float(v)) for v in Ws])
        assert abs(float(ref) - float(foot @ foot)) < 1e-12


def test_rhs_is_distance_holds_and_its_twin_is_refuted_with_a_certified_small_pair():
    assert nsi.check_rhs_is_distance(CTX).verdict is Verdict.HOLDS
    out = nsi.check_rhs_is_distance_twin(CTX)
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate_sq_gap"]["certified"]
    W0 = [F(v) for v in out.evidence["shrunk"]["W0"]]
    Ws = [F(v) for v in out.evidence["shrunk"]["W_star"]]
    d2 = sum((a - b) ** 2 for a, b in zip(W0, Ws))
    n2 = sum(b * b for b in Ws)
    ip = sum(a * b for a, b in zip(W0, Ws))
    assert d2 - (n2 - ip) / n2 != sum(a * a for a in W0) - ip * ip / n2


def test_bn_gradient_at_reparametrized_standard_minimum_is_nonzero_and_dbeta_is_the_residual_sum():
    out = nsi.refute_minima_are_critical(CTX)
    assert out.verdict is Verdict.REFUTED and out.evidence["certified"] == out.evidence["problems"]
    assert mpmath.mpf(out.evidence["max_rel_error_numerical_vs_closed_dbeta"]) < mpmath.mpf(10) ** -40
    p = random_problem(random.Random(4), d_range=(1, 3))
    X = np.array([[float(v) for v in r] for r in p.X])
    y = np.array([float(v) for v in p.y])
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    with mpmath.workdps(60):
        closed = nsi._beta_gradient(mpmath.mp, [[mpmath.mpf(v.numerator) / v.denominator for v in r] for r in p.X],
                                    [mpmath.mpf(v.numerator) / v.denominator for v in p.y])
    assert abs(float(closed) - float(np.sum(X @ w - y))) < 1e-9 and abs(float(closed)) > 1e-6
