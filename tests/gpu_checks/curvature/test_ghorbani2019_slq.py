"""Tests for gpu_checks.curvature.ghorbani2019_slq: the quadrature converges to the exact spectral measure."""
import numpy as np
import torch

from bnclaims.gpu_checks.curvature.ghorbani2019_slq import slq, w1_to_spectrum
from bnclaims.gpu_checks.curvature.hvp import HessianOperator
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian


def test_slq_density_and_trace_converge_as_probes_grow():
    model, x, y, loss = tiny_problem("batch")
    h = tiny_reference_hessian(model, x, y, loss)
    ev = torch.linalg.eigvalsh(h).numpy()
    exact = float(torch.trace(h))
    few = slq(HessianOperator(loss), probes=2, steps=30, seed=0)
    many = slq(HessianOperator(loss), probes=64, steps=30, seed=0)
    assert many.hvps == 64 * 30
    assert np.allclose(many.weights.sum(1), 1.0)
    assert w1_to_spectrum(many, ev) < w1_to_spectrum(few, ev)
    fro = float(torch.linalg.norm(h))
    assert abs(many.trace(loss.n) - exact) < 4 * (2 / 64) ** 0.5 * fro  # 4 standard deviations
    grid = np.linspace(ev.min() - 1, ev.max() + 1, 50)
    lo, hi = many.bootstrap_bands(grid, n_boot=50)
    d = many.density(grid)
    assert np.all(lo <= d + 1e-12) and np.all(d <= hi + 1e-12)
