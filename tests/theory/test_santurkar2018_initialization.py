"""Tests for theory.santurkar2018_initialization: Obs. 4.3 and Lemma 4.5 (RHS) of Santurkar et al. (2018)."""
import math
from fractions import Fraction as F

import sympy as sp

from bnclaims import Context, Verdict
from bnclaims.theory import santurkar2018_initialization as tsi

CTX = Context(preset="quick")


def _bn(y, gamma, beta, eps):
    m = len(y)
    mu = sum(y) / m
    s = math.sqrt(sum((v - mu) ** 2 for v in y) / m + eps)
    return [gamma * (v - mu) / s + beta for v in y]


def test_reparametrization_is_proved_for_symbolic_m_and_reproduces_a_concrete_batch():
    out = tsi.check_reparametrization(CTX)
    assert out.verdict is Verdict.PROVED and "symbolic m" in out.scope
    assert out.exprs["residual"] == 0
    y, eps = [0.5, 2.0, -3.0, 7.25], 0.3
    mu = sum(y) / 4
    s = math.sqrt(sum((v - mu) ** 2 for v in y) / 4 + eps)
    assert max(abs(a - b) for a, b in zip(_bn(y, s, mu, eps), y)) < 1e-12


def test_reparametrization_twin_gamma_sigma_squared_is_refuted_by_a_real_counterexample():
    out = tsi.check_reparametrization_twin(CTX)
    assert out.verdict is Verdict.REFUTED
    ce = out.evidence["counterexample"]
    y = [float(v) for v in ce["y"]]
    mu = sum(y) / len(y)
    var = sum((v - mu) ** 2 for v in y) / len(y)
    z = _bn(y, var + ce["eps"], mu, ce["eps"])
    assert max(abs(a - b) for a, b in zip(z, y)) > 1e-3
    assert all(abs(float(sp.sympify(a)) - b) < 1e-12 for a, b in zip(ce["z"], z))


def test_minimum_of_standard_loss_is_not_critical_for_bn_loss_finite_differences_agree():
    out = tsi.refute_minima_are_critical(CTX)
    assert out.verdict is Verdict.REFUTED
    X, Y = [(1, 0), (0, 1), (1, 1)], [6, 4, 9]
    W = [F(17, 3), F(11, 3)]
    resid = [r[0] * W[0] + r[1] * W[1] - t for r, t in zip(X, Y)]
    assert str(sum(resid)) == out.evidence["gradient"][3] == "-1/3"  # dLhat/dbeta = sum of residuals

    def loss(th):
        v = [r[0] * th[0] + r[1] * th[1] for r in X]
        return 0.5 * sum((a - b) ** 2 for a, b in zip(_bn(v, th[2], th[3], 0.0), Y))

    th0 = [17 / 3, 11 / 3, math.sqrt(446) / 9, 56 / 9]
    assert abs(loss(th0) - 1 / 6) < 1e-12
    h = 1e-6
    for k, exact in enumerate(out.evidence["gradient"]):
        up, dn = list(th0), list(th0)
        up[k] += h
        dn[k] -= h
        assert abs((loss(up) - loss(dn)) / (2 * h) - float(sp.sympify(exact))) < 1e-6


def test_rhs_equals_distance_at_exact_rational_vectors_in_three_dimensions():
    out = tsi.check_rhs_is_distance(CTX)
    assert out.verdict is Verdict.PROVED and out.exprs["rhs_minus_dist2"] == 0
    W0, Ws = [F(3), F(-1), F(2, 7)], [F(1, 2), F(5), F(-4)]
    d2 = sum((a - b) ** 2 for a, b in zip(W0, Ws))
    n2 = sum(b * b for b in Ws)
    ip = sum(a * b for a, b in zip(W0, Ws))
    t = ip / n2
    foot = sum((a - t * b) ** 2 for a, b in zip(W0, Ws))  # residual of the orthogonal projection
    assert sum((a - t * b) * b for a, b in zip(W0, Ws)) == 0
    assert tsi.rhs_lemma45(d2, n2, ip) == foot


def test_rhs_twin_without_the_square_is_refuted_with_an_exact_pair():
    out = tsi.check_rhs_is_distance_twin(CTX)
    assert out.verdict is Verdict.REFUTED
    ce = out.evidence["counterexample"]
    W0, Ws = [F(v) for v in ce["W0"]], [F(v) for v in ce["W_star"]]
    assert sum(a * b for a, b in zip(W0, Ws)) > 0
    d2 = sum((a - b) ** 2 for a, b in zip(W0, Ws))
    n2 = sum(b * b for b in Ws)
    ip = sum(a * b for a, b in zip(W0, Ws))
    assert d2 - (n2 - ip) / n2 != sum(a * a for a in W0) - ip * ip / n2
