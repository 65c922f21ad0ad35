"""Tests for numerics.junike2025_search: searching for violations of Santurkar et al. (2018), Lemma 4.5."""
import math
import random
from dataclasses import replace
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest

from bnclaims import Context, Verdict
from bnclaims.errors import BadInput
from bnclaims.tolerances import mp_rel_tol
from bnclaims.numerics import junike2025_search as njs

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


@pytest.fixture(scope="module")
def quick_search():
    return njs.search_lemma45_violations(Context(preset="quick"))


def test_search_finds_certified_violations_shrinks_one_and_the_bias_control_has_none(quick_search):
    out = quick_search
    assert out.verdict is Verdict.REFUTED
    ev = out.evidence
    head = ev["failure_rate"]["trainable@W0=W*"]
    assert 0 < head["certified_violations"] <= head["problems"]
    assert ev["with_bias_control"]["violations"] == 0 and ev["with_bias_control"]["cases"] > 0
    sh = ev["counterexample"]
    p = njs.Problem(tuple(tuple(F(v) for v in r) for r in sh["problem"]["X"]), tuple(F(v) for v in sh["problem"]["y"]))
    ex = njs.evaluate(p, kind="exact", at_wstar=True)
    assert ex["wellposed"] and ex["lhs_line"] > ex["rhs"] and p.d == 2
    assert all(abs(v) <= 9 for r in p.X for v in r)
    assert ex["lhs_line"] - ex["rhs"] == F(sh["lhs_trainable_exact"]) - F(sh["rhs_exact"])


# --- the distribution is a parameter ---------------------------------------------------------------

def _sampler_before_the_distribution_was_a_parameter(rng, d_range=(1, 5)):
    """The sampler as it was hard-coded (pinned: the default law must draw exactly this)."""
    d = rng.randint(*d_range)
    m = rng.randint(d + 2, 3 * d + 8)
    X = tuple(tuple(njs._dec(rng, 1.0) for _ in range(d)) for _ in range(m))
    a = [njs._dec(rng, 1.0) for _ in range(d)]
    b = F(rng.choice((-1, 1)) * rng.randint(500, 3000), 1000)
    y = tuple(sum((xi * ai for xi, ai in zip(row, a)), F(0)) + b + njs._dec(rng, 0.3) for row in X)
    return njs.Problem(X=X, y=y, W0=tuple(njs._dec(rng, 1.0) for _ in range(d)))


def test_the_default_distribution_draws_exactly_what_the_registered_claim_always_drew():
    r1, r2 = random.Random(8), random.Random(8)
    for _ in range(30):
        assert njs.random_problem(r1) == _sampler_before_the_distribution_was_a_parameter(r2)
    assert njs.random_problem(random.Random(2), d_range=(2, 4)) == \
        _sampler_before_the_distribution_was_a_parameter(random.Random(2), (2, 4))


def test_d_range_m_rule_and_w0_law_are_respected_by_the_sampler():
    dist = njs.ProblemDistribution(d_range=(3, 4), m_min=(2, 0), m_max=(2, 1), w0="wstar")
    rng = random.Random(1)
    ds = set()
    for _ in range(40):
        p = njs.random_problem(rng, dist)
        ds.add(p.d)
        assert 2 * p.d <= p.m <= 2 * p.d + 1 and p.W0 is None
    assert ds == {3, 4}


def test_without_intercept_and_noise_w_star_equals_u_star_and_the_lemma_never_fails():
    """y = Xa exactly: the centered least squares returns a as well, so W* = u* and LHS = RHS."""
    dist = njs.ProblemDistribution(d_range=(1, 3), intercept=None, noise_sd=0.0)
    rng = random.Random(4)
    for _ in range(10):
        p = njs.random_problem(rng, dist)
        ex = njs.evaluate(p, kind="exact", orient=True)
        assert ex["W_star"] == ex["u_star"] and ex["lhs_line"] == ex["rhs"]
    rates = njs.failure_rate_by_d(dist, 6, random.Random(5))
    assert all(row[c]["failures"] == 0 for row in rates["by_d"].values() for c in ("trainable", "fixed_gamma1_beta0"))


def test_at_w0_equal_w_star_the_rate_is_0_at_d_1_and_1_at_d_2_and_up():
    """Why the pooled W0 = W* rate is the sampler's share of d >= 2: per d it is 0 or 1."""
    rates = njs.failure_rate_by_d(njs.ProblemDistribution(d_range=(1, 3), w0="wstar"), 8, random.Random(6))
    t = {d: row["trainable"] for d, row in rates["by_d"].items()}
    assert t["1"]["failures"] == 0 and t["1"]["holds"] == 8
    assert t["2"]["failures"] == t["3"]["failures"] == 8


def test_per_d_rates_carry_wilson_intervals_and_counts_that_add_up():
    dist = njs.ProblemDistribution(d_range=(1, 3))
    rates = njs.failure_rate_by_d(dist, 12, random.Random(7))
    assert list(rates["by_d"]) == ["1", "2", "3"] and rates["problems_per_d"] == 12
    assert "N(0, 1^2)" in rates["w0"]
    for row in rates["by_d"].values():
        assert row["drawn"] == 12 == row["ill_posed"] + row["wellposed"]
        for c in ("trainable", "fixed_gamma1_beta0"):
            t = row[c]
            assert t["failures"] + t["holds"] + t["undecided"] == row["wellposed"]
            assert t["decided"] == t["failures"] + t["holds"]
            assert t["wilson95"] == list(njs.wilson_interval(t["failures"], t["decided"]))
            assert t["wilson95"][0] <= t["fraction"] <= t["wilson95"][1]
    assert rates["by_d"]["1"]["trainable"]["failures"] == 0  # d = 1: W0 is a positive multiple of W*


def test_isotropic_w0_fails_half_the_time_because_a_reflection_swaps_the_two_sides():
    """The reflection across the bisector of W*/|W*| and u*/|u*| maps LHS (trainable) to RHS and back."""
    p = njs.random_problem(random.Random(9), d_range=(3, 3))
    dps = 50
    with mpmath.workdps(dps):
        r = njs.evaluate(p, dps=dps, at_wstar=True)
        w, u = r["W_star"], r["u_star"]
        v = [a / mpmath.sqrt(njs._dot(w, w)) - b / mpmath.sqrt(njs._dot(u, u)) for a, b in zip(w, u)]
        vv = njs._dot(v, v)
        for W0 in ([mpmath.mpf(1), mpmath.mpf(-2), mpmath.mpf("0.5")], [mpmath.mpf(3), mpmath.mpf(1), mpmath.mpf(2)]):
            RW0 = [a - 2 * njs._dot(v, W0) / vv * c for a, c in zip(W0, v)]
            t0, t1 = njs.lemma45_terms(W0, w, u), njs.lemma45_terms(RW0, w, u)
            assert abs(t1["lhs_line"] - t0["rhs"]) < mp_rel_tol(dps) * t0["w0_norm2"]
            assert abs(t1["rhs"] - t0["lhs_line"]) < mp_rel_tol(dps) * t0["w0_norm2"]


def test_both_sides_are_homogeneous_of_degree_two_in_w0_so_the_w0_scale_is_irrelevant():
    r = njs.evaluate(C08, kind="exact")
    t0 = njs.lemma45_terms([F(6), F(4)], r["W_star"], r["u_star"])
    t1 = njs.lemma45_terms([F(18, 7), F(12, 7)], r["W_star"], r["u_star"])
    assert all(t1[k] == F(9, 49) * t0[k] for k in ("rhs", "lhs_line", "lhs_ray"))


def test_the_scope_is_built_from_the_parameters_actually_used(quick_search):
    default = quick_search.scope
    assert "d in 1..5, m in d+2..3d+8" in default and "|b| in [0.5,3]" in default
    assert "seed 20251122" in default and "60 digits" in default and "10 problems for each d in 1..5" in default
    dist = njs.ProblemDistribution(d_range=(2, 3), m_min=(1, 3), m_max=(2, 4), intercept=(1.0, 2.0), noise_sd=0.1)
    out = njs.search_lemma45_violations(Context(preset="quick", seed=3, dps=55), dist)
    sc = out.scope
    assert out.verdict is Verdict.REFUTED and sc != default
    for text in ("d in 2..3, m in d+3..2d+4", "|b| in [1,2]", "e ~ N(0,0.1^2)", "seed 3", "55 digits",
                 "10 problems for each d in 2..3"):
        assert text in sc
    assert out.evidence["distribution"] == dist.describe()
    assert set(out.evidence["failure_rate_random_w0"]["by_d"]) == {"2", "3"}
    drawn = sc.split("drawn per d ")[1].split(")")[0]
    assert sum(int(part.split(": ")[1]) for part in drawn.split(", ")) == out.evidence["problems_drawn"]


def test_the_registered_search_reports_the_random_w0_rate_per_d_beside_an_unchanged_verdict(quick_search):
    ev = quick_search.evidence
    assert quick_search.verdict is Verdict.REFUTED
    per_d = ev["failure_rate_random_w0"]
    assert set(per_d["by_d"]) == {"1", "2", "3", "4", "5"}
    assert all(row["drawn"] == per_d["problems_per_d"] for row in per_d["by_d"].values())


@pytest.mark.parametrize("bad", [
    {"d_range": (0, 3)}, {"d_range": (3, 2)}, {"d_range": (1.5, 2)},
    {"m_min": (0, 1)}, {"m_min": (1, 0)}, {"m_min": (3, 8), "m_max": (1, 2)},
    {"x_sd": 0.0}, {"noise_sd": -1.0}, {"slope_sd": float("nan")}, {"w0_sd": float("inf")},
    {"intercept": (2.0, 1.0)}, {"intercept": (-1.0, 1.0)}, {"w0": "uniform"},
])
def test_nonsense_distribution_parameters_raise_bad_input(bad):
    with pytest.raises(BadInput):
        njs.ProblemDistribution(**bad)


def test_nonsense_search_requests_raise_bad_input():
    with pytest.raises(BadInput):
        njs.failure_rate_by_d(njs.LEMMA45_DISTRIBUTION, 0, random.Random(0))
    with pytest.raises(BadInput):
        njs.search_lemma45_violations(Context(preset="quick"), replace(njs.LEMMA45_DISTRIBUTION, w0="wstar"))


def test_a_rank_deficient_design_with_large_entries_is_not_well_posed_at_60_digits():
    """Second column = first / 3: X has rank 1, so W* is not unique (exact pivots: one is 0). With
    entries near 1e8 the 60-digit elimination leaves a rounding pivot of about 1e-46: positivity must be
    judged relative to the size of X (max|x|^2 = 1e16 here), so mp says "not well posed" like the exact run."""
    col = [F(112808332), F(207374479, 7), F(299615329, 7), F(775762534, 7)]
    p = njs.Problem(X=tuple((v, v / 3) for v in col), y=(F(1), F(-2), F(3), F(5)), W0=(F(1), F(1)))
    assert not njs.evaluate(p, kind="exact", at_wstar=True)["wellposed"]
    assert not njs.evaluate(p, kind="mp", at_wstar=True)["wellposed"]
    assert not njs.evaluate(p, kind="mp")["wellposed"]
