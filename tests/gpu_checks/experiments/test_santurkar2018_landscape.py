"""Tests for gpu_checks.experiments.santurkar2018_landscape: the gradient change along the gradient over
eta tends to ||H g|| (float64 HVP of gpu_checks.curvature.hvp) as eta -> 0, the summaries of Santurkar et
al.'s Fig. 4, and the measurement contract of landscape_training."""
import pytest
import torch

from bnclaims.tolerances import tol
from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss, buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.curvature.hvp import hvp
from bnclaims.gpu_checks.experiments import training as T
from bnclaims.gpu_checks.experiments.santurkar2018_landscape import along_gradient, landscape_training

SMALL = {"norm": "batch", "depth": 2, "width": 8, "probe_steps": [0, 3], "batch": 16}


def _small_problem(norm: str):
    split = T.load_split("digits", dtype=torch.float64)
    model = T.make_model(arch="mlp", norm=norm, depth=2, width=8, seed=4, dtype=torch.float64)
    return model, FunctionalLoss(model, split.x_train[:24], split.y_train[:24], bn_mode="train")


@pytest.mark.parametrize("norm", ["batch", "none"])
def test_the_gradient_change_per_unit_step_tends_to_the_hessian_vector_product(norm):
    model, f = _small_problem(norm)
    bufs = buffer_snapshot(model)
    theta = f.theta0()
    g = f.gradient(theta)
    hg = float(hvp(f, theta, g).norm())
    out = along_gradient(f, theta, [1e-5])
    limit = out["grad_change"][0] / 1e-5
    assert limit == pytest.approx(hg, rel=tol("experiments.santurkar2018.hvp_limit_rel")), (limit, hg)
    assert out["beta"][0] == pytest.approx(hg / float(g.norm()), rel=tol("experiments.santurkar2018.hvp_limit_rel"))
    assert buffers_identical(model, bufs)


def test_the_summaries_are_the_ranges_and_the_largest_ratio():
    _, f = _small_problem("batch")
    out = along_gradient(f, f.theta0(), [0.01, 0.1, 1.0])
    losses = [out["loss0"]] + out["loss"]
    assert out["loss_range"] == max(losses) - min(losses)
    assert out["grad_range"] == max(out["grad_change"]) - min(out["grad_change"])
    assert out["beta_eff"] == max(c / (e * out["grad_norm"]) for c, e in zip(out["grad_change"], out["etas"]))
    # a small step along -g lowers the loss (first-order descent)
    assert out["loss"][0] < out["loss0"]


def test_landscape_training_is_deterministic_and_leaves_the_model_state_unchanged():
    out = landscape_training(SMALL, 0)
    assert out["state_unchanged"] is True and out["probe_steps"] == [0, 3]
    assert out["etas"] == pytest.approx([0.025, 0.05, 0.1, 0.2, 0.4])
    assert len(out["loss"]) == 2 and len(out["loss"][0]) == 5
    assert out == landscape_training(SMALL, 0)


def test_bad_configurations_are_refused_with_the_key_named():
    with pytest.raises(ValueError, match="eta_factors"):
        landscape_training({**SMALL, "eta_factors": [0.5, -1.0]}, 0)
    with pytest.raises(ValueError, match="at least two"):
        landscape_training({**SMALL, "eta_factors": [1.0]}, 0)
    with pytest.raises(ValueError, match="probe_steps"):
        landscape_training({**SMALL, "probe_steps": []}, 0)
    with pytest.raises(ValueError, match="norm"):
        landscape_training({**SMALL, "norm": "group"}, 0)
