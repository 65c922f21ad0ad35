"""Tests for gpu_checks.curvature.anchors: the plain-torch copies, the HVP counters, each adapter against a minimal fake
anchor module (the anchor packages are optional and absent in CI), and the real anchors when installed."""
import importlib.util
import sys
import types

import numpy as np
import pytest
import torch
from scipy.sparse.linalg import LinearOperator
from torch import nn

from bnclaims.gpu_checks.curvature import anchors
from bnclaims.gpu_checks.curvature.anchors import (ANCHOR_MODULES, AnchorsMissing, CloneMismatch, HVPCounter, ManualBatchNorm,
                                check_anchors, plain_torch_clone, verify_clone)
from bnclaims.gpu_checks.curvature.bench_curvature import make_problem
from bnclaims.gpu_checks.curvature.dense_hessian import dense_hessian, exact_spectrum
from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss, buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.curvature.hvp import hvp
from bnclaims.gpu_checks.nets.models import build_model

HAVE_ANCHORS = all(importlib.util.find_spec(m) for m in ANCHOR_MODULES)


@pytest.fixture(scope="module")
def problem():
    model, x, y = make_problem(6, 2, 48, 3, 0)
    loss = FunctionalLoss(model, x, y, bn_mode="train", dtype=torch.float64)
    h = dense_hessian(loss, loss.theta0())
    return model, x, y, h, exact_spectrum(h).numpy()


def _double_backward_hvp(module, x, y, v):
    params = list(module.parameters())
    g = torch.autograd.grad(nn.functional.cross_entropy(module(x), y), params, create_graph=True)
    sizes = [p.numel() for p in params]
    vs = [c.view_as(p) for c, p in zip(torch.split(v, sizes), params)]
    return torch.cat([t.reshape(-1) for t in torch.autograd.grad(g, params, vs)])


def test_missing_anchor_packages_raise_a_message_naming_the_extra():
    if HAVE_ANCHORS:
        pytest.skip("the anchors extra is installed, so nothing is missing")
    with pytest.raises(AnchorsMissing, match=r"pip install -e \.\[anchors\]"):
        check_anchors()


def test_manual_batch_norm_equals_torch_batch_norm_in_train_mode():
    torch.manual_seed(0)
    z = torch.randn(32, 5, dtype=torch.float64) * 3 + 1
    ref = nn.BatchNorm1d(5, track_running_stats=False).double()
    man = ManualBatchNorm(5).double()
    with torch.no_grad():
        for m in (ref, man):
            m.weight.copy_(torch.linspace(0.5, 2, 5))
            m.bias.copy_(torch.linspace(-1, 1, 5))
    assert torch.allclose(ref(z), man(z), atol=1e-12)


@pytest.mark.parametrize("bn", ["torch", "manual"])
def test_plain_torch_copy_has_the_train_mode_hessian_of_the_benchmark_model(problem, bn):
    model, x, y, h, _ = problem
    clone = plain_torch_clone(model, bn).double()
    diffs = verify_clone(model, clone, x, y)
    assert diffs["loss_abs_diff"] < 1e-12 and diffs["grad_rel_diff"] < 1e-10
    assert not list(clone.buffers())  # nothing for a foreign library to mutate
    v = torch.randn(h.shape[0], dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(_double_backward_hvp(clone, x.double(), y, v), h @ v, rtol=1e-9, atol=1e-11)


def test_verify_clone_rejects_a_copy_with_other_weights(problem):
    model, x, y, _, _ = problem
    clone = plain_torch_clone(model, "torch")
    with torch.no_grad():
        clone[-1].bias[0] += 1e-3  # a shift of all logits would leave CE unchanged
    with pytest.raises(CloneMismatch):
        verify_clone(model, clone, x, y)


def test_plain_torch_clone_refuses_models_without_batch_norm():
    with pytest.raises(TypeError):
        plain_torch_clone(build_model("mlp", norm="layer", depth=2, width=4))


def test_hvp_counter_counts_single_vectors_and_matrix_columns():
    c = HVPCounter()
    f = c.wrap(lambda v: v)
    g = c.wrap(lambda m: m, lambda m: m.shape[1])
    f(np.ones(3))
    g(np.ones((3, 4)))
    assert c.count == 5


# --- adapters against minimal fake anchor modules (same public API, dense linear algebra inside) ---------

def _fake_eigenthings():
    mod = types.ModuleType("hessian_eigenthings")

    class HessianOperator:
        def __init__(self, model, dataloader, loss_fn, *, full_dataset=True):
            self.model, self.batch, self.loss_fn = model, list(dataloader)[0], loss_fn
            self.size = sum(p.numel() for p in model.parameters())

        def matvec(self, v):
            x, y = self.batch
            return _double_backward_hvp(self.model, x, y, v)

    def lanczos(op, *, k, max_iter, which, reorthogonalize, seed):
        cols = torch.stack([op.matvec(e) for e in torch.eye(op.size, dtype=torch.float64)])
        ev = torch.linalg.eigvalsh(0.5 * (cols + cols.T)).flip(0)[:k]
        return types.SimpleNamespace(eigenvalues=ev, converged=torch.ones(k, dtype=torch.bool))

    mod.HessianOperator, mod.lanczos = HessianOperator, lanczos
    mod.supervised_loss = lambda crit: (lambda model, batch: crit(model(batch[0]), batch[1]))
    return mod


def test_eigenthings_adapter_counts_every_matvec_and_scores_against_the_exact_spectrum(problem, monkeypatch):
    model, x, y, _, ev = problem
    monkeypatch.setitem(sys.modules, "hessian_eigenthings", _fake_eigenthings())
    clone = plain_torch_clone(model, "torch").double()
    out = anchors.run_eigenthings(clone, x.double(), y, ev[:10], k=10)
    assert out["hvps"] == clone_size(clone)  # the fake builds the dense matrix column by column
    assert out["max_rel_err"] < 1e-9 and out["lambda"] == sorted(out["lambda"], reverse=True)


def clone_size(m):
    return sum(p.numel() for p in m.parameters())


def _fake_curvlinops(h: np.ndarray):
    mod = types.ModuleType("curvlinops")

    class HessianLinearOperator:
        def __init__(self, model, crit, params, data):
            self.h = h

        def to_scipy(self):
            return LinearOperator(self.h.shape, matvec=lambda v: self.h @ v, matmat=lambda m: self.h @ m,
                                  dtype=np.float64)

    mod.HessianLinearOperator = HessianLinearOperator
    return mod


def test_curvlinops_adapter_counts_products_and_measures_symmetry(problem, monkeypatch):
    model, x, y, h, ev = problem
    hn = h.numpy()
    monkeypatch.setitem(sys.modules, "curvlinops", _fake_curvlinops(hn))
    out = anchors.run_curvlinops(plain_torch_clone(model, "manual"), x, y, ev[:10], computes="fake")
    assert out["hvps"] > 10 and out["max_rel_err"] < 1e-6 and out["asymmetry"] < 1e-12
    skew = hn + 0.05 * np.triu(hn, 1)  # an asymmetric operator is flagged
    monkeypatch.setitem(sys.modules, "curvlinops", _fake_curvlinops(skew))
    assert anchors.run_curvlinops(plain_torch_clone(model, "manual"), x, y, ev[:10])["asymmetry"] > 1e-4


_FAKE_PYHESSIAN = '''
import torch
EIGENVALUES = []
def hessian_vector_product(gradsH, params, v):
    return torch.autograd.grad(gradsH, params, grad_outputs=v, retain_graph=True)
class hessian:
    def __init__(self, model, criterion, data=None, cuda=False):
        self.model = model.eval()
        x, y = data
        self.params = [p for p in model.parameters()]
        criterion(model(x), y).backward(create_graph=True)  # as PyHessian: graph-carrying .grad on the model
        self.g = [p.grad for p in self.params]
    def eigenvalues(self, top_n=1):
        for _ in range(7):  # stands in for the power iterations
            hessian_vector_product(self.g, self.params, [torch.randn_like(p) for p in self.params])
        return EIGENVALUES[:top_n], None
'''


def test_pyhessian_adapter_counts_module_level_hvps_and_leaves_the_model_untouched(problem, monkeypatch):
    model, x, y, _, ev = problem
    pkg, sub = types.ModuleType("pyhessian"), types.ModuleType("pyhessian.hessian")
    exec(_FAKE_PYHESSIAN, sub.__dict__)
    sub.EIGENVALUES = list(ev[:10])
    pkg.hessian = sub.hessian  # the real package shadows its submodule with the class, as here
    monkeypatch.setitem(sys.modules, "pyhessian", pkg)
    monkeypatch.setitem(sys.modules, "pyhessian.hessian", sub)
    clone = plain_torch_clone(model, "torch").double()
    out = anchors.run_pyhessian(clone, x.double(), y, ev[:10], k=10, computes="fake")
    assert out["hvps"] == 7 and out["max_rel_err"] < 1e-12
    assert clone.training and all(p.grad is None for p in clone.parameters())  # the adapter used a copy


@pytest.mark.skipif(not HAVE_ANCHORS, reason="anchor packages (pyhessian, hessian_eigenthings, curvlinops) "
                                             "are not importable: optional extra, absent in CI")
def test_real_anchors_reproduce_the_train_mode_spectrum_and_leave_buffers_unchanged(problem):
    model, x, y, _, ev = problem
    snap = buffer_snapshot(model)
    out = anchors.run_anchors(model, x, y, ev[:10])
    assert buffers_identical(model, snap) and model.training
    for name in ("hessian_eigenthings", "curvlinops_manual_bn"):
        assert "error" not in out[name], out[name]
        assert out[name]["max_rel_err"] < 1e-4 and out[name]["hvps"] > 0
    # PyHessian's power iteration (tol 1e-3) finds the largest-|lambda| pairs, negatives included: compare lambda_1
    assert abs(max(out["pyhessian_train_copy"]["lambda"]) - ev[0]) <= 1e-2 * abs(ev[0])
    # PyHessian computes the eval-mode Hessian: its lambda_1 is the eval-mode one, not the train-mode one
    # (its lower pairs are power iteration to tol 1e-3 with deflation, not accurate on this tiny problem)
    ph1 = max(out["pyhessian"]["lambda"])
    ev1 = out["pyhessian"]["eval_mode_lambda_ref"][0]
    assert abs(ph1 - ev1) <= 1e-2 * abs(ev1) and abs(ph1 - ev[0]) >= 10 * abs(ph1 - ev1), (ph1, ev1, ev[0])
    assert out["curvlinops"]["asymmetry"] > out["curvlinops_manual_bn"]["asymmetry"]
