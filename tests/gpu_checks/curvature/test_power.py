"""Tests for gpu_checks.curvature.power: the baseline finds the dominant eigenvalue."""
import numpy as np
import torch

from bnclaims.gpu_checks.curvature.hvp import HessianOperator
from bnclaims.gpu_checks.curvature.power import power_iteration
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian


def test_power_iteration_finds_the_largest_magnitude_eigenvalue():
    model, x, y, loss = tiny_problem("layer")
    ev = torch.linalg.eigvalsh(tiny_reference_hessian(model, x, y, loss)).numpy()
    dom = ev[np.argmax(np.abs(ev))]
    r = power_iteration(HessianOperator(loss), tol=1e-12, max_hvps=3000)
    assert abs(r.eigenvalues[0] - dom) <= 1e-6 * abs(dom) + r.residuals[0]
