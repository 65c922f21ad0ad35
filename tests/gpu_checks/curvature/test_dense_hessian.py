"""Tests for gpu_checks.curvature.dense_hessian: block construction equals the independent reference Hessian."""
import pytest
import torch

from bnclaims.gpu_checks.curvature.dense_hessian import dense_hessian, exact_spectrum
from bnclaims.gpu_checks.nets.normalizers import KINDS
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian


@pytest.mark.parametrize("kind", KINDS)
def test_block_dense_hessian_equals_reference_hessian(kind):
    model, x, y, loss = tiny_problem(kind)
    h = dense_hessian(loss, loss.theta0(), block=50)
    ref = tiny_reference_hessian(model, x, y, loss)
    assert float((h - ref).norm() / ref.norm()) < 1e-13
    ev = exact_spectrum(h)
    assert bool((ev[:-1] >= ev[1:]).all())
    assert float(ev.sum()) == pytest.approx(float(torch.trace(ref)), rel=1e-10, abs=1e-12)
