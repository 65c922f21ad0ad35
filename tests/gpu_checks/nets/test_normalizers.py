"""Tests for gpu_checks.nets.normalizers: the Table 1 semantics of seed 003 and the batch-statistics modes."""
import pytest
import torch

from bnclaims.gpu_checks.nets.normalizers import KINDS, Normalizer, bn_mode, collect_regularizers, regnorm_regularizer


def _z(seed=0, shape=(16, 8)):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 3 + 1


def test_batch_norm_standardizes_each_channel_over_the_batch():
    n = Normalizer("batch", 8).double()
    with bn_mode("train"):
        out = n(_z())
    assert torch.allclose(out.mean(0), torch.zeros(8, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(out.var(0, unbiased=False), torch.ones(8, dtype=torch.float64), atol=1e-5)


def test_layer_norm_standardizes_each_sample_over_units():
    n = Normalizer("layer", 8).double()
    out = n(_z())
    assert torch.allclose(out.mean(1), torch.zeros(16, dtype=torch.float64), atol=1e-12)


def test_bmlv_and_lmbv_mix_batch_and_layer_statistics_as_in_table_1():
    z = _z()
    with bn_mode("train"):
        bmlv = Normalizer("bmlv", 8).double()(z)
        lmbv = Normalizer("lmbv", 8).double()(z)
    assert torch.allclose(bmlv, (z - z.mean(0)) / torch.sqrt(z.var(1, unbiased=False, keepdim=True) + 1e-5))
    assert torch.allclose(lmbv, (z - z.mean(1, keepdim=True)) / torch.sqrt(z.var(0, unbiased=False) + 1e-5))


def test_regnorm_regularizer_equals_twice_the_sum_of_squared_batch_means():
    zt = _z()
    zt = zt / torch.sqrt((zt ** 2).mean(1, keepdim=True))
    pair = zt[None] + zt[:, None]
    literal = ((pair ** 2) - 2).sum(2).mean()
    assert regnorm_regularizer(zt) == pytest.approx(float(literal), rel=1e-12)
    assert regnorm_regularizer(zt) == pytest.approx(float(2 * (zt.mean(0) ** 2).sum()), rel=1e-12)


def test_regnorm_layer_reports_its_regularizer_only_inside_a_collector():
    n = Normalizer("regnorm", 8).double()
    with collect_regularizers() as regs:
        n(_z())
    assert len(regs) == 1
    n(_z())  # no collector active: nothing recorded, no error


def test_eval_mode_uses_running_statistics_and_frozen_detaches_batch_statistics():
    n = Normalizer("batch", 8).double()
    n.running_mean.fill_(1.0)
    n.running_var.fill_(4.0)
    z = _z().requires_grad_(True)
    with bn_mode("eval"):
        out = n(z)
    assert torch.allclose(out, (z - 1) / torch.sqrt(torch.tensor(4.0 + 1e-5, dtype=torch.float64)))
    with bn_mode("frozen"):
        (g,) = torch.autograd.grad(n(z)[:, 0].sum(), z)
    with bn_mode("train"):
        (g2,) = torch.autograd.grad(n(z)[:, 0].sum(), z)
    assert g[:, 0].abs().min() > 0.1  # frozen: d/dz of (z - c)/s is 1/s
    assert g2[:, 0].abs().max() < 1e-10  # train: sum of a standardized column is constant


def test_module_training_updates_running_stats_but_bn_mode_never_writes_them():
    n = Normalizer("batch", 8).double()
    before = n.running_mean.clone()
    with bn_mode("train"):
        n.train()(_z())
    assert torch.equal(n.running_mean, before)
    n.train()(_z())
    assert not torch.equal(n.running_mean, before)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_runs_on_convolutional_feature_maps(kind):
    n = Normalizer(kind, 8).double()
    with bn_mode("train"):
        assert n(_z(shape=(4, 8, 3, 3))).shape == (4, 8, 3, 3)


def test_unknown_kind_and_mode_are_refused():
    with pytest.raises(ValueError):
        Normalizer("weird", 4)
    with pytest.raises(ValueError), bn_mode("sometimes"):
        pass
