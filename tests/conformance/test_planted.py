"""Tests for conformance.planted (torch and the planted buggy implementations)."""
import torch
import torch.nn.functional as F

from bnclaims.conformance.planted import PLANTED, get_impl


def test_plain_implementation_matches_torch_in_float64():
    x = torch.randn(6, 3, dtype=torch.float64)
    w, b = torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    ours = PLANTED["correct_plain"].functional(x, None, None, w, b, True, 0.1, 1e-5)
    assert torch.allclose(ours, F.batch_norm(x, None, None, w, b, True, 0.1, 1e-5), atol=1e-14)


def test_one_pass_variance_is_catastrophic_in_float32_at_mean_over_std_ten_thousand():
    x = (1e4 + torch.tensor([-1.0, 1.0] * 8)).reshape(16, 1)
    y = PLANTED["one_pass_variance"].functional(x, None, None, None, None, True, 0.1, 1e-5)
    exact = torch.tensor([-1.0, 1.0] * 8).reshape(16, 1)
    assert not torch.isfinite(y).all() or (y - exact).abs().max() > 0.1


def test_biased_running_var_stores_m_minus_one_over_m_of_torch():
    x = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    rv_t, rv_b = torch.ones(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    get_impl("torch").functional(x, torch.zeros(1, dtype=torch.float64), rv_t, None, None, True, 1.0, 1e-5)
    PLANTED["biased_running_var"].functional(x, torch.zeros(1, dtype=torch.float64), rv_b, None, None, True, 1.0)
    assert rv_t.item() == 2.0 and rv_b.item() == 1.0


def test_flipped_momentum_keeps_ninety_percent_of_the_batch():
    rm = torch.zeros(1, dtype=torch.float64)
    x = torch.tensor([[10.0], [10.0 + 2]], dtype=torch.float64)
    PLANTED["momentum_flipped"].functional(x, rm, torch.ones(1, dtype=torch.float64), None, None, True, 0.1)
    assert abs(rm.item() - 0.9 * 11.0) < 1e-12
