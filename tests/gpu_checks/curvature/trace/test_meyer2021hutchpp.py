"""Tests for gpu_checks.curvature.trace.meyer2021hutchpp: Hutch++ converges to the exact trace."""
import torch

from bnclaims.gpu_checks.curvature.hvp import HessianOperator
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian
from bnclaims.gpu_checks.curvature.trace.meyer2021hutchpp import hutchpp


def test_hutchpp_is_exact_when_the_sketch_spans_the_space_and_close_before():
    model, x, y, loss = tiny_problem("group")
    exact = float(torch.trace(tiny_reference_hessian(model, x, y, loss)))
    r = hutchpp(HessianOperator(loss), 3 * loss.n)
    assert abs(r.estimate - exact) <= 1e-9 * abs(exact)
    small = hutchpp(HessianOperator(loss), 60, seed=1)
    assert small.hvps == 60
    assert abs(small.estimate - exact) <= 5 * small.stderr
