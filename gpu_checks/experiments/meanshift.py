"""Mean shift: without normalization, ReLU networks align independent inputs with depth (De & Smith 2020;
blog notes 002, advantage (2); catalog C30).

@inproceedings{de2020batch, title={Batch Normalization Biases Residual Blocks Towards the Identity
  Function in Deep Networks}, author={De, Soham and Smith, Samuel L.}, booktitle={NeurIPS}, year={2020}}

ReLU outputs have a positive mean; the next layer's weights map that shared mean to a shared direction,
so the representations of independent inputs become more and more similar with depth (cosine -> 1).
BN subtracts the per-unit batch mean before every ReLU: the cosine stays at its one-layer value,
E[relu(a) relu(b)] / E[relu(a)^2] = 1/pi for independent a, b ~ N(0, 1).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.nets.normalizers import KINDS

__all__ = ["SPEC", "pairwise_cosine"]

SPEC: dict[str, tuple[Any, P.Check]] = {
    "norm": ("none", P.one_of(*KINDS)),
    "act": ("relu", P.one_of(*P.ACTIVATIONS)),
    "width": (512, P.integer(2, 1 << 15)),
    "batch": (64, P.integer(2, 1 << 16)),
    "depth": (30, P.integer(1, 10_000)),
    "init": ("variance_preserving", P.one_of(*P.INITS)),
    "eps": (1e-5, P.real(0.0)),
}


def _mean_offdiagonal_cosine(h: Tensor) -> Tensor:
    """Mean of cos(h_a, h_b) over ordered pairs a != b of rows."""
    u = h / h.norm(dim=1, keepdim=True)
    s = u.sum(dim=0)
    b = h.shape[0]
    return ((s @ s) - (u * u).sum()) / (b * (b - 1))


def pairwise_cosine(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Mean pairwise cosine similarity of independent examples' representations through depth (C30).

    MLP h_l = act(norm(W_l h_{l-1})), l = 1..L, width N (:mod:`protocol` init: He for relu), batch
    statistics in ``bn_mode("train")``. Draws, in order: x ~ N(0, I) of shape (B, N) (B independent
    examples), W_1..W_L. At every depth l: the mean over the B (B - 1) ordered pairs of distinct examples
    a != b of cos(h_l[a], h_l[b]), h_l post-activation.

    config: norm ("none"), act ("relu"), width (512), batch (64), depth (30), init ("variance_preserving"),
    eps (1e-5), device, dtype.

    Returns ``depths`` [1..L] and ``cosine``.
    """
    cfg = P.parse_config(config, SPEC, "meanshift.pairwise_cosine")
    gen = P.generator(seed)
    x = P.randn(gen, (cfg["batch"], cfg["width"]), cfg)
    layers = P.build_mlp(gen, cfg, width=cfg["width"], depth=cfg["depth"], norm=cfg["norm"], act=cfg["act"],
                         sigma_w2=P.init_variance(cfg["init"], cfg["act"], None), init=cfg["init"], eps=cfg["eps"])
    cos = torch.stack([_mean_offdiagonal_cosine(h) for h in P.forward(layers, x)])
    return {"depths": list(range(1, cfg["depth"] + 1)), "cosine": P.finite("cosine", cos)}
