"""Tests for conformance.batch_size_one (one value per channel in training)."""
import torch

from bnclaims.conformance.batch_size_one import unguarded_impl


def test_unguarded_bn_silently_returns_beta_for_a_batch_of_one():
    x = torch.tensor([[3.0, -7.0]], dtype=torch.float64)
    b = torch.tensor([0.5, -1.5], dtype=torch.float64)
    out = unguarded_impl().functional(x, None, None, None, b, True, 0.1, 1e-5)
    assert torch.equal(out, b.reshape(1, 2))


def test_check_refutes_the_unguarded_bn_with_an_exact_rerun_and_torch_holds():
    from bnclaims import Context, Verdict
    from bnclaims.conformance.batch_size_one import check_batch_size_one
    from bnclaims.conformance.planted import TORCH_IMPL

    bad = check_batch_size_one(Context(preset="quick"), unguarded_impl())
    assert bad.verdict is Verdict.REFUTED and bad.evidence["certificate"]["exact"] is True
    assert check_batch_size_one(Context(preset="quick"), TORCH_IMPL).verdict is Verdict.HOLDS
