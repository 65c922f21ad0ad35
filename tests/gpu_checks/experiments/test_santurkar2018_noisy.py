"""Tests for gpu_checks.experiments.santurkar2018_noisy: the injected noise of Santurkar et al.'s §2.1 has
the stated per-unit mean, scale and per-sample spread, its schedule drifts within its clip range, it is
absent in eval mode, a zero-strength noise reproduces the BN arm bit for bit, and the measurement contract
of noisy_training."""
import math

import pytest
import torch

from bnclaims.tolerances import tol
from bnclaims.gpu_checks.experiments.santurkar2018_noisy import DriftingNoise, noisy_training
from bnclaims.gpu_checks.nets.normalizers import Normalizer

ABS = tol("experiments.santurkar2018.noise_moment_abs")
SMALL = {"depth": 2, "width": 8, "steps": 6, "record_every": 3, "batch": 16}


def _noise(norm: Normalizer, **kw) -> DriftingNoise:
    args = {"mean": 1.0, "scale": 2.0, "std": 0.5, "drift": 0.1, "seed": 0, "enabled": True,
            "record_steps": {0}, "tracked": 2}
    return DriftingNoise([norm], **{**args, **kw})


def test_the_noise_has_the_per_unit_shift_and_scale_and_the_stated_per_sample_spread():
    norm = Normalizer("batch", 3).train()
    noise = _noise(norm)
    z = torch.randn(40_000, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        xhat = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + norm.eps)
        y = norm(z.float()).double()
    mu, sigma = noise.mu[0].double(), noise.log_sigma[0].exp().double()
    resid = y - sigma * xhat - mu
    assert resid.mean(0).abs().max() < ABS and (resid.std(0) - 0.5).abs().max() < ABS
    assert (mu.abs() <= 1.0).all() and ((sigma >= 0.5) & (sigma <= 2.0)).all() and mu.abs().max() > 0.05
    assert len(noise.percentiles[0]) == 1 and len(noise.percentiles[0][0]) == 3 * 2  # (percentile, unit)


def test_the_schedule_drifts_within_its_clip_range():
    noise = _noise(Normalizer("batch", 50))
    mu0 = noise.mu[0].clone()
    for t in range(200):
        noise.advance(t, None)
    mu, ls = noise.mu[0], noise.log_sigma[0]
    assert (mu.abs() <= 1.0).all() and (ls.abs() <= math.log(2.0) + 1e-7).all()
    assert (mu - mu0).abs().mean() > 0.2 and noise.t == 200


def test_there_is_no_noise_in_eval_mode_or_when_disabled():
    norm = Normalizer("batch", 4)
    x = torch.randn(32, 4)
    for mode, enabled in (("eval", True), ("train", False)):
        norm.train(mode == "train")
        ref = norm(x)
        noise = _noise(norm, enabled=enabled)
        assert torch.equal(norm(x), ref), mode
        noise.remove()


def test_zero_strength_noise_reproduces_the_bn_arm_bit_for_bit():
    bn = noisy_training({**SMALL, "arm": "batch"}, 0)
    silent = noisy_training({**SMALL, "arm": "noisy_batch", "noise_mean": 0.0, "noise_scale": 1.0,
                             "noise_std": 0.0}, 0)
    for key in ("train_acc", "test_acc", "final_loss", "loss_curve", "percentiles"):
        assert silent[key] == bn[key], key
    noisy = noisy_training({**SMALL, "arm": "noisy_batch"}, 0)
    assert noisy["final_loss"] != bn["final_loss"] and noisy["drift"] > bn["drift"]


def test_noisy_training_reports_curves_and_drift_per_layer():
    out = noisy_training({**SMALL, "arm": "standard"}, 1)
    assert out["steps_recorded"] == [0, 3] and len(out["test_acc_curve"]) == 2 == len(out["train_acc_curve"])
    assert len(out["drift_per_layer"]) == 2 and 0 <= out["train_acc"] <= 1
    assert "digits" in out["data"]


def test_bad_configurations_are_refused_with_the_key_named():
    with pytest.raises(ValueError, match="arm"):
        noisy_training({**SMALL, "arm": "layer"}, 0)
    with pytest.raises(ValueError, match="noise_scale"):
        noisy_training({**SMALL, "arm": "noisy_batch", "noise_scale": 0.5}, 0)
    with pytest.raises(ValueError, match="at least two recorded steps"):
        noisy_training({**SMALL, "arm": "batch", "record_every": 6}, 0)
