"""Santurkar et al. 2018, Theorems 4.1 and 4.2 (catalog C04, C05) measured inside trained networks: at every BN
layer, at initialization and after training, in the network's working precision.

@inproceedings{santurkar2018how, title={How Does Batch Normalization Help Optimization?}, author={Santurkar,
  Shibani and Tsipras, Dimitris and Ilyas, Andrew and Madry, Aleksander}, booktitle={NeurIPS}, year={2018}}

For one BN layer with pre-BN activations y (unit j = feature or channel; its batch y_j has m = N (MLP) or
m = N H W (conv) entries), z_j = gamma_j yhat_j + beta_j, yhat_j = (y_j - mu_j)/s_j, s_j^2 = sigma_j^2 + eps
(torch's eps = 1e-5), and Lhat(y) the network's training loss (cross-entropy, batch statistics in every
BN layer) as a function of y with everything below the layer held fixed. g = dL/dz, v = dLhat/dy. The
layer-level forms checked (derived from the unit-level proofs in :mod:`bnclaims.theory.santurkar2018_layer`):

* **Thm 4.1, per unit** (BN's Jacobian is block-diagonal over units, so v_j depends on g_j only):
  ||v_j||^2 = gamma_j^2/s_j^2 (||g_j||^2 - <1,g_j>^2/m - (2 - r_j)/m <g_j,yhat_j>^2), r_j = sigma_j^2/s_j^2,
  the exact eps > 0 form (the printed 1/m form is its eps = 0 case and an upper bound with sigma^2 -> s^2).
* **Thm 4.2, layer and unit**: for a direction w (w = v, or v restricted to unit j: the unit's diagonal
  block, Santurkar's per-unit statement), centred per unit, a_j = <yhat_j, w_j>, q_j = <g_j, yhat_j>:
  w^T (d^2 Lhat/dy^2) w = (Jw)^T H (Jw) - sum_j gamma_j/(m s_j^2) (q_j ||w_j||^2 + 2 a_j <g_j,w_j> - 3 q_j a_j^2/m),
  H = d^2 L/dz^2 (couples units), (Jw)_j = (gamma_j/s_j)(w_j - yhat_j a_j/m). At eps = 0, a_j = 0 and
  (Jw)_j = (gamma_j/sigma_j) w_j: Thm 4.2 with gamma^2/sigma^2 moved inside the coupled quadratic form.

Measured by autograd in the working precision: v (one backward), the left-hand side of Thm 4.2 by an HVP
(double backward from the layer's pre-BN activations up), H (Jw) by an HVP of the loss as a function of
the BN output z. The right-hand sides' BN terms are evaluated in float64 from the captured y, g, v, gamma.
Each residual is divided by its rounding tolerance (``bnclaims.tolerances``):

* Thm 4.1: |lhs - rhs| / (gamma^2/s^2 ||g||^2) against c41 u kappa_j log2(m), kappa_j = 1 + max|y_j|/s_j
  (the condition of y - mu), u the unit roundoff of the working precision;
* Thm 4.2: |lhs - rhs| / (||w|| ||Hhat w|| + ||Jw|| ||H Jw|| + sum_j |BN terms|) against c42 u kappa log2(m),
  kappa the largest kappa_j of the layer.

The false twins are evaluated on the same numbers: Thm 4.1 with 2/m (for eps > 0 the twin's bound
gamma^2/s^2 (... - 2/m <g,yhat>^2), exceeded by r q^2 gamma^2/(m s^2)) and Thm 4.2 with the BN term's sign
flipped. Running statistics are bit-identical before and after every analysis (``bn_mode("train")``).
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from bnclaims.tolerances import tol
from bnclaims.gpu_checks.curvature.functional_loss import buffer_snapshot, buffers_identical
from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.experiments.training import DATASETS, data_description, load_split, loss_of, make_model, train
from bnclaims.gpu_checks.nets.normalizers import Normalizer, bn_mode

__all__ = ["SPEC", "layer_theorems", "analyze", "unit_roundoff"]

SPEC: dict[str, tuple[Any, P.Check]] = {
    "arch": ("mlp", P.one_of("mlp", "resmlp", "wrn")),
    "data": ("digits", P.one_of(*DATASETS)),
    "depth": (3, P.integer(1, 1000)),
    "width": (64, P.integer(1, 1 << 14)),
    "skip": (True, P.boolean),
    "steps": (100, P.integer(0, 10 ** 7)),
    "lr": (0.1, P.real(0.0, strict=True)),
    "momentum": (0.9, P.real(0.0)),
    "batch": (128, P.integer(2, 1437)),
    "units": (2, P.integer(0, 1 << 14)),
}
FLOOR = 1e-6  # ratios below this are recorded as this (their log10 is then -6, never -inf)


def unit_roundoff(dtype: torch.dtype) -> float:
    """u = eps_machine / 2 of ``dtype`` (2^-24 for float32, 2^-53 for float64)."""
    return torch.finfo(dtype).eps / 2


def _units(t: Tensor) -> Tensor:
    """(N, C, ...) -> (C, m) in float64: one row per unit, m = N * prod(spatial)."""
    return t.detach().double().transpose(0, 1).reshape(t.shape[1], -1)


def _back(u: Tensor, like: Tensor) -> Tensor:
    """Inverse of :func:`_units`, cast to ``like``'s dtype."""
    shape = (like.shape[1], like.shape[0]) + tuple(like.shape[2:])
    return u.reshape(shape).transpose(0, 1).to(like.dtype).contiguous()


def _stats(y: Tensor, eps: float) -> dict[str, Tensor]:
    m = y.shape[1]
    mu = y.mean(dim=1, keepdim=True)
    var = ((y - mu) ** 2).mean(dim=1)
    s2 = var + eps
    yhat = (y - mu) / s2.sqrt()[:, None]
    return {"m": torch.tensor(float(m)), "var": var, "s2": s2, "r": var / s2, "yhat": yhat,
            "yhat0": (y - mu) / var.sqrt()[:, None], "kappa": 1 + y.abs().max(dim=1).values / s2.sqrt()}


def _thm41(y: Tensor, g: Tensor, v: Tensor, gamma: Tensor, eps: float, u: float) -> dict[str, Any]:
    """Per-unit Thm 4.1 residuals (float64), in units of the rounding tolerance."""
    st = _stats(y, eps)
    m = y.shape[1]
    q, q0 = (g * st["yhat"]).sum(1), (g * st["yhat0"]).sum(1)
    p, gg, lhs = g.sum(1), (g * g).sum(1), (v * v).sum(1)
    base = gg - p * p / m
    k = gamma ** 2 / st["s2"]
    rhs = k * (base - (2 - st["r"]) * q * q / m)
    bound = k * (base - q * q / m)
    twin = k * (base - 2 * q * q / m)
    eps0 = gamma ** 2 / st["var"] * (base - q0 * q0 / m)
    scale = k * gg
    live = scale > 0
    tl = tol("experiments.bn_layer_theorems.thm41_c") * u * st["kappa"] * math.log2(m)
    den = torch.where(live, scale, torch.ones_like(scale))
    res = torch.where(live, (lhs - rhs).abs() / den / tl, torch.zeros_like(scale))
    worst = int(res.argmax())
    return {"identity": res, "bound": torch.where(live, (lhs - bound) / den / tl, torch.zeros_like(scale)),
            "twin": torch.where(live, (lhs - twin) / den / tl, torch.zeros_like(scale)),
            "eps0_rel": torch.where(live, (lhs - eps0).abs() / den, torch.zeros_like(scale)),
            "live": int(live.sum()), "units": y.shape[0],
            "worst": {"unit": worst, "lhs": float(lhs[worst]), "rhs": float(rhs[worst]),
                      "error": float((lhs - rhs).abs()[worst]), "scale": float(scale[worst]),
                      "tolerance": float(tl[worst] * scale[worst]), "kappa": float(st["kappa"][worst]), "m": m}}


def _bn_terms(st: dict[str, Tensor], g: Tensor, w: Tensor, gamma: Tensor) -> tuple[Tensor, Tensor]:
    """Per unit: the BN second-order term of Thm 4.2 (eps > 0 form) and the sum of its parts' magnitudes."""
    m = w.shape[1]
    a = (st["yhat"] * w).sum(1)
    q = (g * st["yhat"]).sum(1)
    parts = torch.stack([q * (w * w).sum(1), 2 * a * (g * w).sum(1), -3 * q * a * a / m])
    c = -gamma / (m * st["s2"])
    return c * parts.sum(0), (c.abs() * parts.abs()).sum(0)


def _jw(st: dict[str, Tensor], w: Tensor, gamma: Tensor) -> Tensor:
    m = w.shape[1]
    a = (st["yhat"] * w).sum(1, keepdim=True)
    return (gamma / st["s2"].sqrt())[:, None] * (w - w.mean(1, keepdim=True) - st["yhat"] * a / m)


def _dot(a: Tensor, b: Tensor) -> float:
    return float((a.double() * b.double()).sum())


def _thm42(model, norm: Normalizer, xb: Tensor, yb: Tensor, units: list[int], u: float) -> dict[str, Any]:
    """Thm 4.2 at one BN layer: layer direction v and v restricted to each unit of ``units``."""
    box: dict[str, Tensor] = {}

    def pre(mod, inp):
        box["y"] = inp[0].detach().requires_grad_(True)
        return (box["y"],)

    h = norm.register_forward_pre_hook(pre)
    try:
        loss = loss_of(model, xb, yb)
    finally:
        h.remove()
    y = box["y"]
    (v,) = torch.autograd.grad(loss, y, create_graph=True)

    def post(mod, inp, out):
        box["z"] = out.detach().requires_grad_(True)
        return box["z"]

    h = norm.register_forward_hook(post)
    try:
        loss_z = loss_of(model, xb, yb)
    finally:
        h.remove()
    z = box["z"]
    (g,) = torch.autograd.grad(loss_z, z, create_graph=True)
    Y, G, V = _units(y), _units(g), _units(v)
    st = _stats(Y, norm.eps)
    gamma = norm.weight.detach().double()
    V = V - V.mean(1, keepdim=True)  # the Hessian of Lhat annihilates 1 per unit (BN is shift invariant)
    kappa = st["kappa"]
    m = Y.shape[1]
    dirs = [("layer", torch.ones(Y.shape[0], dtype=torch.bool))]
    dirs += [(f"unit {j}", torch.arange(Y.shape[0]) == j) for j in units]
    out, hvps = [], 0
    for name, mask in dirs:
        W = V * mask[:, None]
        w = _back(W, y)
        (hw,) = torch.autograd.grad(v, y, w, retain_graph=True)
        U = _jw(st, W, gamma) * mask[:, None]
        ju = _back(U, z)
        (hu,) = torch.autograd.grad(g, z, ju, retain_graph=True)
        terms, mags = _bn_terms(st, G, W, gamma)
        bn, mag = float(terms[mask].sum()), float(mags[mask].sum())
        lhs, uhu = _dot(w, hw), _dot(ju, hu)
        scale = float(w.double().norm() * hw.double().norm() + ju.double().norm() * hu.double().norm()) + mag
        tl = tol("experiments.bn_layer_theorems.thm42_c") * u * float(kappa[mask].max()) * math.log2(m)
        rec = {"direction": name, "lhs": lhs, "rhs": uhu + bn, "hjw_term": uhu, "bn_term": bn, "scale": scale,
               "tolerance": tl * scale, "error": abs(lhs - uhu - bn)}
        den = scale if scale > 0 else 1.0
        rec["identity"] = rec["error"] / den / tl
        rec["twin"] = abs(lhs - uhu + bn) / den / tl
        hvps += 2
        if name == "layer":  # the printed eps = 0 form: gamma/sigma scaling, no eps corrections
            U0 = (gamma / st["var"].sqrt())[:, None] * W
            u0 = _back(U0, z)
            (h0,) = torch.autograd.grad(g, z, u0, retain_graph=True)
            q0 = (G * st["yhat0"]).sum(1)
            lit = _dot(u0, h0) - float((gamma * q0 * (W * W).sum(1) / (m * st["var"])).sum())
            rec["eps0_rel"] = abs(lhs - lit) / den
            hvps += 1
        out.append(rec)
    return {"directions": out, "hvps": hvps, "m": m}


def analyze(model: torch.nn.Module, xb: Tensor, yb: Tensor, *, units: int, seed: int) -> dict[str, Any]:
    """Thm 4.1 and 4.2 at every BN layer of ``model`` on the batch (xb, yb); running statistics untouched."""
    norms = [mod for mod in model.modules() if isinstance(mod, Normalizer) and mod.kind == "batch"]
    if not norms:
        raise ValueError("the model has no BN layer (norm 'batch'): nothing to check")
    u = unit_roundoff(xb.dtype)
    snap = buffer_snapshot(model)
    ins: dict[int, Tensor] = {}
    outs: dict[int, Tensor] = {}

    def hook(mod, inp, out):
        ins[id(mod)], outs[id(mod)] = inp[0], out

    handles = [n.register_forward_hook(hook) for n in norms]
    gen = torch.Generator().manual_seed(seed)
    with bn_mode("train"):
        try:
            loss = loss_of(model, xb, yb)
        finally:
            for h in handles:
                h.remove()
        grads = torch.autograd.grad(loss, [ins[id(n)] for n in norms] + [outs[id(n)] for n in norms])
        layers = []
        for i, n in enumerate(norms):
            v, g = grads[i], grads[len(norms) + i]
            t41 = _thm41(_units(ins[id(n)]), _units(g), _units(v), n.weight.detach().double(), n.eps, u)
            pick = torch.randperm(n.channels, generator=gen)[:units].tolist()
            t42 = _thm42(model, n, xb, yb, pick, u)
            layers.append({"layer": i, "m": t42["m"], "thm41": t41, "thm42": t42})
    return {"layers": layers, "buffers_unchanged": buffers_identical(model, snap), "loss": float(loss.detach())}


def _summary(at: dict[int, dict]) -> dict[str, Any]:
    def mx(vals):
        return max(max(float(x) for x in vals), FLOOR)

    r: dict[str, Any] = {"steps": sorted(at), "per_layer": []}
    keys41 = ("identity", "bound", "twin", "eps0_rel")
    for k in keys41:
        r[f"thm41_{k}"] = mx(float(L["thm41"][k].max()) for a in at.values() for L in a["layers"])
    for k in ("identity", "twin"):
        r[f"thm42_{k}"] = mx(d[k] for a in at.values() for L in a["layers"] for d in L["thm42"]["directions"])
    r["thm42_eps0_rel"] = mx(d["eps0_rel"] for a in at.values() for L in a["layers"]
                             for d in L["thm42"]["directions"] if "eps0_rel" in d)
    worst41 = max(((t, L) for t, a in at.items() for L in a["layers"]), key=lambda p: float(p[1]["thm41"]["identity"].max()))
    worst42 = max(((t, L["layer"], d) for t, a in at.items() for L in a["layers"] for d in L["thm42"]["directions"]),
                  key=lambda p: p[2]["identity"])
    r["worst_thm41"] = {"step": worst41[0], "layer": worst41[1]["layer"], **worst41[1]["thm41"]["worst"]}
    r["worst_thm42"] = {"step": worst42[0], "layer": worst42[1], **{k: v for k, v in worst42[2].items()}}
    for t, a in sorted(at.items()):
        for L in a["layers"]:
            dl = L["thm42"]["directions"][0]
            r["per_layer"].append({"step": t, "layer": L["layer"], "m": L["m"],
                                   "thm41_identity": mx([L["thm41"]["identity"].max()]),
                                   "thm41_twin": mx([L["thm41"]["twin"].max()]),
                                   "thm42_identity": mx(d["identity"] for d in L["thm42"]["directions"]),
                                   "thm42_twin": mx(d["twin"] for d in L["thm42"]["directions"]),
                                   "thm42_layer_lhs": dl["lhs"], "thm42_layer_bn_term": dl["bn_term"]})
    r["units_checked"] = sum(L["thm41"]["live"] for a in at.values() for L in a["layers"])
    r["units_total"] = sum(L["thm41"]["units"] for a in at.values() for L in a["layers"])
    r["hvps"] = sum(L["thm42"]["hvps"] for a in at.values() for L in a["layers"])
    r["buffers_unchanged"] = all(a["buffers_unchanged"] for a in at.values())
    return r


def layer_theorems(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Thm 4.1 and 4.2 residuals at every BN layer, at step 0 and after ``steps`` SGD steps (Santurkar §4.1).

    config: arch ("mlp"), data ("digits"), depth (3), width (64), skip (true), steps (100), lr (0.1),
    momentum (0.9), batch (128: the training batch and the analysed batch, the next one in the data order),
    units (2: per layer, units whose diagonal block of Thm 4.2 is checked, drawn with the seed), device,
    dtype (the working precision).

    Returns, as ratios to the rounding tolerance (floored at 1e-6): ``thm41_identity`` (largest over steps,
    layers and units), ``thm41_bound`` (largest excess over the 1/m bound with s^2), ``thm41_twin`` (largest
    excess over the 2/m twin), ``thm42_identity`` and ``thm42_twin`` (largest over steps, layers and
    directions); relative deviations of the printed eps = 0 forms ``thm41_eps0_rel``, ``thm42_eps0_rel``;
    ``worst_thm41``/``worst_thm42`` (values, error, tolerance of the largest residual), ``per_layer``,
    ``units_checked`` (units with a nonzero upstream gradient), ``hvps``, ``buffers_unchanged``, ``unit_roundoff``,
    ``final_loss`` and ``data``.
    """
    cfg = P.parse_config(config, SPEC, "bn_layer_theorems.layer_theorems")
    if cfg["arch"] == "wrn" and cfg["data"] == "digits":
        raise ValueError("config['arch'] = 'wrn' needs image data: data 'digits_image' or 'cifar_shaped'")
    split = load_split(cfg["data"], dtype=cfg["dtype"], device=cfg["device"])
    model = make_model(arch=cfg["arch"], norm="batch", depth=cfg["depth"], width=cfg["width"], seed=seed,
                       data=cfg["data"], skip=cfg["skip"], dtype=cfg["dtype"], device=cfg["device"])

    def on_step(t, mod, xb, yb):
        return analyze(mod, xb, yb, units=cfg["units"], seed=seed + t)

    log = train(model, split, steps=cfg["steps"], lr=cfg["lr"], batch=cfg["batch"], seed=seed,
                momentum=cfg["momentum"], on_step=on_step, hook_steps=(0, cfg["steps"]))
    out = _summary(log.records)
    for k in ("thm41_identity", "thm41_bound", "thm41_twin", "thm41_eps0_rel", "thm42_identity", "thm42_twin",
              "thm42_eps0_rel"):
        out[k] = P.finite(k, out[k])
    out.update(unit_roundoff=unit_roundoff(cfg["dtype"]), data=data_description(cfg["data"]),
               final_loss=P.finite("final_loss", log.losses[-1]) if log.losses else None)
    return out
