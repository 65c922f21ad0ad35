"""Tests for conformance.batch_size_one (one value per channel in training)."""
import torch

from conformance.batch_size_one import unguarded_impl


def test_unguarded_bn_silently_returns_beta_for_a_batch_of_one():
    x = torch.tensor([[3.0, -7.0]], dtype=torch.float64)
    b = torch.tensor([0.5, -1.5], dtype=torch.float64)
    out = unguarded_impl().functional(x, None, None, None, b, True, 0.1, 1e-5)
    assert torch.equal(out, b.reshape(1, 2))
