"""Tests for gpu_checks.curvature.arpack: the ARPACK path agrees with the dense reference."""
import numpy as np
import torch

from bnclaims.gpu_checks.curvature.arpack import arpack_eigsh
from bnclaims.gpu_checks.curvature.hvp import HessianOperator
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian


def test_arpack_top5_matches_exact_and_counts_certification_separately():
    model, x, y, loss = tiny_problem("bmlv")
    ev = torch.linalg.eigvalsh(tiny_reference_hessian(model, x, y, loss)).numpy()[::-1]
    r, cert = arpack_eigsh(HessianOperator(loss), 5, tol=1e-12)
    assert cert == 5 and r.hvps > 5
    assert np.max(np.abs(r.eigenvalues - ev[:5])) <= 1e-10 * abs(ev[0])
    assert np.all(r.residuals <= 1e-8 * abs(ev[0]))
