"""Tests for gpu_checks.curvature.functional_loss: agreement with the module, no side effects on buffers."""
import pytest
import torch
import torch.nn.functional as F

from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss, buffer_snapshot, buffers_identical, has_normalization
from bnclaims.gpu_checks.curvature.testing import tiny_problem


def test_functional_loss_equals_the_module_forward_in_train_mode_without_touching_buffers():
    model, x, y, loss = tiny_problem("batch")
    snap = buffer_snapshot(model)
    val = loss(loss.theta0())
    assert buffers_identical(model, snap)
    ref = F.cross_entropy(model.double().train()(x), y).detach()
    assert float(val) == pytest.approx(float(ref), rel=1e-13)
    assert not buffers_identical(model, snap)  # the plain module call in train mode does write


def test_eval_mode_differs_from_train_mode_and_bad_mode_is_refused():
    model, x, y, loss = tiny_problem("batch")
    ev = FunctionalLoss(model, x, y, bn_mode="eval")
    assert abs(float(ev(ev.theta0())) - float(loss(loss.theta0()))) > 1e-6
    with pytest.raises(ValueError):
        FunctionalLoss(model, x, y, bn_mode="inference")


def test_has_normalization_sees_ours_and_torchs_layers():
    assert has_normalization(tiny_problem("group")[0])
    assert not has_normalization(tiny_problem("none")[0])
    assert has_normalization(torch.nn.Sequential(torch.nn.BatchNorm1d(3)))
