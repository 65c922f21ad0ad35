"""Tests for gpu_checks.curvature.reference_functional: the hand-written loss matches the module path."""
import pytest

from bnclaims.gpu_checks.nets.normalizers import BN_MODES, KINDS
from bnclaims.gpu_checks.curvature.testing import tiny_problem, tiny_reference_loss


@pytest.mark.parametrize("mode", BN_MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_reference_loss_equals_functional_loss(kind, mode):
    model, x, y, loss = tiny_problem(kind, mode=mode, reg_weight=0.1 if kind == "regnorm" else 0.0)
    th = loss.theta0()
    assert float(tiny_reference_loss(model, x, y, loss, th)) == pytest.approx(float(loss(th)), rel=1e-13)
