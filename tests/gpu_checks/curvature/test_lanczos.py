"""Tests for gpu_checks.curvature.lanczos: top-10 / bottom-5 eigenvalues to 1e-10 against the dense reference."""
import numpy as np
import pytest
import torch

from bnclaims.tolerances import tol
from bnclaims.gpu_checks.curvature.functional_loss import buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.curvature.hvp import HessianOperator
from bnclaims.gpu_checks.curvature.lanczos import lanczos_eigsh
from bnclaims.gpu_checks.nets.normalizers import KINDS
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian


@pytest.mark.parametrize("kind", KINDS)
def test_top10_and_bottom5_match_the_exact_spectrum_with_covering_bounds(kind):
    model, x, y, loss = tiny_problem(kind)
    snap = buffer_snapshot(model)
    ev = torch.linalg.eigvalsh(tiny_reference_hessian(model, x, y, loss)).numpy()
    top, bottom = ev[::-1][:10], ev[:5]
    r = lanczos_eigsh(HessianOperator(loss), 10, tol=1e-13, max_hvps=600, basis=40)
    scale = np.abs(ev).max()
    assert r.converged and r.hvps <= 600
    assert np.max(np.abs(r.eigenvalues - top)) <= tol("torch64.eig_rel") * scale
    # certified: some eigenvalue within the residual of each Ritz value
    for th, b in zip(r.eigenvalues, r.bounds):
        assert np.min(np.abs(ev - th)) <= b + 1e-13 * scale  # + dense eigensolver rounding
    rb = lanczos_eigsh(HessianOperator(loss), 5, which="SA", tol=1e-13, max_hvps=600, basis=40)
    assert np.max(np.abs(rb.eigenvalues - bottom)) <= tol("torch64.eig_rel") * scale
    assert buffers_identical(model, snap)


def test_restarts_with_a_small_basis_still_converge_and_ratio_interval_contains_exact():
    model, x, y, loss = tiny_problem("batch")
    ev = torch.linalg.eigvalsh(tiny_reference_hessian(model, x, y, loss)).numpy()[::-1]
    r = lanczos_eigsh(HessianOperator(loss), 3, tol=1e-12, max_hvps=2000, basis=10)
    assert r.converged
    assert np.max(np.abs(r.eigenvalues - ev[:3])) <= 1e-9 * abs(ev[0])
    val, lo, hi = r.ratio_interval(3, certified=True)
    assert lo <= ev[0] / ev[2] <= hi
    assert val == pytest.approx(ev[0] / ev[2], rel=1e-8)


def test_wrong_which_is_refused():
    _, _, _, loss = tiny_problem("none")
    with pytest.raises(ValueError):
        lanczos_eigsh(HessianOperator(loss), 2, which="LM")
