"""The top of the Hessian spectrum through training, by normalizer and by batch-statistics mode (Rao &
Sohl-Dickstein §6, Figs. 4 and 6, catalog C35; Ghorbani et al. 2019 §4, catalog E6).

@misc{rao2020batchnorm, title={Is Batch Norm unique? An empirical investigation and prescription to
  emulate the best properties of common normalizers without batch dependence}, author={Rao, Vinay and
  Sohl-Dickstein, Jascha}, year={2020}}
@inproceedings{ghorbani2019investigation, title={An Investigation into Neural Net Optimization via
  Hessian Eigenvalue Density}, author={Ghorbani, Behrooz and Krishnan, Shankar and Xiao, Ying}, year={2019}}

One cell trains one model (:mod:`bnclaims.gpu_checks.experiments.training`: shared initialization and data order
per seed, plain SGD, the same learning rate for every normalizer) and, at each checkpoint step, computes
the top eigenpairs of the Hessian of the cross-entropy (plus the RegNorm terms for ``regnorm``) on a
fixed analysis batch, in each requested mode:

* ``train``: batch statistics of the analysis batch, differentiated through (the training-mode Hessian);
* ``population``: exact full-training-set statistics under the current weights, held constant
  (:mod:`bnclaims.gpu_checks.curvature.population_stats`);
* ``eval``: the momentum running averages accumulated by training, held constant.

Eigenvalues come from restarted Lanczos (:func:`bnclaims.gpu_checks.curvature.lanczos.lanczos_eigsh`) in float64,
or in float32 followed by float64 Rayleigh-Ritz refinement on the Ritz vectors
(:func:`bnclaims.gpu_checks.curvature.ritz_refinement.rayleigh_ritz_refine`); every eigenvalue is stored with its
certified residual bound (an eigenvalue of the float64 operator lies in theta +- r) and the HVP count of
the run that produced it. Optionally, stochastic Lanczos quadrature nodes and weights
(:func:`bnclaims.gpu_checks.curvature.ghorbani2019_slq.slq`) at the last checkpoint, for density plots. The model's
running statistics are bit-identical before and after every analysis (checked; a change raises).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss, buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.curvature.ghorbani2019_slq import slq
from bnclaims.gpu_checks.curvature.hvp import HessianOperator
from bnclaims.gpu_checks.curvature.lanczos import lanczos_eigsh
from bnclaims.gpu_checks.curvature.population_stats import population_loss
from bnclaims.gpu_checks.curvature.ritz_refinement import rayleigh_ritz_refine
from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.experiments import training as T
from bnclaims.gpu_checks.nets.normalizers import BATCH_KINDS, KINDS, bn_mode

__all__ = ["SPEC", "MODES", "analysis_batch", "hessian_loss", "top_eigenpairs", "spectra_through_training"]

MODES = ("train", "population", "eval")
ANALYSIS_SEED_OFFSET = 7919  # the analysis batch's permutation: seed + this (never the data order's)

def _modes(key: str, v: Any) -> list[str]:
    item = P.one_of(*MODES)
    if not isinstance(v, (list, tuple)) or not v:
        raise ValueError(f"config[{key!r}] must be a non-empty list of modes from {MODES}, got {v!r}")
    out = [item(f"{key}[{i}]", m) for i, m in enumerate(v)]
    if len(set(out)) != len(out):
        raise ValueError(f"config[{key!r}] lists a mode twice: {out}")
    return out


SPEC: dict[str, tuple[Any, P.Check]] = {
    "norm": ("batch", P.one_of(*KINDS)),
    "arch": ("mlp", P.one_of("mlp", "wrn")),
    "depth": (4, P.integer(1, 1000)),
    "width": (32, P.integer(1, 1 << 14)),
    "skip": (False, P.boolean),
    "data": ("digits", P.one_of(*T.DATASETS)),
    "steps": (600, P.integer(0, 1 << 22)),
    "checkpoints": ([0, 50, 600], P.int_list(0, 1 << 22)),
    "lr": (0.05, P.real(0.0, strict=True)),
    "batch": (64, P.integer(2, T.N_TRAIN)),
    "momentum": (0.0, P.real(0.0)),
    "reg_weight": (0.0, P.real(0.0)),
    "hessian_batch": (256, P.integer(2, T.N_TRAIN)),
    "ks": ([9, 10, 11], P.int_list(2, 1000)),
    "modes": (["train"], _modes),
    "hessian_dtype": ("float64", P.one_of("float64", "float32")),
    "refine_extra": (4, P.integer(0, 1000)),
    "lanczos_tol": (1e-6, P.real(0.0, strict=True)),
    "max_hvps": (300, P.integer(1, 1 << 20)),
    "slq_modes": ([], lambda key, v: _modes(key, v) if v else []),
    "slq_probes": (2, P.integer(1, 1000)),
    "slq_steps": (40, P.integer(2, 10_000)),
}




def analysis_batch(split: T.Split, size: int, seed: int) -> tuple[Tensor, Tensor]:
    """The fixed batch every Hessian of a seed is taken on: ``size`` training examples drawn without
    replacement by a permutation seeded with ``seed + ANALYSIS_SEED_OFFSET`` (shared by all arms)."""
    g = torch.Generator().manual_seed(seed + ANALYSIS_SEED_OFFSET)
    idx = torch.randperm(split.x_train.shape[0], generator=g)[:size].to(split.x_train.device)
    return split.x_train[idx], split.y_train[idx]


def hessian_loss(model: nn.Module, mode: str, x: Tensor, y: Tensor, x_train: Tensor, *, dtype: torch.dtype,
                 reg_weight: float = 0.0) -> FunctionalLoss:
    """The side-effect-free loss whose Hessian is taken in ``mode`` (see the module docstring)."""
    if mode == "population":
        return population_loss(model, x_train, x, y, dtype=dtype, reg_weight=reg_weight)
    if mode not in ("train", "eval"):
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return FunctionalLoss(model, x, y, bn_mode=mode, dtype=dtype, reg_weight=reg_weight)


def _grad_fractions(vectors: Tensor, g: Tensor, ks: list[int]) -> list[float]:
    """Fraction of ||g||^2 in the span of the first K (orthonormal) vectors, for each K in ``ks``."""
    c = (vectors.to(torch.float64) @ g.to(torch.float64)) ** 2
    total = float(g.to(torch.float64).pow(2).sum())
    if total == 0.0:
        raise ValueError("the gradient is exactly 0: its fraction in an eigenspace is undefined")
    return [float(c[:k].sum()) / total for k in ks]


def top_eigenpairs(model: nn.Module, mode: str, x: Tensor, y: Tensor, x_train: Tensor, cfg: dict[str, Any],
                   seed: int) -> dict[str, Any]:
    """Top ``max(ks)`` eigenvalues of the Hessian in ``mode``, each with its certified residual bound, and the
    fraction of ||g||^2 (g the gradient of the same loss) in the top-K Ritz space for each K in ``ks``.

    float64: Lanczos on the float64 operator. float32: Lanczos (``max(ks) + refine_extra`` pairs) on the
    float32 operator, then Rayleigh-Ritz on the float64 operator over the Ritz vectors; bounds are for
    the float64 operator. ``hvps`` counts every HVP behind the eigenvalues (Lanczos + refinement).
    """
    k = max(cfg["ks"])
    rw = cfg["reg_weight"]
    loss64 = hessian_loss(model, mode, x, y, x_train, dtype=torch.float64, reg_weight=rw)
    op64 = HessianOperator(loss64)
    if cfg["hessian_dtype"] == "float64":
        res = lanczos_eigsh(op64, k=k, tol=cfg["lanczos_tol"], max_hvps=cfg["max_hvps"], seed=seed,
                            return_vectors=True)
        lanczos_hvps, refine_hvps, converged = res.hvps, 0, res.converged
    else:
        loss32 = hessian_loss(model, mode, x, y, x_train, dtype=torch.float32, reg_weight=rw)
        op32 = HessianOperator(loss32)
        first = lanczos_eigsh(op32, k=k + cfg["refine_extra"], tol=cfg["lanczos_tol"], max_hvps=cfg["max_hvps"],
                              seed=seed, return_vectors=True)
        assert first.eigenvectors is not None
        res = rayleigh_ritz_refine(op64, first.eigenvectors, which="LA", tol=cfg["lanczos_tol"])
        lanczos_hvps, refine_hvps, converged = first.hvps, res.hvps, first.converged and res.converged
    assert res.eigenvectors is not None
    if res.eigenvalues.size < k:
        raise ValueError(f"only {res.eigenvalues.size} eigenvalues for k = {k}: the model has too few parameters")
    ev, rs = res.eigenvalues[:k], res.residuals[:k]
    g = op64.gradient()
    return {"eigenvalues": P.finite("eigenvalues", ev.tolist()), "residuals": P.finite("residuals", rs.tolist()),
            "hvps": lanczos_hvps + refine_hvps, "lanczos_hvps": lanczos_hvps, "refine_hvps": refine_hvps,
            "converged": bool(converged), "loss": P.finite("loss", float(loss64(op64.theta))),
            "grad_norm": P.finite("grad_norm", float(g.norm())),
            "grad_fraction": _grad_fractions(res.eigenvectors[:k], g, cfg["ks"]),
            "log_ratio": [_log_ratio(ev, K) for K in cfg["ks"]],
            "lambda_k_certified_positive": [bool(ev[K - 1] - rs[K - 1] > 0) for K in cfg["ks"]]}


def _log_ratio(ev: np.ndarray, k: int) -> float:
    """log(lambda_1 / lambda_K); 0.0 as a placeholder when lambda_K <= 0 (flagged separately)."""
    return float(math.log(ev[0] / ev[k - 1])) if ev[k - 1] > 0 and ev[0] > 0 else 0.0


def _slq_record(model: nn.Module, mode: str, x: Tensor, y: Tensor, x_train: Tensor, cfg: dict[str, Any],
                seed: int) -> dict[str, Any]:
    loss = hessian_loss(model, mode, x, y, x_train, dtype=_dtype(cfg), reg_weight=cfg["reg_weight"])
    res = slq(HessianOperator(loss), probes=cfg["slq_probes"], steps=cfg["slq_steps"], seed=seed)
    return {"nodes": [P.finite("slq nodes", row) for row in res.nodes.tolist()],
            "weights": [P.finite("slq weights", row) for row in res.weights.tolist()], "hvps": res.hvps}


def _dtype(cfg: dict[str, Any]) -> torch.dtype:
    return torch.float64 if cfg["hessian_dtype"] == "float64" else torch.float32


def spectra_through_training(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """See :func:`_spectra_through_training`; numpy's LAPACK runs on one thread (the Ritz problems are
    tiny, and a multi-threaded BLAS only contends with the other cells)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _spectra_through_training(config, seed)


def _spectra_through_training(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train one model and record the top of its Hessian spectrum at each checkpoint, in each mode.

    Model: :func:`training.make_model` (``arch`` "mlp": ``depth`` hidden layers Linear -> norm -> ReLU of
    ``width`` units; "wrn": WRN-``depth``-``width``, ``skip`` optional), trained in ``dtype`` by
    :func:`training.train` for ``steps`` SGD steps (``lr``, ``batch``, ``momentum``; RegNorm terms with
    ``reg_weight``). At each step t in ``checkpoints`` (before update t; t = steps is after the last
    update) and each mode in ``modes`` (``population`` and ``eval`` need a batch-statistics normalizer),
    :func:`top_eigenpairs` on the :func:`analysis_batch` of ``hessian_batch`` examples. For each mode in
    ``slq_modes``, SLQ (``slq_probes`` probes x ``slq_steps`` Lanczos steps) at the last checkpoint.

    config: norm ("batch"), arch ("mlp"), depth (4), width (32), skip (false), data ("digits"), steps
    (600), checkpoints ([0, 50, 600]), lr (0.05), batch (64), momentum (0), reg_weight (0),
    hessian_batch (256), ks ([9, 10, 11]), modes (["train"]), hessian_dtype ("float64"), refine_extra
    (4), lanczos_tol (1e-6), max_hvps (300), slq_modes ([]), slq_probes (2), slq_steps (40), device,
    dtype.

    Returns ``checkpoints``, ``ks``, ``spectra`` ({mode: [top_eigenpairs record per checkpoint]}),
    ``slq`` ({mode: nodes, weights, hvps} or {}), ``train_loss`` (per step), ``test_accuracy`` (batch
    statistics of the test set as one batch, and running statistics) after training,
    ``buffers_unchanged`` (true), ``data`` and ``hessian`` (descriptions).
    """
    cfg = P.parse_config(config, SPEC, "hessian_spectra.spectra_through_training")
    cps = cfg["checkpoints"]
    if cps != sorted(set(cps)) or cps[-1] > cfg["steps"]:
        raise ValueError(f"config['checkpoints'] = {cps} must be increasing, distinct and <= steps = {cfg['steps']}")
    if cfg["norm"] not in BATCH_KINDS and set(cfg["modes"] + cfg["slq_modes"]) - {"train"}:
        raise ValueError(f"config['modes'] / ['slq_modes'] = {cfg['modes']} / {cfg['slq_modes']}: 'population' and "
                         f"'eval' need a batch-statistics normalizer {BATCH_KINDS}, got norm={cfg['norm']!r}")
    if cfg["arch"] == "mlp" and cfg["data"] != "digits":
        raise ValueError("arch 'mlp' takes data 'digits' (flat 64-vectors)")
    if cfg["arch"] == "wrn" and cfg["data"] == "digits":
        raise ValueError("arch 'wrn' takes image data ('digits_image' or 'cifar_shaped')")
    if sorted(set(cfg["ks"])) != cfg["ks"]:
        raise ValueError(f"config['ks'] = {cfg['ks']} must be increasing")
    split = T.load_split(cfg["data"], dtype=cfg["dtype"], device=cfg["device"])
    model = T.make_model(arch=cfg["arch"], norm=cfg["norm"], depth=cfg["depth"], width=cfg["width"], seed=seed,
                         data=cfg["data"], skip=cfg["skip"], dtype=cfg["dtype"], device=cfg["device"])
    xa, ya = analysis_batch(split, cfg["hessian_batch"], seed)
    spectra: dict[str, list[dict[str, Any]]] = {m: [] for m in cfg["modes"]}
    slq_out: dict[str, Any] = {}

    def analyse(t: int, m: nn.Module, xb: Tensor, yb: Tensor) -> None:
        before = buffer_snapshot(m)
        for mode in cfg["modes"]:
            spectra[mode].append(top_eigenpairs(m, mode, xa, ya, split.x_train, cfg, seed))
        for mode in (cfg["slq_modes"] if t == cps[-1] else []):
            slq_out[mode] = _slq_record(m, mode, xa, ya, split.x_train, cfg, seed)
        if not buffers_identical(m, before):
            raise RuntimeError(f"the running statistics changed during the Hessian analysis at step {t}")

    log = T.train(model, split, steps=cfg["steps"], lr=cfg["lr"], batch=cfg["batch"], seed=seed,
                  momentum=cfg["momentum"], reg_weight=cfg["reg_weight"], on_step=analyse, hook_steps=tuple(cps))
    with bn_mode("train"):  # batch statistics of the test set as one batch; no buffer writes
        acc_batch = T.accuracy(model, split.x_test, split.y_test)
    with bn_mode("eval"):
        acc_running = T.accuracy(model, split.x_test, split.y_test)
    return {"norm": cfg["norm"], "checkpoints": cps, "ks": cfg["ks"], "modes": cfg["modes"], "spectra": spectra,
            "slq": slq_out, "train_loss": P.finite("train_loss", log.losses),
            "test_accuracy": {"batch_statistics": acc_batch, "running_statistics": acc_running},
            "buffers_unchanged": True, "lr": cfg["lr"], "data": T.data_description(cfg["data"]),
            "hessian": (f"cross-entropy{' + RegNorm terms' if cfg['reg_weight'] else ''} on {cfg['hessian_batch']} "
                        f"training examples; {cfg['hessian_dtype']} Lanczos"
                        f"{' + float64 Rayleigh-Ritz' if cfg['hessian_dtype'] == 'float32' else ''}")}
