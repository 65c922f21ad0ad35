"""Tests for gpu_checks.curvature.hvp: HVPs against the independent dense Hessian for every normalizer (float64)."""
import pytest
import torch

from bnclaims.tolerances import tol
from bnclaims.gpu_checks.curvature.functional_loss import buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.curvature.hvp import METHODS, HessianOperator, NormalizationInGraphError, hessian_jacrev, hvp, symmetry_check
from bnclaims.gpu_checks.nets.normalizers import BN_MODES, KINDS
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_hessian


@pytest.mark.parametrize("mode", BN_MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_hvps_match_the_reference_hessian_to_1e_12(kind, mode):
    model, x, y, loss = tiny_problem(kind, mode=mode, reg_weight=0.1 if kind == "regnorm" else 0.0)
    snap = buffer_snapshot(model)
    h = tiny_reference_hessian(model, x, y, loss)
    vs = torch.randn(4, loss.n, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ref = vs @ h  # h is symmetric
    for method in METHODS:
        op = HessianOperator(loss, None, method)
        for got in (op.matmat(vs), torch.stack([op.matvec(v) for v in vs]),
                    torch.stack([hvp(loss, loss.theta0(), v, method) for v in vs])):
            err = float((got - ref).norm() / ref.norm())
            assert err <= tol("torch64.hvp_rel"), (kind, mode, method, err)
        assert op.hvps == 8
        assert symmetry_check(op) <= tol("torch64.symmetry_rel")
    assert buffers_identical(model, snap)


def test_jacrev_hessian_is_refused_with_normalization_and_exact_without():
    _, _, _, loss = tiny_problem("batch")
    with pytest.raises(NormalizationInGraphError, match="normalization layer"):
        hessian_jacrev(loss, loss.theta0())
    model, x, y, loss = tiny_problem("none")
    h = hessian_jacrev(loss, loss.theta0())
    assert float((h - tiny_reference_hessian(model, x, y, loss)).norm()) < 1e-12 * float(h.norm())


def test_float32_operator_is_close_to_float64_and_symmetric():
    model, x, y, loss64 = tiny_problem("batch")
    _, _, _, loss32 = tiny_problem("batch", dtype=torch.float32)
    v = torch.randn(loss64.n, dtype=torch.float64)
    a = HessianOperator(loss32).matvec(v)
    b = HessianOperator(loss64).matvec(v)
    assert a.dtype == torch.float64
    assert float((a - b).norm() / b.norm()) < 1e-4
    assert symmetry_check(HessianOperator(loss32)) <= tol("torch32.symmetry_rel")
