"""Tests for theory.junike2025: the exact C08 counterexample to Santurkar et al. (2018), Lemma 4.5."""
import math
import random
from fractions import Fraction as F

import sympy as sp

from bnclaims import Context, Verdict
from bnclaims.theory import junike2025 as tj

X_ROWS = [(1, 0), (0, 1), (1, 1)]
Y = [6, 4, 9]


def _bn_loss_float(w, gamma=1.0, beta=0.0):
    v = [r[0] * w[0] + r[1] * w[1] for r in X_ROWS]
    mu = sum(v) / 3
    sd = math.sqrt(sum((t - mu) ** 2 for t in v) / 3)
    return 0.5 * sum((gamma * (t - mu) / sd + beta - yy) ** 2 for t, yy in zip(v, Y))


def test_standard_optimum_solves_the_normal_equations_exactly():
    X, y = tj.c08_data()
    Wstar, Lstar, H = tj.standard_optimum(X, y)
    W = [F(str(c)) for c in Wstar]
    assert W == [F(17, 3), F(11, 3)]
    grad = [sum(r[a] * (r[0] * W[0] + r[1] * W[1] - t) for r, t in zip(X_ROWS, Y)) for a in range(2)]
    assert grad == [0, 0]
    assert F(1, 2) * sum((r[0] * W[0] + r[1] * W[1] - t) ** 2 for r, t in zip(X_ROWS, Y)) == F(1, 6)
    assert Lstar == sp.Rational(1, 6) and H == sp.Matrix([[2, 1], [1, 2]])


def test_fixed_gamma_bn_optimum_beats_every_sampled_direction():
    X, y = tj.c08_data()
    opt = tj.fixed_bn_optimum(X, y)
    assert list(opt["u"]) == [5, 3]
    assert sp.simplify(opt["min"] - (68 - sp.sqrt(38))) == 0
    best = 68 - math.sqrt(38)
    assert abs(_bn_loss_float((5.0, 3.0)) - best) < 1e-12
    assert abs(_bn_loss_float((50.0, 30.0)) - best) < 1e-12  # scale invariance
    rng = random.Random(0)
    for _ in range(2000):
        th = rng.uniform(0, 2 * math.pi)
        assert _bn_loss_float((math.cos(th), math.sin(th))) >= best - 1e-12


def test_trainable_bn_optimum_has_zero_loss_on_the_line_through_5_3():
    X, y = tj.c08_data()
    tr = tj.trainable_bn_optimum(X, y)
    g = math.sqrt(38) / 3
    assert _bn_loss_float((5.0, 3.0), g, 19 / 3) < 1e-24
    assert _bn_loss_float((-5.0, -3.0), -g, 19 / 3) < 1e-24
    # profile at W* = (17, 11)/3: least squares in (gamma, beta) on the normalized batch, in floats
    v = [r[0] * 17 + r[1] * 11 for r in X_ROWS]
    mu = sum(v) / 3
    sd = math.sqrt(sum((t - mu) ** 2 for t in v) / 3)
    yh = [(t - mu) / sd for t in v]
    gam = sum(a * b for a, b in zip(yh, Y)) / 3
    best = _bn_loss_float((17.0, 11.0), gam, sum(Y) / 3)
    assert abs(float(tr["profile"].subs({tj.W1: 17, tj.W2: 11})) - best) < 1e-12
    assert best > 0.01


def test_distance_sides_match_a_brute_force_minimization_over_t():
    def dist2(W0, u):
        return min((W0[0] - t * u[0]) ** 2 + (W0[1] - t * u[1]) ** 2 for t in [k / 10000 for k in range(1, 30000)])
    assert abs(dist2((17 / 3, 11 / 3), (5, 3)) - 8 / 153) < 1e-6
    assert abs(dist2((6, 4), (5, 3)) - 2 / 17) < 1e-6
    rhs = tj.lemma45_rhs(sp.Matrix([6, 4]), sp.Matrix([sp.Rational(17, 3), sp.Rational(11, 3)]))
    assert rhs == sp.Rational(2, 205)


def test_exact_refutation_reports_both_initializations_and_both_optimum_sets():
    out = tj.refute_lemma45_exact(Context(preset="quick"))
    assert out.verdict is Verdict.REFUTED
    rows = {tuple(r["W0"]): r for r in out.evidence["cases"]}
    assert rows[("17/3", "11/3")]["rhs"] == "0" and rows[("17/3", "11/3")]["lhs_trainable"] == "8/153"
    assert rows[("6", "4")]["lhs_fixed_gamma1_beta0"] == "2/17" and rows[("6", "4")]["rhs"] == "2/205"
    g = [float(sp.sympify(v)) for v in out.evidence["grad_fixed_at_W_star"]]
    h = 1e-6
    fd = [(_bn_loss_float((17 / 3 + h, 11 / 3)) - _bn_loss_float((17 / 3 - h, 11 / 3))) / (2 * h),
          (_bn_loss_float((17 / 3, 11 / 3 + h)) - _bn_loss_float((17 / 3, 11 / 3 - h))) / (2 * h)]
    assert all(abs(a - b) < 1e-6 for a, b in zip(g, fd))
    assert out.steps and all(isinstance(s, tuple) and len(s) == 2 for s in out.steps)
