"""Tests for numerics/cai2019_bngd.py (Cai, Li, Shen 2019: kappa*, BNGD simulation)."""
from fractions import Fraction

import numpy as np

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


def test_bngd_scope_and_evidence_say_why_small_dimensions_are_excluded():
    out = n.check_bngd_any_lr(Context(preset="quick"))
    assert n.MIN_D == 5
    assert n.EXCLUDED_DIMS_REASON in out.scope and out.evidence["excluded_dims"] == n.EXCLUDED_DIMS_REASON
    assert "d <= 4 excluded" in n.EXCLUDED_DIMS_REASON and out.evidence["min_d"] == 5
