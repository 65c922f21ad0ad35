"""Tests for gpu_checks.curvature.trace.hutchinson: convergence to the exact trace, deflation, standard error."""
import numpy as np
import torch

from bnclaims.gpu_checks.curvature.hvp import HessianOperator
from bnclaims.gpu_checks.curvature.lanczos import lanczos_eigsh
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian
from bnclaims.gpu_checks.curvature.trace.hutchinson import hutchinson


def test_hutchinson_error_shrinks_with_probes_and_stderr_covers_it():
    model, x, y, loss = tiny_problem("batch")
    exact = float(torch.trace(tiny_reference_hessian(model, x, y, loss)))
    errs = []
    for m in (8, 64, 512):
        r = hutchinson(HessianOperator(loss), rtol=0.0, max_hvps=m, batch=32, seed=3)
        assert r.hvps == m
        errs.append(abs(r.estimate - exact))
        assert errs[-1] <= 5 * r.stderr
    assert errs[2] < errs[0]


def test_deflating_the_full_krylov_space_gives_the_exact_trace():
    model, x, y, loss = tiny_problem("lmbv")
    exact = float(torch.trace(tiny_reference_hessian(model, x, y, loss)))
    op = HessianOperator(loss)
    r = lanczos_eigsh(op, 10, tol=1e-14, max_hvps=loss.n, basis=loss.n, return_vectors=True)
    t = hutchinson(op, deflate=(r.basis, r.projected), max_hvps=10, rtol=0.0)
    if r.basis.shape[0] == loss.n:
        assert abs(t.estimate - exact) <= 1e-10 * abs(exact)
    assert abs(t.estimate - exact) <= 5 * t.stderr + 1e-10 * abs(exact)
    assert np.isfinite(t.stderr)
