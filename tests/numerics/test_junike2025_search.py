"""Tests for numerics.junike2025_search: searching for violations of Santurkar et al. (2018), Lemma 4.5."""
import math
import random
from fractions import Fraction as F

import numpy as np

from bnclaims import Context, Verdict
from numerics import junike2025_search as njs

C08 = njs.Problem(X=((F(1), F(0)), (F(0), F(1)), (F(1), F(1))), y=(F(6), F(4), F(9)), W0=(F(6), F(4)))


def _fixed_bn_loss(X, y, w):
    v = X @ w
    c = v - v.mean()
    return 0.5 * float(np.sum((c / np.sqrt(np.mean(c ** 2)) - y) ** 2))


def test_exact_sides_on_the_catalog_example_are_8_153_and_2_205_vs_2_17():
    at_star = njs.evaluate(C08, kind="exact", at_wstar=True)
    assert at_star["W_star"] == [F(17, 3), F(11, 3)] and at_star["u_star"] == [5, 3]
    assert (at_star["rhs"], at_star["lhs_line"], at_star["lhs_ray"]) == (0, F(8, 153), F(8, 153))
    at_64 = njs.evaluate(C08, kind="exact")
    assert (at_64["rhs"], at_64["lhs_line"]) == (F(2, 205), F(2, 17))


def test_optimum_directions_agree_with_numpy_least_squares_on_random_problems():
    rng = random.Random(3)
    for _ in range(20):
        p = njs.random_problem(rng)
        X = np.array([[float(v) for v in r] for r in p.X])
        y = np.array([float(v) for v in p.y])
        r = njs.evaluate(p, kind="mp")
        w_np = np.linalg.lstsq(X, y, rcond=None)[0]
        u_np = np.linalg.lstsq(np.hstack([X, np.ones((p.m, 1))]), y, rcond=None)[0][:-1]
        assert np.allclose([float(v) for v in r["W_star"]], w_np, atol=1e-8)
        assert np.allclose([float(v) for v in r["u_star"]], u_np, atol=1e-8)
        wb = njs.evaluate(p, kind="mp", bias=True)["W_star"]
        assert np.allclose([float(v) for v in wb], u_np, atol=1e-8)


def test_u_star_minimizes_the_fixed_gamma_bn_loss_against_perturbed_directions():
    rng = random.Random(5)
    nprng = np.random.default_rng(5)
    for _ in range(10):
        p = njs.random_problem(rng, d_range=(2, 4))
        X = np.array([[float(v) for v in r] for r in p.X])
        y = np.array([float(v) for v in p.y])
        u = np.array([float(v) for v in njs.evaluate(p, kind="mp")["u_star"]])
        best = _fixed_bn_loss(X, y, u)
        assert abs(_fixed_bn_loss(X, y, 7.5 * u) - best) < 1e-9
        for _ in range(50):
            assert _fixed_bn_loss(X, y, u + 0.3 * np.linalg.norm(u) * nprng.standard_normal(p.d)) >= best - 1e-9
        assert _fixed_bn_loss(X, y, -u) > best


def test_with_a_bias_the_lemma_holds_with_equality_in_exact_arithmetic():
    rng = random.Random(11)
    for _ in range(15):
        p = njs.random_problem(rng)
        r = njs.evaluate(p, kind="exact", bias=True, at_wstar=True)
        assert r["wellposed"] and r["lhs_line"] == r["rhs"] == 0


def test_interval_certificate_confirms_the_catalog_violation_and_rejects_a_nonviolation():
    cert = njs.certify_violation(C08, sides=("lhs_line", "lhs_ray"))
    assert cert["lhs_line"]["certified"] and cert["lhs_ray"]["certified"]
    assert abs(float(cert["lhs_line"]["interval"][0]) - (2 / 17 - 2 / 205)) < 1e-15
    no = njs.certify_violation(C08, bias=True, at_wstar=True)
    assert not no["lhs_line"]["certified"]


def test_wilson_interval_contains_the_observed_fraction_and_is_correct_at_a_known_point():
    lo, hi = njs.wilson_interval(30, 100)
    assert lo < 0.3 < hi
    assert math.isclose(lo, 0.2189, abs_tol=1e-4) and math.isclose(hi, 0.3958, abs_tol=1e-4)


def test_search_finds_certified_violations_shrinks_one_and_the_bias_control_has_none():
    out = njs.search_lemma45_violations(Context(preset="quick"))
    assert out.verdict is Verdict.REFUTED
    ev = out.evidence
    head = ev["failure_rate"]["trainable@W0=W*"]
    assert 0 < head["certified_violations"] <= head["problems"]
    assert ev["with_bias_control"]["violations"] == 0 and ev["with_bias_control"]["cases"] > 0
    sh = ev["shrunk_counterexample"]
    p = njs.Problem(tuple(tuple(F(v) for v in r) for r in sh["problem"]["X"]), tuple(F(v) for v in sh["problem"]["y"]))
    ex = njs.evaluate(p, kind="exact", at_wstar=True)
    assert ex["wellposed"] and ex["lhs_line"] > ex["rhs"] and p.d == 2
    assert all(abs(v) <= 9 for r in p.X for v in r)
    assert ex["lhs_line"] - ex["rhs"] == F(sh["lhs_trainable_exact"]) - F(sh["rhs_exact"])
