"""Optional anchors (``pip install -e .[anchors]``): PyHessian, hessian-eigenthings and curvlinops on the
benchmark problem, each with its top-k Hessian eigenvalues, relative error against the exact dense
spectrum, HVP count (observed by wrapping the anchor's own HVP entry point), wall time, and a note of the
quantity it computes.

Our :class:`bnclaims.gpu_checks.nets.normalizers.Normalizer` writes its running statistics in train mode, which foreign
code cannot differentiate through (curvlinops' ``torch.func`` transforms refuse the in-place update) and
which would leave the benchmark model's buffers changed. The anchors are therefore handed a plain-torch
copy (:func:`plain_torch_clone`) with the same weights whose batch norm does not track running statistics,
so every forward uses the batch statistics and the anchor computes the train-mode Hessian; its loss and
gradient are checked against :class:`bnclaims.gpu_checks.curvature.functional_loss.FunctionalLoss` (float64, 1e-6) first.
Two copies exist: ``bn="torch"`` uses ``nn.BatchNorm1d(track_running_stats=False)`` (``F.batch_norm``),
``bn="manual"`` writes batch norm as plain tensor ops. The distinction matters for curvlinops, whose HVP is
``jvp(jacrev)``: through ``F.batch_norm(training=True)`` that product is asymmetric and wrong (conformance.torch_func_hessian_bn_train), so
curvlinops is run on both copies and the entry records the measured asymmetry.

PyHessian calls ``model.eval()``: on our model that is the eval-mode Hessian (running statistics), a
different quantity, compared also against our float64 Lanczos of the eval-mode loss. On the torch copy
(no running statistics) eval mode still uses batch statistics, so PyHessian then computes the train-mode
Hessian. Not exercised in CI (the packages are optional); a missing package raises :class:`AnchorsMissing`.
"""
from __future__ import annotations

import copy
import importlib
import importlib.metadata
import importlib.util
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any
from unittest import mock

import numpy as np
import torch
from torch import Tensor, nn

from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss
from bnclaims.gpu_checks.nets.models import MLP

__all__ = ["AnchorsMissing", "ANCHOR_MODULES", "CloneMismatch", "HVPCounter", "ManualBatchNorm",
           "anchor_versions", "check_anchors", "plain_torch_clone", "verify_clone", "run_pyhessian",
           "run_eigenthings", "run_curvlinops", "run_anchors"]

ANCHOR_MODULES = {"pyhessian": "pyhessian==0.1", "hessian_eigenthings": "hessian-eigenthings",
                  "curvlinops": "curvlinops-for-pytorch"}
_DISTS = {"pyhessian": "PyHessian", "hessian_eigenthings": "hessian-eigenthings",
          "curvlinops": "curvlinops-for-pytorch"}
# PyHessian's loss.backward(create_graph=True) makes torch warn about a parameter/gradient reference cycle.
_PYH_WARNING = r"Using backward\(\) with create_graph=True"


class AnchorsMissing(RuntimeError):
    """The optional anchors extra is not installed."""


class CloneMismatch(RuntimeError):
    """The plain-torch copy handed to the anchors does not reproduce the benchmark loss."""


def check_anchors() -> None:
    """Raise :class:`AnchorsMissing` naming the extra when any anchor package is not importable."""
    missing = [pkg for mod, pkg in ANCHOR_MODULES.items() if importlib.util.find_spec(mod) is None]
    if missing:
        raise AnchorsMissing("--anchors needs the optional extra: pip install -e .[anchors] "
                             f"(missing: {', '.join(missing)})")


def anchor_versions() -> dict[str, str | None]:
    """Installed version of each anchor distribution (None when its metadata is absent)."""
    out: dict[str, str | None] = {}
    for mod, dist in _DISTS.items():
        try:
            out[mod] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[mod] = None
    return out


class HVPCounter:
    """Wraps an HVP callable and counts the vectors it multiplies (columns for a matrix input)."""

    def __init__(self) -> None:
        self.count = 0

    def wrap(self, fn: Callable[..., Any], columns: Callable[..., int] | None = None) -> Callable[..., Any]:
        def counted(*a: Any, **kw: Any) -> Any:
            self.count += columns(*a, **kw) if columns is not None else 1
            return fn(*a, **kw)

        return counted


class ManualBatchNorm(nn.Module):
    """Train-mode batch norm over dim 0 as plain tensor ops: w (z - mu_B) / sqrt(var_B + eps) + b
    (Ioffe & Szegedy 2015, Alg. 1, biased batch variance); no running statistics."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, z: Tensor) -> Tensor:
        mu = z.mean(dim=0, keepdim=True)
        var = ((z - mu) ** 2).mean(dim=0, keepdim=True)
        return self.weight * (z - mu) / torch.sqrt(var + self.eps) + self.bias


def plain_torch_clone(model: nn.Module, bn: str = "torch") -> nn.Sequential:
    """A buffer-free ``nn.Sequential`` copy of a batch-norm :class:`~gpu_checks.nets.models.MLP` (same weights,
    same parameter order). ``bn="torch"``: ``nn.BatchNorm1d(track_running_stats=False)``; ``"manual"``:
    :class:`ManualBatchNorm`. Both use batch statistics in train and eval mode."""
    if not isinstance(model, MLP) or any(b.norm.kind != "batch" for b in model.blocks):
        raise TypeError("plain_torch_clone supports gpu_checks.nets.models.MLP with batch normalizers only")
    if bn not in ("torch", "manual"):
        raise ValueError(f"bn must be 'torch' or 'manual', got {bn!r}")
    layers: list[nn.Module] = [nn.Flatten()]
    for b in model.blocks:
        lin = nn.Linear(b.linear.in_features, b.linear.out_features)
        norm: nn.Module = (nn.BatchNorm1d(lin.out_features, eps=b.norm.eps, track_running_stats=False)
                           if bn == "torch" else ManualBatchNorm(lin.out_features, eps=b.norm.eps))
        layers += [lin, norm, nn.ReLU()]
    head = nn.Linear(model.head.in_features, model.head.out_features)
    seq = nn.Sequential(*layers, head)
    src = [p for p in model.parameters()]
    dst = [p for p in seq.parameters()]
    assert [p.shape for p in src] == [p.shape for p in dst]
    with torch.no_grad():
        for d, s in zip(dst, src):
            d.copy_(s)
    return seq.to(device=src[0].device, dtype=src[0].dtype).train()


def verify_clone(model: nn.Module, clone: nn.Module, x: Tensor, y: Tensor, tol: float = 1e-6) -> dict[str, float]:
    """Loss and gradient of ``clone`` vs the train-mode :class:`FunctionalLoss` of ``model``, in float64.

    Returns the absolute loss difference and the relative gradient difference; raises
    :class:`CloneMismatch` when either exceeds ``tol``.
    """
    ref = FunctionalLoss(model, x, y, bn_mode="train", dtype=torch.float64)
    th = ref.theta0()
    l_ref, g_ref = float(ref(th)), ref.gradient(th)
    c64 = copy.deepcopy(clone).double().train()
    loss = nn.functional.cross_entropy(c64(x.double()), y)
    g = torch.cat([t.reshape(-1) for t in torch.autograd.grad(loss, list(c64.parameters()))])
    out = {"loss_abs_diff": abs(float(loss.detach()) - l_ref),
           "grad_rel_diff": float((g - g_ref).norm() / g_ref.norm().clamp_min(1e-300))}
    if out["loss_abs_diff"] > tol * max(1.0, abs(l_ref)) or out["grad_rel_diff"] > tol:
        raise CloneMismatch(f"plain-torch copy does not reproduce the train-mode loss: {out}")
    return out


def _rel(vals: Any, exact: np.ndarray) -> float:
    v = np.sort(np.asarray(vals, dtype=np.float64))[::-1]
    k = min(len(v), len(exact))
    return float(np.max(np.abs(v[:k] - exact[:k]) / np.abs(exact[:k])))


def _entry(vals: Any, exact_top: np.ndarray, hvps: int, seconds: float, computes: str, **extra: Any) -> dict:
    lam = sorted((float(v) for v in vals), reverse=True)
    return {"lambda": lam, "max_rel_err": _rel(lam, exact_top), "hvps": hvps, "seconds": seconds,
            "computes": computes, **extra}


def run_pyhessian(model: nn.Module, x: Tensor, y: Tensor, exact_top: np.ndarray, k: int = 10,
                  computes: str = "", **extra: Any) -> dict[str, Any]:
    """PyHessian 0.1 ``hessian(model, CE, data=(x, y)).eigenvalues(top_n=k)`` (deflated power iteration,
    maxIter 100, tol 1e-3: its defaults). HVPs counted by wrapping ``pyhessian.hessian.hessian_vector_product``.
    ``model`` is deep-copied (PyHessian sets eval mode and leaves graph-carrying ``.grad`` on it)."""
    importlib.import_module("pyhessian.hessian")
    pyh_mod = sys.modules["pyhessian.hessian"]  # the package re-exports the class under the same name

    m = copy.deepcopy(model)
    counter = HVPCounter()
    t = time.perf_counter()
    with warnings.catch_warnings(), \
            mock.patch.object(pyh_mod, "hessian_vector_product", counter.wrap(pyh_mod.hessian_vector_product)):
        warnings.filterwarnings("ignore", message=_PYH_WARNING, category=UserWarning)
        h = pyh_mod.hessian(m, nn.CrossEntropyLoss(), data=(x, y), cuda=x.is_cuda)
        vals, _ = h.eigenvalues(top_n=k)
    seconds = time.perf_counter() - t
    del h, m
    return _entry(vals, exact_top, counter.count, seconds, computes,
                  settings="eigenvalues(top_n=k): deflated power iteration, maxIter=100, tol=1e-3", **extra)


def run_eigenthings(clone: nn.Module, x: Tensor, y: Tensor, exact_top: np.ndarray, k: int = 10,
                    max_iter: int = 100, seed: int = 0) -> dict[str, Any]:
    """hessian-eigenthings 1.0 ``lanczos(HessianOperator(model, [(x, y)], supervised_loss(CE)), k=k,
    which="LA", max_iter=max_iter)`` (autograd double-backward HVP; full reorthogonalization requested
    explicitly since its default turns it off above 50 steps). HVPs counted by wrapping ``op.matvec``."""
    from hessian_eigenthings import HessianOperator, lanczos, supervised_loss

    op = HessianOperator(clone, [(x, y)], supervised_loss(nn.CrossEntropyLoss()), full_dataset=True)
    counter = HVPCounter()
    op.matvec = counter.wrap(op.matvec)  # type: ignore[method-assign]
    t = time.perf_counter()
    res = lanczos(op, k=k, max_iter=min(max_iter, op.size - 1), which="LA", reorthogonalize=True, seed=seed)
    seconds = time.perf_counter() - t
    return _entry(res.eigenvalues.tolist(), exact_top, counter.count, seconds,
                  "train-mode Hessian (batch statistics differentiated) by double backward, on the "
                  "nn.BatchNorm1d(track_running_stats=False) copy",
                  settings=f"lanczos(k={k}, which='LA', max_iter={max_iter}, reorthogonalize=True); "
                           "library default max_iter=2k", converged=int(res.converged.sum()))


def _asymmetry(matvec: Callable[[np.ndarray], np.ndarray], n: int, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    v, w = rng.standard_normal(n), rng.standard_normal(n)
    hv, hw = matvec(v), matvec(w)
    return float(abs(v @ hw - w @ hv) / (np.linalg.norm(v) * np.linalg.norm(hw) + np.linalg.norm(w) * np.linalg.norm(hv)))


def run_curvlinops(clone: nn.Module, x: Tensor, y: Tensor, exact_top: np.ndarray, k: int = 10,
                   computes: str = "", tol: float = 1e-6, seed: int = 0) -> dict[str, Any]:
    """curvlinops ``HessianLinearOperator(model, CE, params, [(x, y)]).to_scipy()`` with scipy ``eigsh``
    (which="LA"). HVPs counted by wrapping the scipy operator's matvec/matmat (columns); the operator's
    own determinism check at construction is timed but not counted. Records the asymmetry
    |v'Hw - w'Hv| / (|v||Hw| + |w||Hv|) of its products (0 for a symmetric operator)."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    counter = HVPCounter()
    t = time.perf_counter()
    with warnings.catch_warnings():  # torch's notice on torch.jit.script (linear_operator's import, forward AD)
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=DeprecationWarning)
        from curvlinops import HessianLinearOperator

        hop = HessianLinearOperator(clone, nn.CrossEntropyLoss(), list(clone.parameters()), [(x, y)])
        a = hop.to_scipy()
        op = LinearOperator(a.shape, dtype=a.dtype, matvec=counter.wrap(a.matvec),
                            matmat=counter.wrap(a.matmat, lambda m: m.shape[1]))
        v0 = np.random.default_rng(seed).standard_normal(a.shape[0])  # ARPACK's own start is not seedable
        vals = eigsh(op, k=k, which="LA", tol=tol, v0=v0)[0]
    seconds = time.perf_counter() - t
    hvps = counter.count
    asym = _asymmetry(a.matvec, a.shape[0])
    return _entry(vals, exact_top, hvps, seconds, computes, asymmetry=asym,
                  settings=f"scipy eigsh(k={k}, which='LA', tol={tol}, v0 Gaussian seed {seed}) on to_scipy()")


def _eval_mode_reference(model: nn.Module, x: Tensor, y: Tensor, k: int) -> np.ndarray:
    """The k eigenvalues of largest magnitude of the eval-mode Hessian, descending: PyHessian's power
    iteration with deflation finds those (negative ones included), not the algebraic top-k."""
    from bnclaims.gpu_checks.curvature.hvp import HessianOperator
    from bnclaims.gpu_checks.curvature.lanczos import lanczos_eigsh

    loss = FunctionalLoss(model, x, y, bn_mode="eval", dtype=torch.float64)
    ends = [lanczos_eigsh(HessianOperator(loss, None), k, which=w, tol=1e-12, max_hvps=400).eigenvalues
            for w in ("LA", "SA")]
    both = np.unique(np.concatenate(ends))
    return np.sort(both[np.argsort(-np.abs(both))][:k])[::-1]


def _guard(name: str, fn: Callable[[], dict[str, Any]], out: dict[str, Any], seed: int = 0) -> None:
    """Run one anchor with torch's and numpy's global generators seeded (the anchors draw their start
    vectors there: PyHessian torch.randn, scipy eigsh np.random), so its figures are reproducible."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    try:
        out[name] = fn()
    except Exception as e:  # noqa: BLE001 -- report the anchor's failure in the JSON, do not hide it
        out[name] = {"error": repr(e)}


def run_anchors(model: nn.Module, x: Tensor, y: Tensor, exact_top: np.ndarray, k: int = 10,
                seed: int = 0) -> dict[str, Any]:
    """Top-k eigenvalues from each anchor (see module docstring); ``model`` and its buffers are not changed."""
    check_anchors()
    exact_top = np.asarray(exact_top, dtype=np.float64)
    out: dict[str, Any] = {"versions": anchor_versions()}
    torch_bn, manual_bn = plain_torch_clone(model, "torch"), plain_torch_clone(model, "manual")
    out["clone_check"] = {"torch_bn": verify_clone(model, torch_bn, x, y),
                          "manual_bn": verify_clone(model, manual_bn, x, y)}
    eval_top = _eval_mode_reference(model, x, y, k)
    _guard("pyhessian", lambda: run_pyhessian(
        model, x, y, exact_top, k, computes="eval-mode Hessian: PyHessian calls model.eval(), so BN uses the "
        "running statistics (a different quantity from the train-mode exact spectrum)",
        eval_mode_lambda_ref=eval_top.tolist()), out, seed)
    if "lambda" in out["pyhessian"]:
        out["pyhessian"]["max_rel_err_vs_eval_mode"] = _rel(out["pyhessian"]["lambda"], eval_top)
    _guard("pyhessian_train_copy", lambda: run_pyhessian(
        torch_bn, x, y, exact_top, k, computes="train-mode Hessian by double backward: on the "
        "nn.BatchNorm1d(track_running_stats=False) copy eval mode still uses batch statistics"), out, seed)
    _guard("hessian_eigenthings", lambda: run_eigenthings(torch_bn, x, y, exact_top, k, seed=seed), out, seed)
    _guard("curvlinops", lambda: run_curvlinops(
        torch_bn, x, y, exact_top, k, computes="jvp(jacrev) HVP through F.batch_norm(training=True) on the "
        "nn.BatchNorm1d(track_running_stats=False) copy: see 'asymmetry' (torch.func bug: conformance.torch_func_hessian_bn_train)", seed=seed),
        out, seed)
    _guard("curvlinops_manual_bn", lambda: run_curvlinops(
        manual_bn, x, y, exact_top, k, computes="train-mode Hessian by jvp(jacrev), on the copy with batch "
        "norm written as plain tensor ops", seed=seed), out, seed)
    return out
