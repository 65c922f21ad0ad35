"""Rao & Sohl-Dickstein, "Is Batch Norm unique?" (seed 003): the measurements at initialization behind
§3.1 (PreLayerNorm motivation, catalog C33), §4.1 (information propagation, Fig. 1a, C31/C32) and §4.3
(gradient explosion ranking, Fig. 2b, Table 2, C34).

@misc{rao2020batchnorm, title={Is Batch Norm unique? An empirical investigation and prescription to
  emulate the best properties of common normalizers without batch dependence}, author={Rao, Vinay and
  Sohl-Dickstein, Jascha}, year={2020}}

Normalizer definitions: seed 003, Table 1 (:mod:`bnclaims.gpu_checks.nets.normalizers`), evaluated under
``bn_mode("train")``: batch statistics of the batch at hand, differentiated through, never written.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.nets.data import fixed_batch, load_digits_tensors
from bnclaims.gpu_checks.nets.normalizers import KINDS, bn_mode

__all__ = ["RELMEAN_SPEC", "NOISY_SPEC", "CONV_SPEC", "relative_mean", "noisy_copy_correlation",
           "conv_gradient_ranking"]

RELMEAN_SPEC: dict[str, tuple[Any, P.Check]] = {
    "widths": ([64, 256, 1024, 4096], P.int_list(2, 1 << 14, min_len=2)),
    "batch": (64, P.integer(1, 1 << 16)),
    "draws": (1, P.integer(1, 1 << 12)),
    "act": ("relu", P.one_of(*P.ACTIVATIONS)),
}
NOISY_SPEC: dict[str, tuple[Any, P.Check]] = {
    "norm": ("batch", P.one_of(*KINDS)),
    "act": ("relu", P.one_of(*P.ACTIVATIONS)),
    "width": (512, P.integer(2, 1 << 15)),
    "batch": (64, P.integer(2, 1 << 16)),
    "depth": (30, P.integer(1, 10_000)),
    "noise": (0.1, P.real(0.0, strict=True)),
    "init": ("variance_preserving", P.one_of(*P.INITS)),
    "eps": (1e-5, P.real(0.0)),
}
CONV_SPEC: dict[str, tuple[Any, P.Check]] = {
    "norm": ("batch", P.one_of(*KINDS)),
    "channels": (16, P.integer(2, 4096)),
    "depth": (12, P.integer(3, 1000)),
    "batch": (32, P.integer(2, 1797)),
    "init": ("variance_preserving", P.one_of(*P.INITS)),
    "eps": (1e-5, P.real(0.0)),
}


def _relmean(v: Tensor) -> Tensor:
    """|mean over units| / rms over units, per sample (rows)."""
    return v.mean(dim=1).abs() / v.pow(2).mean(dim=1).sqrt()


def relative_mean(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Relative mean component of x = act(g) and of Wx across units (Rao & Sohl-Dickstein §3.1, C33).

    For each width N in ``widths`` (in order, all drawn from one generator), ``draws`` times: g ~ N(0, I_N),
    B samples, x = act(g) row-wise; W of shape N x N with i.i.d. N(0, 1/N) entries. relmean(v) =
    |mean_i v_i| / sqrt(mean_i v_i^2) over the N units of one sample, averaged over the B samples and the
    draws. Several draws of W matter: for one W, mean_i (Wx)_i = s^T x / N with s the column sums of W, and
    for ReLU features (mean 1/sqrt(2 pi)) it is dominated by the one scalar sum_j s_j ~ N(0, N), so a
    single W gives a relative mean of |Z| sqrt(2/(pi N)) up to noise, with Z ~ N(0, 1) one draw per width.

    config: widths ([64, 256, 1024, 4096]), batch (64), draws (1), act ("relu"), device, dtype.

    Returns ``widths``, ``relmean_x`` (~ 1/sqrt(pi) = 0.5642 for relu), ``relmean_wx`` (~ sqrt(2/(pi N))),
    ``loglog_slope_wx`` and ``loglog_slope_x`` (least-squares slopes of log relmean against log N:
    ~ -1/2 and ~ 0).
    """
    cfg = P.parse_config(config, RELMEAN_SPEC, "rao2020.relative_mean")
    if len(set(cfg["widths"])) < 2:
        raise ValueError(f"config['widths'] = {cfg['widths']}: a log-log slope needs two distinct widths")
    gen = P.generator(seed)
    act = P.ACTIVATIONS[cfg["act"]]
    rx, rwx = [], []
    for n in cfg["widths"]:
        sx, swx = [], []
        for _ in range(cfg["draws"]):
            x = act(P.randn(gen, (cfg["batch"], n), cfg))
            w = P.weight(gen, (n, n), "variance_preserving", 1.0, cfg)
            sx.append(_relmean(x).mean())
            swx.append(_relmean(x @ w.T).mean())
        rx.append(torch.stack(sx).mean())
        rwx.append(torch.stack(swx).mean())
    relx, relwx = P.finite("relmean_x", torch.stack(rx)), P.finite("relmean_wx", torch.stack(rwx))
    if min(relx) <= 0 or min(relwx) <= 0:
        raise ValueError("a relative mean is exactly 0; its logarithm is undefined")
    logn = [math.log(n) for n in cfg["widths"]]
    return {"widths": cfg["widths"], "relmean_x": relx, "relmean_wx": relwx,
            "loglog_slope_wx": P.ls_slope(logn, [math.log(v) for v in relwx]),
            "loglog_slope_x": P.ls_slope(logn, [math.log(v) for v in relx])}


def _pearson(a: Tensor, b: Tensor) -> Tensor:
    a, b = a.flatten() - a.mean(), b.flatten() - b.mean()
    return (a @ b) / (a.norm() * b.norm())


def noisy_copy_correlation(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Correlation of two noisy copies of a batch through depth (Rao & Sohl-Dickstein §4.1, Fig. 1a, C31/32).

    MLP h_l = act(norm(W_l h_{l-1})), l = 1..L, width N, weights N x N (:mod:`protocol` init; He for relu).
    Draws, in order: x ~ N(0, I) of shape (B, N), eps_1, eps_2 of the same shape, W_1..W_L. The copies
    x + noise * eps_1 and x + noise * eps_2 each go through the network as their own batch (batch
    statistics computed separately). At every depth l: the Pearson correlation of the flattened (B * N)
    post-activation h_l of copy 1 with that of copy 2.

    config: norm ("batch"), act ("relu"), width (512), batch (64), depth (30), noise (0.1),
    init ("variance_preserving"), eps (1e-5), device, dtype.

    Returns ``depths`` [1..L], ``correlation``, ``noise`` and ``measure`` (the definition, as text).
    """
    cfg = P.parse_config(config, NOISY_SPEC, "rao2020.noisy_copy_correlation")
    n, b = cfg["width"], cfg["batch"]
    gen = P.generator(seed)
    x = P.randn(gen, (b, n), cfg)
    x1, x2 = x + cfg["noise"] * P.randn(gen, (b, n), cfg), x + cfg["noise"] * P.randn(gen, (b, n), cfg)
    layers = P.build_mlp(gen, cfg, width=n, depth=cfg["depth"], norm=cfg["norm"], act=cfg["act"],
                         sigma_w2=P.init_variance(cfg["init"], cfg["act"], None), init=cfg["init"], eps=cfg["eps"])
    corr = torch.stack([_pearson(a, c) for a, c in zip(P.forward(layers, x1), P.forward(layers, x2))])
    return {"depths": list(range(1, cfg["depth"] + 1)), "correlation": P.finite("correlation", corr),
            "noise": cfg["noise"],
            "measure": "Pearson correlation of flattened post-activation h_l of the two copies"}


@lru_cache(maxsize=1)
def _digits() -> tuple[Tensor, Tensor]:
    return load_digits_tensors(dtype=torch.float64)


def conv_gradient_ranking(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Per-layer weight-gradient size of a plain conv net at initialization (Rao §4.3, Fig. 2b, Table 2; C34).

    Net: ``depth`` layers h_l = relu(norm(conv3x3(norm.pre(h_{l-1}), W_l))) (stride 1, padding 1, no
    bias; 1 -> C channels, then C -> C), global average pool, a linear head C -> 10 (N(0, 1/C), zero
    bias); cross-entropy (mean over the batch) on ``batch`` scikit-learn digits as (B, 1, 8, 8) with their
    labels (:func:`bnclaims.gpu_checks.nets.data.fixed_batch` with ``seed``). Conv weights: :mod:`protocol` init
    (He: variance 2 / (9 C_in)), drawn W_1..W_L then the head. Conv BN statistics average over B * 8 * 8.

    For each layer l: ||dL/dW_l||_F * ||W_l||_F, which is invariant to rescaling W_l under a
    scale-invariant normalizer (||grad W|| ~ 1/||W||). ``log_rate`` is the least-squares slope of its
    natural log against -l over layers 2..L (layer 1 has a different fan-in and is excluded), so a positive
    value means growth toward the input, per layer, in *norm* (not squared norm).

    config: norm ("batch"), channels (16), depth (12, >= 3), batch (32), init ("variance_preserving"),
    eps (1e-5), device, dtype.

    Returns ``norm``, ``layers`` [1..L], ``grad_times_weight``, ``grad_norm``, ``weight_norm``, ``log_rate``
    and ``fit_layers`` [2, L].
    """
    cfg = P.parse_config(config, CONV_SPEC, "rao2020.conv_gradient_ranking")
    c, depth = cfg["channels"], cfg["depth"]
    xs, ys = _digits()
    x, y = fixed_batch(xs, ys, cfg["batch"], seed)
    x, y = x.to(device=cfg["device"], dtype=cfg["dtype"]).view(-1, 1, 8, 8), y.to(cfg["device"])
    gen = P.generator(seed)
    sigma_w2 = P.init_variance(cfg["init"], "relu", None)
    ws = [P.weight(gen, (c, 1 if l == 0 else c, 3, 3), cfg["init"], sigma_w2, cfg).requires_grad_(True)
          for l in range(depth)]
    head = P.weight(gen, (10, c), "variance_preserving", 1.0, cfg)
    norms = [P.make_normalizer(cfg["norm"], c, cfg, cfg["eps"]) for _ in range(depth)]
    h = x
    with bn_mode("train"):
        for w, norm in zip(ws, norms):
            h = torch.relu(norm(F.conv2d(norm.pre(h), w, padding=1)))
        loss = F.cross_entropy(h.mean(dim=(2, 3)) @ head.T, y)
    grads = torch.autograd.grad(loss, ws)
    gn = torch.stack([g.norm() for g in grads])
    wn = torch.stack([w.detach().norm() for w in ws])
    gw = P.finite("grad_times_weight", gn * wn)
    if min(gw[1:]) <= 0.0:
        raise ValueError("a weight gradient is exactly 0 (dead network?); log_rate is undefined")
    layers = list(range(1, depth + 1))
    return {"norm": cfg["norm"], "layers": layers, "grad_times_weight": gw,
            "grad_norm": P.finite("grad_norm", gn), "weight_norm": P.finite("weight_norm", wn),
            "log_rate": P.ls_slope([-l for l in layers[1:]], [math.log(v) for v in gw[1:]]),
            "fit_layers": [2, depth]}
