"""Hutchinson's estimator (Hutchinson 1989) with Rademacher probes, optional deflation, stopping on the
estimated standard error.

With an orthonormal V (k x n, e.g. Lanczos Ritz vectors) and its projected matrix T = V H V^T,
tr(H) = tr(T) + tr(P H P), P = I - V^T V, exactly; the second term is estimated by z^T P H P z for
Rademacher z. The standard error is the sample standard deviation / sqrt(samples).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from bnclaims.gpu_checks.curvature.lanczos import Operator

__all__ = ["TraceResult", "hutchinson"]


@dataclass
class TraceResult:
    estimate: float
    stderr: float
    hvps: int
    samples: int
    deflated: float = 0.0
    method: str = "hutchinson"


def hutchinson(op: Operator, *, rtol: float = 5e-3, max_hvps: int = 100, min_samples: int = 10,
               batch: int = 1, deflate: tuple[Tensor, Tensor] | None = None, seed: int = 0,
               z_score: float = 2.0) -> TraceResult:
    """Estimate tr(H); stop when ``z_score * stderr <= rtol * |estimate|`` (after ``min_samples``) or at
    ``max_hvps``. ``deflate=(V, T)``: orthonormal rows V and T = V H V^T (no HVPs spent here)."""
    start = op.hvps
    g = torch.Generator().manual_seed(seed)
    base = 0.0
    v = None
    if deflate is not None:
        v = deflate[0].to(op.device, torch.float64)
        base = float(torch.trace(deflate[1].double()))
    vals: list[float] = []
    mat = getattr(op, "matmat", None)
    while op.hvps - start < max_hvps:
        b = min(batch, max_hvps - (op.hvps - start))
        z = (torch.randint(0, 2, (b, op.n), generator=g, dtype=torch.float64) * 2 - 1).to(op.device)
        if v is not None:
            z = z - (z @ v.T) @ v
        hz = mat(z).double() if (mat is not None and b > 1) else torch.stack([op.matvec(zz).double() for zz in z])
        vals.extend((z * hz).sum(1).cpu().tolist())
        if len(vals) >= min_samples:
            mean = sum(vals) / len(vals)
            sd = math.sqrt(sum((x - mean) ** 2 for x in vals) / (len(vals) - 1))
            if z_score * sd / math.sqrt(len(vals)) <= rtol * abs(base + mean):
                break
    mean = sum(vals) / len(vals)
    sd = math.sqrt(sum((x - mean) ** 2 for x in vals) / max(len(vals) - 1, 1))
    return TraceResult(estimate=base + mean, stderr=sd / math.sqrt(len(vals)), hvps=op.hvps - start,
                       samples=len(vals), deflated=base,
                       method="hutchinson" + ("-deflated" if v is not None else ""))
