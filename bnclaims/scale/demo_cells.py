"""Demo cells for :mod:`bnclaims.scale.grid`: tiny pure seeded functions ``fn(config, seed) -> dict``.

They show the cell contract (a JSON-safe record of finite numbers, the same for the same seed) and
serve the grid's tests; name them by import path::

    bnclaims.scale.demo_cells:gaussian_moments   numpy   {"n": 1000}
    bnclaims.scale.demo_cells:bn_gradient_norm   torch   {"m": 64, "width": 32}
    bnclaims.scale.demo_cells:sleep              sleeps {"seconds": 0.5} (deadlines, progress)
    bnclaims.scale.demo_cells:fail               raises ValueError {"message": "..."} (error reports)

No module-level numpy or torch import: this module imports anywhere.
"""
from __future__ import annotations

import time
from typing import Any


def gaussian_moments(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Sample moments of ``n`` standard normal draws from ``numpy.random.default_rng(seed)``."""
    import numpy as np

    n = int(config.get("n", 1000))
    x = np.random.default_rng(seed).standard_normal(n)
    return {"n": n, "mean": float(x.mean()), "var": float(x.var()), "max": float(x.max())}


def bn_gradient_norm(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Loss and weight-gradient norm of a random linear layer followed by batch normalization.

    BN as in Ioffe & Szegedy (2015), Algorithm 1, without the affine part: ``(z - mean) /
    sqrt(var + eps)`` over the batch of ``m`` rows; float64, a ``torch.Generator`` seeded by ``seed``.
    """
    import torch

    m, width = int(config.get("m", 64)), int(config.get("width", 32))
    eps = float(config.get("eps", 1e-5))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(m, width, generator=g, dtype=torch.float64)
    w = torch.randn(width, width, generator=g, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(m, width, generator=g, dtype=torch.float64)
    z = x @ w
    y = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + eps)
    loss = (y * upstream).sum()
    loss.backward()
    return {"loss": loss.item(), "grad_norm": w.grad.norm().item(), "y_rows": y[:2].tolist()}


def sleep(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Sleep ``config["seconds"]``, then return the seed: a cell that takes time."""
    seconds = float(config.get("seconds", 0.5))
    time.sleep(seconds)
    return {"seed": seed, "slept": seconds}


def fail(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Raise ``ValueError(config["message"])``: a cell that fails."""
    raise ValueError(f"{config.get('message', 'demo failure')} (seed {seed})")
