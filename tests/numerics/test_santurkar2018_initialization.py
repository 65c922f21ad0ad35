"""Tests for numerics.santurkar2018_initialization: Obs. 4.3 and Lemma 4.5 (RHS) at high precision."""
import math
import random
from fractions import Fraction as F

import mpmath
import numpy as np

from bnclaims import Context, Verdict
from bnclaims.numerics import santurkar2018_initialization as nsi
from bnclaims.numerics.junike2025_search import random_problem

CTX = Context(preset="quick")


def test_reparametrization_holds_on_hard_batches_at_60_digits():
    out = nsi.check_reparametrization(CTX)
    assert out.verdict is Verdict.HOLDS and out.evidence["cases"] >= 20
    assert mpmath.mpf(out.evidence["max_rel_error"]) < mpmath.mpf(10) ** -50


def test_reparametrization_twin_is_refuted_by_a_small_shrunk_batch_that_really_fails():
    out = nsi.check_reparametrization_twin(CTX)
    assert out.verdict is Verdict.REFUTED
    sh = out.evidence["counterexample"]
    y, eps = [F(v) for v in sh["y"]], F(sh["eps"])
    assert len(y) <= 8
    mu = sum(y) / len(y)
    var = sum((v - mu) ** 2 for v in y) / len(y)
    s = math.sqrt(var + eps)
    z = [float(var + eps) * float(v - mu) / s + float(mu) for v in y]
    assert max(abs(a - float(b)) for a, b in zip(z, y)) > 1e-6
    assert out.evidence["certificate"]["certified"]


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
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]
    W0 = [F(v) for v in out.evidence["counterexample"]["W0"]]
    Ws = [F(v) for v in out.evidence["counterexample"]["W_star"]]
    d2 = sum((a - b) ** 2 for a, b in zip(W0, Ws))
    n2 = sum(b * b for b in Ws)
    ip = sum(a * b for a, b in zip(W0, Ws))
    assert d2 - (n2 - ip) / n2 != sum(a * a for a in W0) - ip * ip / n2


def test_bn_gradient_at_reparametrized_standard_minimum_is_nonzero_and_dbeta_is_the_residual_sum():
    out = nsi.refute_minima_are_critical(CTX)
    assert out.verdict is Verdict.REFUTED and out.evidence["certified"] == out.evidence["problems"]
    assert mpmath.mpf(out.evidence["max_rel_error"]) < mpmath.mpf(10) ** -40
    p = random_problem(random.Random(4), d_range=(1, 3))
    X = np.array([[float(v) for v in r] for r in p.X])
    y = np.array([float(v) for v in p.y])
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    with mpmath.workdps(60):
        closed = nsi._beta_gradient(mpmath.mp, [[mpmath.mpf(v.numerator) / v.denominator for v in r] for r in p.X],
                                    [mpmath.mpf(v.numerator) / v.denominator for v in p.y])
    assert abs(float(closed) - float(np.sum(X @ w - y))) < 1e-9 and abs(float(closed)) > 1e-6


def test_refutation_counts_only_problems_with_certified_full_rank_and_agreeing_closed_form():
    out = nsi.refute_minima_are_critical(CTX)
    ev = out.evidence
    assert ev["full_rank_certified"] == ev["closed_form_agrees"] == ev["certified"] == ev["problems"]
    ex = ev["counterexample"]
    assert ex["pivots_positive_certified"] and all(F(p) > 0 for p in ex["pivots_exact"])
    # exact dbeta = sum_i (x_i^T W* - y_i) with W* from the exact normal equations (Cramer, d <= 3)
    X = [[F(v) for v in r] for r in ex["problem"]["X"]]
    y = [F(v) for v in ex["problem"]["y"]]
    d = len(X[0])
    G = [[sum(r[a] * r[b] for r in X) for b in range(d)] for a in range(d)]
    rhs = [sum(r[a] * t for r, t in zip(X, y)) for a in range(d)]
    W = _cramer(G, rhs)
    exact = sum(sum(r[k] * W[k] for k in range(d)) - t for r, t in zip(X, y))
    assert str(exact) == ex["dbeta_exact_rational"]
    assert abs(float(ex["gradient_numerical"][-1]) - float(exact)) < 1e-12


def _cramer(G, b):
    def det(m):
        if len(m) == 1:
            return m[0][0]
        return sum((-1) ** j * m[0][j] * det([r[:j] + r[j + 1:] for r in m[1:]]) for j in range(len(m)))
    D = det(G)
    return [det([r[:j] + [bi] + r[j + 1:] for r, bi in zip(G, b)]) / D for j in range(len(b))]


def test_rank_deficient_designs_or_a_disagreeing_closed_form_cannot_give_refuted(monkeypatch):
    from bnclaims.numerics.junike2025_search import Problem

    def duplicated_column(rng, d_range):
        p = random_problem(rng, d_range=(1, 1))
        return Problem(X=tuple((r[0], r[0]) for r in p.X), y=p.y)
    monkeypatch.setattr(nsi, "random_problem", duplicated_column)
    out = nsi.refute_minima_are_critical(CTX)
    assert out.verdict is Verdict.INCONCLUSIVE and out.evidence["full_rank_certified"] == 0
    monkeypatch.undo()
    from bnclaims.tolerances import TOLERANCES
    monkeypatch.setitem(TOLERANCES, "mp.diff_rel", 0.0)
    out = nsi.refute_minima_are_critical(CTX)
    assert out.verdict is Verdict.INCONCLUSIVE and out.evidence["closed_form_agrees"] == 0


def test_the_bn_loss_at_gamma_sigma_beta_mu_is_the_standard_loss():
    """Obs. 4.3: with gamma = sigma(Xw), beta = mu(Xw) (eps = 0) BN returns Xw itself, so the BN loss at
    (w, sigma, mu) is the standard least-squares loss 1/2 ||Xw - y||^2, for any w with Xw non-constant."""
    X = [[1, 0], [0, 1], [1, 1], [2, -1]]
    y = [mpmath.mpf(v) for v in (0, 1, 2, -1)]
    with mpmath.workdps(60):
        for w in ([mpmath.mpf(1), mpmath.mpf(2)], [mpmath.mpf(-3) / 2, mpmath.mpf(1) / 3]):
            v = [sum(r[k] * w[k] for k in range(2)) for r in X]
            mu = mpmath.fsum(v) / len(v)
            sigma = mpmath.sqrt(mpmath.fsum([(a - mu) ** 2 for a in v]) / len(v))
            standard = mpmath.fsum([(a - t) ** 2 for a, t in zip(v, y)]) / 2
            assert abs(nsi._bn_loss(mpmath.mp, X, y, w + [sigma, mu]) - standard) < mpmath.mpf(10) ** -55


def test_one_certified_problem_is_enough_to_refute(monkeypatch):
    """The docstring: a problem counts towards REFUTED when its three conditions hold; one such problem
    refutes "every minimum is critical" even when every other draw is outside the hypothesis."""
    from bnclaims.numerics.junike2025_search import Problem
    calls = []

    def one_full_rank_problem(rng, d_range):
        p = random_problem(rng, d_range=(1, 1))
        calls.append(p)
        return p if len(calls) == 1 else Problem(X=tuple((r[0], r[0]) for r in p.X), y=p.y)
    monkeypatch.setattr(nsi, "random_problem", one_full_rank_problem)
    out = nsi.refute_minima_are_critical(CTX)
    assert out.evidence["full_rank_certified"] == out.evidence["certified"] == 1
    assert out.verdict is Verdict.REFUTED
