"""Santurkar et al. 2018, §3.1 and Fig. 4: loss landscape, gradient predictiveness and "effective
beta-smoothness" along the gradient, with and without BN (catalog E3).

@inproceedings{santurkar2018how, title={How Does Batch Normalization Help Optimization?}, author={Santurkar,
  Shibani and Tsipras, Dimitris and Ilyas, Andrew and Madry, Aleksander}, booktitle={NeurIPS}, year={2018}}

At a training step t with parameters w_t (all trainable parameters) and the gradient g_t = grad L(w_t) on
that step's batch, for every step size eta in ``eta_factors`` x lr:

* loss landscape: the range max_eta L(w_t - eta g_t) - min_eta L(w_t - eta g_t) (eta = 0 included);
* gradient predictiveness: the range over eta of ||grad L(w_t) - grad L(w_t - eta g_t)||;
* effective beta-smoothness: max_eta ||grad L(w_t) - grad L(w_t - eta g_t)|| / ||eta g_t||.

Every loss and gradient is on the same batch under ``bn_mode("train")`` (batch statistics, running
statistics never written), through :class:`bnclaims.gpu_checks.curvature.functional_loss.FunctionalLoss`, which
works on a flat copy of the parameters: the model is never changed (checked bitwise and recorded). As
eta -> 0, ||grad L(w) - grad L(w - eta g)|| / eta -> ||H g|| (tested against the HVP in float64).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import torch
from torch import Tensor, nn

from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss, buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.experiments import training as T

__all__ = ["SPEC", "along_gradient", "landscape_training"]

def _factors(key: str, v: Any) -> list[float]:
    ok = isinstance(v, (list, tuple)) and len(v) >= 2 and all(
        not isinstance(x, bool) and isinstance(x, (int, float)) and math.isfinite(x) and x > 0 for x in v)
    if not ok:
        raise ValueError(f"config[{key!r}] must be a list of at least two positive finite numbers (a range over eta), got {v!r}")
    return [float(x) for x in v]



SPEC: dict[str, tuple[Any, P.Check]] = {
    "norm": (P.REQUIRED, P.one_of("batch", "none")),
    "arch": ("mlp", P.one_of("mlp", "wrn")),
    "data": ("digits", P.one_of(*T.DATASETS)),
    "depth": (6, P.integer(1, 1000)),
    "width": (64, P.integer(1, 1 << 14)),
    "skip": (False, P.boolean),
    "lr": (0.1, P.real(0.0, strict=True)),
    "batch": (64, P.integer(2, 1437)),
    "probe_steps": ([0, 10, 20, 40, 80], P.int_list(0, 1_000_000)),
    "eta_factors": ([0.25, 0.5, 1.0, 2.0, 4.0], _factors),
}


def along_gradient(loss: FunctionalLoss, theta: Tensor, etas: Sequence[float]) -> dict[str, Any]:
    """Loss and gradient change along -g at ``theta`` for each eta (module docstring).

    Returns ``etas``, ``loss`` [L(theta - eta g)], ``loss0``, ``grad_change`` [||g - grad(theta - eta g)||],
    ``grad_norm`` ||g||, ``beta`` [grad_change / (eta ||g||)], and the three summaries ``loss_range``
    (eta = 0 included), ``grad_range`` and ``beta_eff`` (max over eta).
    """
    theta = theta.detach()
    t = theta.clone().requires_grad_(True)
    l0 = loss(t)
    (g,) = torch.autograd.grad(l0, t)
    gn = float(g.double().norm())
    if gn == 0:
        raise ValueError("the gradient is exactly 0: no direction to move along")
    losses, changes = [], []
    for eta in etas:
        w = (theta - eta * g).requires_grad_(True)
        lw = loss(w)
        (gw,) = torch.autograd.grad(lw, w)
        losses.append(float(lw.detach().double()))
        changes.append(float((g.double() - gw.double()).norm()))
    betas = [c / (eta * gn) for c, eta in zip(changes, etas)]
    all_losses = [float(l0.detach().double())] + losses
    return {"etas": list(etas), "loss0": all_losses[0], "loss": P.finite("loss", losses),
            "grad_change": P.finite("grad_change", changes), "grad_norm": gn, "beta": P.finite("beta", betas),
            "loss_range": max(all_losses) - min(all_losses), "grad_range": max(changes) - min(changes),
            "beta_eff": max(betas)}


def landscape_training(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Santurkar et al.'s Fig. 4 quantities at ``probe_steps`` early in training, BN (``norm="batch"``) or not.

    The model (:func:`bnclaims.gpu_checks.experiments.training.make_model`, torch-default init, shared by both arms
    of a seed) trains by plain SGD at ``lr`` on ``batch``-example minibatches up to the last probe step;
    before the update at each probe step t, :func:`along_gradient` runs on that step's batch with step
    sizes eta = f * lr for f in ``eta_factors``.

    config: norm ("batch" or "none", required), arch ("mlp"), data ("digits"), depth (6), width (64),
    skip (False, wrn only), lr (0.1), batch (64), probe_steps ([0, 10, 20, 40, 80]),
    eta_factors ([0.25, 0.5, 1, 2, 4]), device, dtype.

    Returns ``probe_steps``, ``etas``, per probe ``loss`` and ``grad_change`` (lists over eta), per probe
    ``loss_range``, ``grad_range``, ``beta_eff``, ``grad_norm``, their summaries ``log_loss_range``,
    ``log_grad_range``, ``log_beta_eff`` (mean over probes of the natural log), and ``state_unchanged``.
    """
    cfg = P.parse_config(config, SPEC, "santurkar2018.landscape_training")
    probes = sorted(set(cfg["probe_steps"]))
    split = T.load_split(cfg["data"], dtype=cfg["dtype"], device=cfg["device"])
    model = T.make_model(arch=cfg["arch"], norm=cfg["norm"], depth=cfg["depth"], width=cfg["width"], seed=seed,
                         data=cfg["data"], skip=cfg["skip"], dtype=cfg["dtype"], device=cfg["device"])
    etas = [f * cfg["lr"] for f in cfg["eta_factors"]]
    unchanged: list[bool] = []

    def on_step(t: int, m: nn.Module, xb: Tensor, yb: Tensor) -> dict[str, Any]:
        bufs = buffer_snapshot(m)
        params = [p.detach().clone() for p in m.parameters()]
        f = FunctionalLoss(m, xb, yb, bn_mode="train", dtype=cfg["dtype"])
        rec = along_gradient(f, f.theta0(), etas)
        unchanged.append(buffers_identical(m, bufs) and all(torch.equal(p, q) for p, q in zip(m.parameters(), params)))
        return rec

    log = T.train(model, split, steps=probes[-1], lr=cfg["lr"], batch=cfg["batch"], seed=seed, on_step=on_step,
                  hook_steps=tuple(probes))
    if not all(unchanged):
        raise RuntimeError("a landscape probe changed the model's parameters or running statistics")
    recs = [log.records[t] for t in probes]
    out: dict[str, Any] = {"norm": cfg["norm"], "probe_steps": probes, "etas": etas, "state_unchanged": True,
                           "data": T.data_description(cfg["data"])}
    for key in ("loss", "grad_change", "loss_range", "grad_range", "beta_eff", "grad_norm", "loss0"):
        out[key] = [r[key] for r in recs]
    for key in ("loss_range", "grad_range", "beta_eff"):
        if min(out[key]) <= 0:
            raise ValueError(f"{key} is exactly 0 at some probe: its logarithm is undefined")
        out[f"log_{key}"] = sum(math.log(v) for v in out[key]) / len(out[key])
    return out
