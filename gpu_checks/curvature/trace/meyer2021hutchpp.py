"""Hutch++ (Meyer, Musco, Musco & Woodruff, SOSA 2021, Algorithm 1).

@inproceedings{meyer2021hutchpp, title={Hutch++: Optimal Stochastic Trace Estimation},
  author={Meyer, Raphael A. and Musco, Cameron and Musco, Christopher and Woodruff, David P.}, year={2021}}

With ``m`` HVPs: S (m/3 Rademacher columns), Q = orth(H S), tr(Q^T H Q) + Hutchinson on (I - QQ^T) H
(I - QQ^T) with the remaining m/3 probes; the standard error is that of the Hutchinson part.
"""
from __future__ import annotations

import math

import torch

from bnclaims.gpu_checks.curvature.lanczos import Operator
from bnclaims.gpu_checks.curvature.trace.hutchinson import TraceResult

__all__ = ["hutchpp"]


def hutchpp(op: Operator, m: int = 99, *, seed: int = 0) -> TraceResult:
    """Hutch++ with ``m`` HVPs (rounded down to a multiple of 3)."""
    k = max(m // 3, 1)
    start = op.hvps
    g = torch.Generator().manual_seed(seed)
    mat = getattr(op, "matmat", None)

    def rad() -> torch.Tensor:
        return (torch.randint(0, 2, (k, op.n), generator=g, dtype=torch.float64) * 2 - 1).to(op.device)

    def mm(x: torch.Tensor) -> torch.Tensor:
        return mat(x).double() if mat is not None else torch.stack([op.matvec(r).double() for r in x])

    hs = mm(rad())
    q, _ = torch.linalg.qr(hs.T)
    qt = q.T
    top = float((qt * mm(qt)).sum())
    z = rad()
    z = z - (z @ q) @ qt
    vals = (z * mm(z)).sum(1)
    mean = float(vals.mean())
    se = float(vals.std(unbiased=True)) / math.sqrt(k) if k > 1 else float("inf")
    return TraceResult(estimate=top + mean, stderr=se, hvps=op.hvps - start, samples=k, deflated=top,
                       method="hutch++")
