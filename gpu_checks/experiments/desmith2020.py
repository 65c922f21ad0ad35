"""BN downscales the residual branch at initialization (De & Smith 2020, §2-3; catalog C23).

@inproceedings{de2020batch, title={Batch Normalization Biases Residual Blocks Towards the Identity
  Function in Deep Networks}, author={De, Soham and Smith, Samuel L.}, booktitle={NeurIPS}, year={2020}}

With identity-skip pre-activation blocks x_{l+1} = x_l + f_l(x_l), f_l(x) = W_l relu(norm(x)), the branch
is uncorrelated with the skip at initialization, so Var(x_{l+1}) = Var(x_l) + Var(f_l(x_l)). With BN on
the branch Var f_l ~ 1 (He init: 2 E[relu(z)^2] = 1), so the second moment grows linearly, ~ 1 + l; without
normalization Var f_l ~ Var x_l and it doubles per block, ~ 2^l.
"""
from __future__ import annotations

from typing import Any

import torch

from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.nets.normalizers import bn_mode

__all__ = ["SPEC", "NORMS", "residual_second_moment"]

NORMS = ("batch", "layer", "none")
SPEC: dict[str, tuple[Any, P.Check]] = {
    "norm": ("batch", P.one_of(*NORMS)),
    "width": (256, P.integer(1, 1 << 15)),
    "batch": (64, P.integer(2, 1 << 16)),
    "blocks": (12, P.integer(2, 10_000)),
    "eps": (1e-5, P.real(0.0)),
}


def residual_second_moment(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Second moment and batch variance of the residual stream x_l, l = 0..L, at initialization.

    x_0 ~ N(0, I) of shape (B, N); x_{l+1} = x_l + W_l relu(norm(x_l)), W_l of shape N x N with i.i.d.
    N(0, 2/N) entries (He), drawn after x_0 in block order; the normalizer runs in ``bn_mode("train")``.

    config: norm ("batch"; "layer" or "none"), width N (256), batch B (64), blocks L (12, >= 2),
    eps (1e-5), device ("cpu"), dtype ("float32").

    Returns ``blocks`` [0..L]; ``second_moment`` (mean over batch and units of x_l^2); ``batch_variance``
    (per-unit biased variance over the batch, averaged over units); ``slope`` (least-squares slope of
    second_moment against l, ~ 1 with BN); ``log2_growth`` (slope of log2 second_moment against l, ~ 1
    without normalization); ``batch_variance_slope`` (slope of batch_variance against l: below 1 with BN,
    since relu(BN x) has a per-unit batch mean 1/sqrt(2 pi) that W_l turns into a per-unit offset).
    All fits use every l = 0..L.
    """
    cfg = P.parse_config(config, SPEC, "desmith2020.residual_second_moment")
    n, b, depth = cfg["width"], cfg["batch"], cfg["blocks"]
    gen = P.generator(seed)
    x = P.randn(gen, (b, n), cfg)
    second, bvar = [x.pow(2).mean()], [x.var(dim=0, correction=0).mean()]
    with torch.no_grad(), bn_mode("train"):
        for _ in range(depth):
            norm = P.make_normalizer(cfg["norm"], n, cfg, cfg["eps"])
            w = P.weight(gen, (n, n), "variance_preserving", 2.0, cfg)
            x = x + torch.relu(norm(x)) @ w.T
            second.append(x.pow(2).mean())
            bvar.append(x.var(dim=0, correction=0).mean())
    sm = P.finite("second_moment", torch.stack(second))
    bv = P.finite("batch_variance", torch.stack(bvar))
    ls = list(range(depth + 1))
    if min(sm) <= 0.0:
        raise ValueError("second_moment underflowed to 0; log2_growth is undefined")
    return {"blocks": ls, "second_moment": sm, "batch_variance": bv, "slope": P.ls_slope(ls, sm),
            "log2_growth": P.ls_slope(ls, torch.tensor(sm, dtype=torch.float64).log2().tolist()),
            "batch_variance_slope": P.ls_slope(ls, bv)}
