"""Gradient explosion at initialization in deep BN networks (Yang et al. 2019, §3.1.2, Thm 8-9; catalog
C19-C22).

@inproceedings{yang2019mean, title={A Mean Field Theory of Batch Normalization}, author={Yang, Greg and
  Pennington, Jeffrey and Rao, Vinay and Sohl-Dickstein, Jascha and Schoenholz, Samuel S.},
  booktitle={ICLR}, year={2019}}

Yang et al. predict that the *squared* gradient norm of a plain BN MLP at initialization grows by a
constant factor per layer going down: (B-2)/(B-3) for linear nets (Thm 8), decreasing to
E[phi'(z)^2] / Var phi(z) (pi/(pi-1) for relu) as B -> infinity, above 1 for every non-affine phi (Thm 9).
:func:`gradient_profile` measures that factor. :func:`build` exposes the network it measures, so that
tests can check the profile against one plain backward pass.
"""
from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from bnclaims.gpu_checks.experiments import protocol as P
from bnclaims.gpu_checks.nets.normalizers import BATCH_KINDS, KINDS

__all__ = ["SPEC", "FIT_START", "FIT_END_OFFSET", "build", "gradient_profile"]

# The fit skips the transients: the forward pass settles within a few layers of the input, the backward
# pass within a few layers of the top.
FIT_START, FIT_END_OFFSET = 8, 5

SPEC: dict[str, tuple[Any, P.Check]] = {
    "norm": ("batch", P.one_of(*KINDS)),
    "act": ("relu", P.one_of(*P.ACTIVATIONS)),
    "width": (256, P.integer(2, 1 << 15)),
    "batch": (32, P.integer(1, 1 << 16)),
    "depth": (40, P.integer(1, 10_000)),
    "skip": (False, P.boolean),
    "init": ("variance_preserving", P.one_of(*P.INITS)),
    "sigma_w2": (None, P.optional(P.real(0.0, strict=True))),
    "input": ("gaussian", P.one_of("gaussian")),
    "upstream": ("gaussian", P.one_of("gaussian", "constant")),
    "eps": (1e-5, P.real(0.0)),
}


def build(config: dict[str, Any], seed: int) -> tuple[list[P.Dense], Tensor, Tensor, dict[str, Any]]:
    """(layers, x, G, parsed config) of :func:`gradient_profile`; draws x, W_1..W_L, G in that order."""
    cfg = P.parse_config(config, SPEC, "yang2019.gradient_profile")
    n, b, depth = cfg["width"], cfg["batch"], cfg["depth"]
    if depth < FIT_START + FIT_END_OFFSET + 1:
        raise ValueError(f"config['depth'] = {depth}: the fit range [{FIT_START}, L - {FIT_END_OFFSET}] needs "
                         f"depth >= {FIT_START + FIT_END_OFFSET + 1}")
    if cfg["norm"] in BATCH_KINDS and b < 2:
        raise ValueError(f"config['batch'] = {b}: norm {cfg['norm']!r} uses batch statistics, needs batch >= 2")
    sigma_w2 = P.init_variance(cfg["init"], cfg["act"], cfg["sigma_w2"])
    gen = P.generator(seed)
    x = P.randn(gen, (b, n), cfg)
    layers = P.build_mlp(gen, cfg, width=n, depth=depth, norm=cfg["norm"], act=cfg["act"], sigma_w2=sigma_w2,
                         init=cfg["init"], skip=cfg["skip"], eps=cfg["eps"])
    if cfg["upstream"] == "gaussian":
        g = P.randn(gen, (b, n), cfg)
    else:
        g = P.randn(gen, (1, n), cfg).expand(b, n).contiguous()
    cfg["sigma_w2"] = sigma_w2
    return layers, x, g, cfg


def _rate(slope: float) -> float:
    try:
        return math.exp(-slope)
    except OverflowError:
        raise ValueError(f"rate exp(-slope) overflows at slope {slope}") from None


def gradient_profile(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Per-layer squared gradient norm of an MLP at initialization, and its per-layer growth rate.

    Network (N = ``width``, B = ``batch``, L = ``depth``): h_0 = x ~ N(0, I), shape (B, N);
    h_l = act(norm(W_l h_{l-1})) (``skip`` false) or h_{l-1} + act(norm(W_l h_{l-1})) (``skip`` true),
    l = 1..L, every W_l of shape N x N (see :mod:`protocol` for ``init``, ``sigma_w2``, the zero biases and
    the normalizer, which runs under ``bn_mode("train")``). The loss is <G, h_L> with G ~ N(0, I) of shape
    (B, N): a per-sample upstream gradient. ``upstream = "constant"`` uses one Gaussian row for every
    sample instead; BN's backward map annihilates it exactly (P 1 = 0), so it only serves to show why.

    config: norm ("batch"), act ("relu"), width (256), batch (32), depth (40, >= 14), skip (false),
    init ("variance_preserving"), sigma_w2 (None: :func:`protocol.default_sigma_w2`), input ("gaussian"),
    upstream ("gaussian"), eps (1e-5), device ("cpu"), dtype ("float32").

    Returns ``log_sq_norm`` (log ||dL/dh_l||^2, natural log, l = 0 the input .. L the top, entry L being
    log ||G||^2), ``slope`` (least-squares slope of log_sq_norm against l over l in ``fit_range`` =
    [8, L-5], inclusive), ``rate`` = exp(-slope): the factor by which the squared gradient norm grows per
    layer going *down* toward the input (rate > 1: explosion; Yang's lambda), ``forward_sq_norm`` (mean
    over batch and units of h_l^2, l = 0..L) and ``sigma_w2`` (the weight variance used).
    """
    layers, x, g, cfg = build(config, seed)
    profile, fwd = P.renormalized_backward(layers, x, g)
    lo, hi = FIT_START, cfg["depth"] - FIT_END_OFFSET
    slope = P.ls_slope(list(range(lo, hi + 1)), profile[lo:hi + 1])
    return {"log_sq_norm": profile, "slope": slope, "rate": _rate(slope),
            "fit_range": [lo, hi], "forward_sq_norm": fwd, "sigma_w2": float(cfg["sigma_w2"])}
