"""Tests for conformance.gradchecks (gradcheck, gradgradcheck and the reference backward)."""
import torch

from conformance.gradchecks import first_grad_gap, sigma_constant_bn, torch_bn_train


def _data():
    x = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)
    one = torch.ones(1, dtype=torch.float64)
    return x, one, 0 * one


def test_all_ones_upstream_cannot_tell_the_sigma_detached_bug_apart():
    x, w, b = _data()
    assert first_grad_gap(sigma_constant_bn, x, w, b, torch.ones_like(x))["ratio"] <= 1.0


def test_random_upstream_exposes_the_sigma_detached_bug_and_torch_passes():
    x, w, b = _data()
    g = torch.tensor([[1.0], [0.0], [-2.0]], dtype=torch.float64)
    assert first_grad_gap(sigma_constant_bn, x, w, b, g)["ratio"] > 1.0
    assert first_grad_gap(torch_bn_train, x, w, b, g)["ratio"] <= 1.0


def test_torch_gradgradcheck_passes_with_random_grad_outputs():
    x, w, b = _data()
    xs = [t.clone().requires_grad_(True) for t in (x, w + 0.5, b)]
    assert torch.autograd.gradgradcheck(torch_bn_train, xs, grad_outputs=(torch.randn(3, 1, dtype=torch.float64),))
