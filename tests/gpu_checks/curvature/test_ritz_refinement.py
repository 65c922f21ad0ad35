"""Tests for gpu_checks.curvature.ritz_refinement: float64 Rayleigh-Ritz on float32 Ritz vectors, against the
hand-written dense reference Hessian."""
import numpy as np
import pytest
import torch

from bnclaims.gpu_checks.curvature.hvp import HessianOperator
from bnclaims.gpu_checks.curvature.lanczos import lanczos_eigsh
from bnclaims.gpu_checks.curvature.ritz_refinement import rayleigh_ritz_refine
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian


def _setup():
    model, x, y, loss64 = tiny_problem("batch", batch=16)
    _, _, _, loss32 = tiny_problem("batch", batch=16, dtype=torch.float32)
    h = tiny_reference_hessian(model, x, y, loss64)
    ev, u = torch.linalg.eigh(h)
    return loss32, loss64, ev.flip(0).numpy(), u.flip(1)


def test_float64_refinement_of_float32_ritz_vectors_removes_the_float32_operator_error():
    loss32, loss64, ev, _ = _setup()
    r32 = lanczos_eigsh(HessianOperator(loss32), 5, tol=1e-7, max_hvps=200, return_vectors=True)
    err32 = np.abs(r32.eigenvalues - ev[:5]) / np.abs(ev[:5])
    op64 = HessianOperator(loss64)
    ref = rayleigh_ritz_refine(op64, r32.eigenvectors)
    err = np.abs(ref.eigenvalues - ev[:5]) / np.abs(ev[:5])
    assert ref.hvps == 5 and op64.hvps == 5
    # pairs whose float32 Krylov residual is small: float32 rounding left, removed by the refinement
    tight = r32.residuals <= 1e-6 * abs(ev[0])
    assert tight.sum() >= 2, f"float32 residuals {r32.residuals}"
    assert err32[tight].min() > 1e-9, f"the float32 run should show float32 rounding, got {err32}"
    assert err[tight].max() <= 1e-12, f"refined rel errors {err} (float32 run {err32})"
    # every refined pair: its Kato-Temple estimate covers the true error, and the certified bound holds
    assert np.all(np.abs(ref.eigenvalues - ev[:5]) <= ref.gap_bounds + 1e-13 * abs(ev[0])), (err, ref.gap_bounds)
    for th, b in zip(ref.eigenvalues, ref.bounds):
        assert np.min(np.abs(ev - th)) <= b + 1e-13 * abs(ev[0])


def test_eigenvalue_error_is_second_order_in_the_eigenvector_error():
    _, loss64, ev, u = _setup()
    g = torch.Generator().manual_seed(3)
    errs = []
    for delta in (1e-3, 1e-4):
        y = u[:, :3].T + delta * torch.randn(3, u.shape[0], generator=g, dtype=torch.float64)
        r = rayleigh_ritz_refine(HessianOperator(loss64), y)
        errs.append(np.max(np.abs(r.eigenvalues - ev[:3])))
    assert errs[1] <= errs[0] / 30, f"errors {errs} do not fall like delta^2"
    assert errs[0] <= 1e-3 * abs(ev[0])


def test_bad_vectors_are_refused_with_a_clear_error():
    _, loss64, _, u = _setup()
    op = HessianOperator(loss64)
    with pytest.raises(ValueError, match="shape"):
        rayleigh_ritz_refine(op, torch.ones(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="linearly dependent"):
        rayleigh_ritz_refine(op, torch.stack([u[:, 0], u[:, 0]]))
    with pytest.raises(ValueError, match="NaN"):
        rayleigh_ritz_refine(op, torch.full((1, op.n), float("nan"), dtype=torch.float64))
    with pytest.raises(ValueError, match="which"):
        rayleigh_ritz_refine(op, u[:, :1].T, which="LM")
