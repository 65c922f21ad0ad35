"""Tests for numerics/cai2019_bngd.py (Cai, Li, Shen 2019: kappa*, BNGD simulation)."""
from fractions import Fraction

import numpy as np
import pytest

from bnclaims import Context, Verdict
from bnclaims.numerics import cai2019_bngd as n


def test_cayley_construction_gives_an_exact_matrix_with_the_prescribed_spectrum():
    h = n.rational_spd([Fraction(1), Fraction(1, 10**6), Fraction(1, 3)], [1, -2, 3])
    ev = np.linalg.eigvalsh(np.array([[float(v) for v in r] for r in h]))
    assert np.allclose(sorted(ev), [1e-6, 1 / 3, 1], rtol=1e-9)
    assert all(h[i][j] == h[j][i] for i in range(3) for j in range(3))


def test_kappa_star_never_exceeds_kappa_and_update_twin_is_refuted():
    assert n.check_condition_number(Context(preset="quick")).verdict is Verdict.HOLDS
    out = n.check_condition_number(Context(preset="quick"), sign=1)
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]


def test_bngd_converges_above_the_gd_limit_where_gd_diverges():
    inst = n.ols_instance(6, 100.0, 3)
    run = n.bngd_run(inst, np.array([10.0, 100.0]) * 2 / inst["lmax"], 1.0, 60000)
    assert np.all(run["excess_f64"] < 1e-10)
    assert n._gd_diverges_certified(inst, 10.0, 60)["certified"]


def test_bngd_claim_holds_and_wrong_a_rate_twin_is_certified_divergent():
    assert n.check_bngd_any_lr(Context(preset="quick")).verdict is Verdict.HOLDS
    out = n.check_bngd_any_lr(Context(preset="quick"), eps_a=2.5)
    assert out.verdict is Verdict.REFUTED and out.evidence["certificate"]["certified"]


def _rq(mat, v):
    return sum(v[i] * mat[i][j] * v[j] for i in range(len(v)) for j in range(len(v))) / sum(x * x for x in v)


def test_certificate_projects_y_onto_u_perp_so_a_kernel_component_cannot_fake_a_violation():
    # H = diag(1, 10), u = (1, 1): H* = (10/11) [[1, -1], [-1, 1]], kernel span(u), kappa* = 1 < 10
    h = n.rational_spd([Fraction(1), Fraction(10)], [0])
    assert h == [[1, 0], [0, 10]]
    u = [Fraction(1), Fraction(1)]
    hstar = [[Fraction(10, 11), Fraction(-10, 11)], [Fraction(-10, 11), Fraction(10, 11)]]
    x = [Fraction(1), Fraction(-1)]
    y = [Fraction(1), Fraction(1) + Fraction(1, 10**6)]  # almost in the kernel
    # without the projection, R(x) - kappa(H) R(y) > 0 would "prove" kappa* > 10
    assert _rq(hstar, x) - 10 * _rq(hstar, y) > 0
    yp = n.project_out(y, u)
    assert sum(a * b for a, b in zip(u, yp)) == 0
    assert _rq(hstar, yp) == Fraction(20, 11)  # = lambda_min^+ (the only non-zero eigenvalue)
    cert = n.certify_kappa_exceeds(h, u, x, y, Fraction(10), -1, 60)
    assert not cert["certified"]


def test_certificate_of_the_update_twin_holds_with_a_y_that_has_a_u_component():
    # sign = +1, H = diag(1, 10), u = e2: H + H u u^T H / u^T H u = diag(1, 20), kappa = 20 > 10
    h = n.rational_spd([Fraction(1), Fraction(10)], [0])
    u = [Fraction(0), Fraction(1)]
    cert = n.certify_kappa_exceeds(h, u, [Fraction(0), Fraction(1)], [Fraction(1), Fraction(1, 1000)],
                                   Fraction(10), 1, 60)
    assert cert["certified"] and cert["y_projected_u_dot"] == "0"
    lo = float(cert["interval"][0])
    assert abs(lo - (20 - 10 * 1)) < 1e-12  # R(e2) - 10 R(e1) = 20 - 10
    assert not n.certify_kappa_exceeds(h, u, [Fraction(0), Fraction(1)], [Fraction(0), Fraction(3)],
                                       Fraction(10), 1, 60)["certified"]  # y parallel to u: nothing left


@pytest.fixture(scope="module")
def bngd_claim():
    """check_bngd_any_lr at the quick preset (one run per module)."""
    return n.check_bngd_any_lr(Context(preset="quick"))


def test_bngd_scope_and_evidence_say_why_small_dimensions_are_excluded(bngd_claim):
    out = bngd_claim
    assert n.MIN_D == 5
    assert n.EXCLUDED_DIMS_REASON in out.scope and out.evidence["excluded_dims"] == n.EXCLUDED_DIMS_REASON
    assert "d <= 4 excluded" in n.EXCLUDED_DIMS_REASON and out.evidence["min_d"] == 5


def test_the_recorded_seed_of_the_descent_curves_regenerates_them(bngd_claim):
    """The evidence names the OLS instance behind the BNGD-vs-GD curves by its seed: an integer that,
    with d and kappa from the same record, rebuilds the instance and the same curves (2000 steps at quick)."""
    rec = bngd_claim.evidence["descent_curves"]
    assert isinstance(rec["seed"], int)
    inst = n.ols_instance(rec["d"], rec["kappa"], rec["seed"])
    again = n.descent_curves(inst, rec["eps_a"], rec["steps"][-1])
    assert again["bngd_excess"] == rec["bngd_excess"] and again["gd_excess"] == rec["gd_excess"]


def test_the_bn_excess_is_the_h_norm_distance_of_the_effective_weight_to_w_star():
    """J(a, w) - J* = 1/2 ||a w/||w||_H - w*||_H^2 (the BN model predicts with the weight a w/||w||_H),
    computed here directly, for a above and below c = <w, w*>_H/||w||_H."""
    rng = np.random.default_rng(7)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    h = (q * np.array([1.0, 2.0, 5.0, 9.0])) @ q.T
    w, w_star = rng.standard_normal(4), rng.standard_normal(4)
    for a in (-3.0, 0.25, 4.0):
        e = a * w / np.sqrt(w @ h @ w) - w_star
        assert abs(n._bn_excess(h, w, a, w_star) - 0.5 * e @ h @ e) < 1e-12


@pytest.mark.parametrize("sign,zeros", [(-1, 1), (1, 0)])
def test_zero_eigenvalues_are_counted_exactly_at_kappa_1e10(sign, zeros):
    """H - H u u^T H / u^T H u has exactly one zero eigenvalue (along u), H + ... none; at kappa(H) = 1e10
    (the docstring: kappa(H) <= 1e12 keeps the true spectrum far above the cut) no small true
    eigenvalue may be taken for zero."""
    case = {"eigs": [Fraction(1), Fraction(1, 10**5), Fraction(1, 10**10)], "skew": [1, -2, 3], "u": [1, 2, -1]}
    kappa_h, kappa_mod, found, _ = n.modified_kappa(case, sign, 60)
    assert kappa_h == 10**10 and found == zeros
    assert (kappa_mod <= int(kappa_h)) if sign == -1 else (kappa_mod > int(kappa_h))
