"""Tests for gpu_checks.nets.models: shapes, parameter counts, skip connections."""
import torch

from bnclaims.gpu_checks.nets.models import build_model, count_parameters


def test_reference_mlp_has_9226_parameters():
    assert count_parameters(build_model("mlp", norm="batch", depth=2, width=64)) == 9226


def test_wide_resnet_runs_with_and_without_skip_connections():
    x = torch.randn(3, 1, 8, 8)
    for skip in (True, False):
        m = build_model("wrn", norm="batch", depth=8, width=1, skip=skip)
        assert m(x).shape == (3, 10)


def test_residual_mlp_and_builds_are_deterministic_in_the_seed():
    a = build_model("resmlp", norm="layer", depth=3, width=16, seed=3)
    b = build_model("resmlp", norm="layer", depth=3, width=16, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert a(torch.randn(4, 64)).shape == (4, 10)
