"""Tests for gpu_checks.curvature.population_stats: the population-statistics loss (Ghorbani et al. 2019) and
its Hessian against a hand-written float64 reference, and what it is not (running averages, detached batch
statistics, the training-mode Hessian)."""
import pytest
import torch
import torch.nn.functional as F

from bnclaims.tolerances import tol
from bnclaims.gpu_checks.curvature.dense_hessian import dense_hessian
from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss, buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.curvature.hvp import HessianOperator
from bnclaims.gpu_checks.curvature.lanczos import lanczos_eigsh
from bnclaims.gpu_checks.curvature.population_stats import population_loss, population_statistics, with_population_statistics
from bnclaims.gpu_checks.nets.models import build_model

LOSS_REL = tol("experiments.hessian_spectra.population_loss_rel_fp64")
HESS_REL = tol("experiments.hessian_spectra.population_hessian_rel_fp64")
EPS = 1e-5


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny problems run on one thread, as the grid runs its cells: a second thread only contends."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _problem(norm="batch", n_train=40, n_batch=12, seed=0):
    model = build_model("mlp", norm=norm, depth=2, width=5, d_in=6, d_out=3, seed=seed).double()
    g = torch.Generator().manual_seed(seed + 1)
    x_train = torch.randn(n_train, 6, generator=g, dtype=torch.float64) * 2 + 0.5
    idx = torch.randperm(n_train, generator=g)[:n_batch]
    y = torch.randint(0, 3, (n_batch,), generator=g)
    with torch.no_grad():  # non-trivial gains and shifts
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=torch.float64))
    return model, x_train, x_train[idx], y


def _reference_stats(params, x_train):
    """Layer by layer in forward order: each BN layer's full-data mean and biased variance (by hand)."""
    stats, h = [], x_train
    for l in range(2):
        z = h @ params[f"blocks.{l}.linear.weight"].T + params[f"blocks.{l}.linear.bias"]
        mu = z.sum(0) / z.shape[0]
        var = ((z - mu) ** 2).sum(0) / z.shape[0]
        stats.append((mu.detach(), var.detach()))
        zt = (z - mu) / torch.sqrt(var + EPS)
        h = torch.relu(params[f"blocks.{l}.norm.weight"] * zt + params[f"blocks.{l}.norm.bias"])
    return stats


def _reference_loss(params, stats, x, y):
    h = x
    for l, (mu, var) in enumerate(stats):
        z = h @ params[f"blocks.{l}.linear.weight"].T + params[f"blocks.{l}.linear.bias"]
        h = torch.relu(params[f"blocks.{l}.norm.weight"] * (z - mu) / torch.sqrt(var + EPS)
                       + params[f"blocks.{l}.norm.bias"])
    logits = h @ params["head.weight"].T + params["head.bias"]
    return -(torch.log_softmax(logits, dim=1)[torch.arange(len(y)), y]).mean()


def test_the_captured_statistics_are_the_full_data_statistics_layer_by_layer():
    model, x_train, _, _ = _problem()
    stats = population_statistics(model, x_train)
    ref = _reference_stats(dict(model.named_parameters()), x_train)
    assert list(stats) == ["blocks.0.norm", "blocks.1.norm"]
    for (mu, var), (rmu, rvar) in zip(stats.values(), ref):
        assert torch.allclose(mu, rmu, rtol=LOSS_REL, atol=0) and torch.allclose(var, rvar, rtol=LOSS_REL, atol=0)


def test_the_population_loss_and_its_hessian_equal_the_hand_written_reference_in_float64():
    model, x_train, x, y = _problem()
    loss = population_loss(model, x_train, x, y)
    theta = loss.theta0()
    params = dict(model.named_parameters())
    stats = _reference_stats(params, x_train)

    def ref_of_theta(t):
        return _reference_loss(loss.unflatten(t), stats, x, y)

    assert float(loss(theta)) == pytest.approx(float(ref_of_theta(theta)), rel=LOSS_REL)
    h_ref = torch.autograd.functional.hessian(ref_of_theta, theta)  # statistics held constant by construction
    h = dense_hessian(loss, theta)
    assert float((h - h_ref).norm() / h_ref.norm()) < HESS_REL
    v = torch.randn(loss.n, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    hv = HessianOperator(loss).matvec(v)
    assert float((hv - h_ref @ v).norm() / (h_ref @ v).norm()) < HESS_REL
    exact = torch.linalg.eigvalsh(h_ref).flip(0)[:4].numpy()
    res = lanczos_eigsh(HessianOperator(loss), k=4, tol=1e-12, max_hvps=loss.n)
    assert (abs(res.eigenvalues - exact) <= res.residuals + 1e-10 * abs(exact[0])).all(), (res.eigenvalues, exact)


def test_it_is_neither_the_running_average_nor_the_detached_batch_statistics_nor_the_training_hessian():
    model, x_train, x, y = _problem()
    pop = population_loss(model, x_train, x, y)
    theta = pop.theta0()
    others = {m: FunctionalLoss(model, x, y, bn_mode=m) for m in ("eval", "frozen", "train")}
    for mode, other in others.items():
        assert abs(float(pop(theta)) - float(other(theta))) > 1e-6, mode
    # on the whole training set as the batch, the values agree with train mode; the Hessians do not
    full = population_loss(model, x_train, x_train, torch.arange(len(x_train)) % 3)
    train = FunctionalLoss(model, x_train, torch.arange(len(x_train)) % 3, bn_mode="train")
    assert float(full(theta)) == pytest.approx(float(train(theta)), rel=LOSS_REL)
    h_pop, h_train = dense_hessian(full, theta), dense_hessian(train, theta)
    assert float((h_pop - h_train).norm() / h_train.norm()) > 1e-3


def test_the_original_model_and_its_running_statistics_are_untouched():
    model, x_train, x, y = _problem()
    model.train()
    with torch.no_grad():
        model(x_train[:10])  # non-trivial running statistics
    snap = buffer_snapshot(model)
    loss = population_loss(model, x_train, x, y)
    dense_hessian(loss, loss.theta0())
    lanczos_eigsh(HessianOperator(loss), k=2, max_hvps=20)
    assert buffers_identical(model, snap)
    copy = with_population_statistics(model, x_train)
    assert copy is not model and not torch.equal(copy.blocks[0].norm.running_mean, model.blocks[0].norm.running_mean)


def test_conv_statistics_average_over_batch_height_and_width():
    model = build_model("wrn", norm="batch", depth=8, width=1, skip=False, seed=0).double()
    x = torch.randn(20, 1, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    stats = population_statistics(model, x)
    z = F.conv2d(x, model.stem.conv.weight, padding=1)
    mu, var = stats["stem.norm"]
    assert torch.allclose(mu, z.mean(dim=(0, 2, 3)), rtol=LOSS_REL, atol=1e-14)
    assert torch.allclose(var, z.var(dim=(0, 2, 3), unbiased=False), rtol=LOSS_REL, atol=1e-14)
    assert len(stats) == 7  # stem + 3 stages x 1 block x 2 convs


def test_models_without_batch_statistics_have_no_population_statistics():
    model, x_train, _, _ = _problem(norm="layer")
    assert population_statistics(model, x_train) == {}
