"""Tests for gpu_checks.curvature.testing: the tiny problems are non-degenerate and reproducible."""
import torch

from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian


def test_tiny_problem_is_reproducible_and_its_hessian_has_full_numerical_rank_in_part():
    m1, x1, _, l1 = tiny_problem("batch", seed=2)
    m2, x2, _, l2 = tiny_problem("batch", seed=2)
    assert torch.equal(l1.theta0(), l2.theta0()) and torch.equal(x1, x2)
    h = tiny_reference_hessian(m1, x1, _, l1)
    assert int(torch.linalg.matrix_rank(h)) > 20
