"""Santurkar et al. 2018, Definition 2.1 and Fig. 3: internal covariate shift measured by gradients
(catalog E2).

@inproceedings{santurkar2018how, title={How Does Batch Normalization Help Optimization?}, author={Santurkar,
  Shibani and Tsipras, Dimitris and Ilyas, Andrew and Madry, Aleksander}, booktitle={NeurIPS}, year={2018}}

Definition 2.1: ICS_{t,i} = ||G_{t,i} - G'_{t,i}||_2 with G_{t,i} = grad_{W_i} L(W_1..W_k) at the current
weights and G'_{t,i} = grad_{W_i} L(W_1^+, .., W_{i-1}^+, W_i, .., W_k), where only the *earlier* layers
W_1..W_{i-1} take their update, on the *same* batch. Here the "layers" W_i are the weight matrices (or
conv kernels) of the hidden layers and of the head, in forward order; biases and the normalizers'
gains/shifts are not moved. Two readings of the update:

* ``natural``: the step plain SGD would take, W_j^+ = W_j - lr grad_{W_j} L (the definition as written);
* ``matched``: each earlier layer moves along the same direction by a fixed *relative* size,
  W_j^+ = W_j - rho ||W_j|| grad_{W_j} L / ||grad_{W_j} L||, so that ||dW_j|| / ||W_j|| = rho with and
  without BN (a standard net with small gradients otherwise barely moves and shows ICS near 0 trivially).

Every loss is evaluated under ``bn_mode("train")`` (batch statistics of the batch at hand, running
statistics never written); the moved weights are restored bitwise and both the parameters and the buffers
are checked bit-identical afterwards (recorded in the output).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch
from torch import Tensor, nn

from bnclaims.gpu_checks.curvature.functional_loss import buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.experiments import training as T
from bnclaims.gpu_checks.nets.normalizers import bn_mode

__all__ = ["SPEC", "READINGS", "weight_layers", "ics_probe", "ics_training"]

READINGS = ("natural", "matched")
SPEC: dict[str, tuple[Any, P.Check]] = {
    "norm": (P.REQUIRED, P.one_of("batch", "none")),
    "arch": ("mlp", P.one_of("mlp", "wrn")),
    "data": ("digits", P.one_of(*T.DATASETS)),
    "depth": (6, P.integer(1, 1000)),
    "width": (64, P.integer(1, 1 << 14)),
    "skip": (False, P.boolean),
    "steps": (200, P.integer(0, 1_000_000)),
    "lr": (0.1, P.real(0.0, strict=True)),
    "batch": (64, P.integer(2, 1437)),
    "probes": (5, P.integer(1, 1000)),
    "rho": (0.01, P.real(0.0, strict=True)),
}


def weight_layers(model: nn.Module) -> list[nn.Parameter]:
    """The weight matrices / conv kernels of ``model`` in forward order (every >= 2-dim parameter)."""
    return [p for p in model.parameters() if p.dim() >= 2]


def ics_probe(loss_fn: Callable[[], Tensor], weights: Sequence[nn.Parameter], *, lr: float,
              rho: float | None) -> dict[str, list[float]]:
    """Definition 2.1 for every layer i >= 2 (index 1..k-1 of ``weights``) at the current weights.

    ``loss_fn()`` is the loss on the fixed batch at the current parameter values. ``rho=None`` takes the
    SGD step ``-lr G_j`` for the earlier layers, a number the matched step ``-rho ||W_j|| G_j / ||G_j||``.
    The weights are changed in place and restored bitwise before returning.

    Returns per layer i = 2..k: ``ics`` ||G_i - G'_i||, ``rel_ics`` ||G_i - G'_i|| / ||G_i||, ``cos``
    cos(G_i, G'_i), ``grad_norm`` ||G_i||, and ``step_rel`` ||dW_{1:i-1}|| / ||W_{1:i-1}|| (concatenated).
    """
    saved = [w.detach().clone() for w in weights]
    grads = torch.autograd.grad(loss_fn(), list(weights))
    if rho is None:
        deltas = [-lr * g for g in grads]
    else:
        deltas = []
        for w, g in zip(saved, grads):
            gn = g.norm()
            if gn == 0:
                raise ValueError("a layer's gradient is exactly 0: the matched step has no direction")
            deltas.append(-rho * w.norm() * g / gn)
    out: dict[str, list[float]] = {"ics": [], "rel_ics": [], "cos": [], "grad_norm": [], "step_rel": []}
    d2 = w2 = 0.0
    try:
        for i in range(1, len(weights)):
            with torch.no_grad():
                weights[i - 1].add_(deltas[i - 1])  # W_1..W_{i-1} updated, W_i.. at their current values
            d2 += float(deltas[i - 1].double().pow(2).sum())
            w2 += float(saved[i - 1].double().pow(2).sum())
            (g_new,) = torch.autograd.grad(loss_fn(), [weights[i]])
            g, gp = grads[i].double(), g_new.double()
            diff = (g - gp).norm()
            out["ics"].append(float(diff))
            out["rel_ics"].append(float(diff / g.norm()))
            out["cos"].append(float((g * gp).sum() / (g.norm() * gp.norm())))
            out["grad_norm"].append(float(g.norm()))
            out["step_rel"].append(math.sqrt(d2 / w2))
    finally:
        with torch.no_grad():
            for w, s in zip(weights, saved):
                w.copy_(s)
    return {k: P.finite(k, v) for k, v in out.items()}


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def ics_training(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """ICS (Definition 2.1) per layer at ``probes`` evenly spaced steps of training, BN or not (Fig. 3).

    The model (:func:`bnclaims.gpu_checks.experiments.training.make_model`, torch-default init, shared by both arms
    of a seed) trains by plain SGD at ``lr`` for ``steps`` steps; before the updates at steps
    round(k * steps / probes), k = 0..probes-1, :func:`ics_probe` runs on that step's own batch in both
    readings (``natural`` at ``lr``, ``matched`` at relative size ``rho``).

    config: norm ("batch" or "none", required), arch ("mlp"), data ("digits"), depth (6), width (64),
    skip (False, wrn only), steps (200), lr (0.1), batch (64), probes (5), rho (0.01), device, dtype.

    Returns ``probe_steps``, ``layers`` (2..k, the head last), per reading r: ``<r>_ics``, ``<r>_rel_ics``,
    ``<r>_cos``, ``<r>_step_rel`` (lists over probes of lists over layers), the summaries
    ``<r>_log_ics`` / ``<r>_log_rel_ics`` (mean over probes and layers of the natural log) and
    ``<r>_mean_cos``, ``<r>_mean_step_rel`` (the natural step's relative size, mean over probes and
    layers), ``final_loss``, ``state_unchanged`` (parameters and buffers bit-identical after every probe).
    """
    cfg = P.parse_config(config, SPEC, "santurkar2018.ics_training")
    split = T.load_split(cfg["data"], dtype=cfg["dtype"], device=cfg["device"])
    model = T.make_model(arch=cfg["arch"], norm=cfg["norm"], depth=cfg["depth"], width=cfg["width"], seed=seed,
                         data=cfg["data"], skip=cfg["skip"], dtype=cfg["dtype"], device=cfg["device"])
    weights = weight_layers(model)
    if len(weights) < 2:
        raise ValueError("ICS needs at least two weight layers")
    probe_steps = sorted({round(k * cfg["steps"] / cfg["probes"]) for k in range(cfg["probes"])})
    unchanged: list[bool] = []

    def on_step(t: int, m: nn.Module, xb: Tensor, yb: Tensor) -> dict[str, Any]:
        bufs = buffer_snapshot(m)
        params = [p.detach().clone() for p in m.parameters()]

        def loss_fn() -> Tensor:
            with bn_mode("train"):
                return T.loss_of(m, xb, yb)

        rec = {r: ics_probe(loss_fn, weights, lr=cfg["lr"], rho=None if r == "natural" else cfg["rho"])
               for r in READINGS}
        unchanged.append(buffers_identical(m, bufs) and all(torch.equal(p, q) for p, q in zip(m.parameters(), params)))
        return rec

    log = T.train(model, split, steps=cfg["steps"], lr=cfg["lr"], batch=cfg["batch"], seed=seed,
                  on_step=on_step, hook_steps=tuple(probe_steps))
    if not all(unchanged):
        raise RuntimeError("an ICS probe changed the model's parameters or running statistics")
    out: dict[str, Any] = {"norm": cfg["norm"], "probe_steps": probe_steps,
                           "layers": list(range(2, len(weights) + 1)), "state_unchanged": True,
                           "final_loss": log.losses[-1] if log.losses else None,
                           "data": T.data_description(cfg["data"])}
    for r in READINGS:
        recs = [log.records[t][r] for t in probe_steps]
        for key in ("ics", "rel_ics", "cos", "step_rel"):
            out[f"{r}_{key}"] = [rec[key] for rec in recs]
        flat = lambda key: [v for rec in recs for v in rec[key]]  # noqa: E731
        if min(flat("ics")) <= 0:
            raise ValueError(f"{r} ICS is exactly 0 at some layer: its logarithm is undefined")
        out[f"{r}_log_ics"] = _mean([math.log(v) for v in flat("ics")])
        out[f"{r}_log_rel_ics"] = _mean([math.log(v) for v in flat("rel_ics")])
        out[f"{r}_mean_cos"] = _mean(flat("cos"))
        out[f"{r}_mean_step_rel"] = _mean(flat("step_rel"))
    return out
