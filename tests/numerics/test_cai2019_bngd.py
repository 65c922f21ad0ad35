"""Tests for numerics/cai2019_bngd.py (Cai, Li, Shen 2019: kappa*, BNGD simulation)."""
from fractions import Fraction

import numpy as np

from bnclaims import Context, Verdict
from numerics import cai2019_bngd as n


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
    assert out.verdict is Verdict.REFUTED and out.evidence["divergence_certificate"]["certified"]
