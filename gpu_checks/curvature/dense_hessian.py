"""Dense exact Hessian in column blocks, and its spectrum, for validation and the benchmark.

Columns H e_j for blocks of unit vectors by double backward with ``is_grads_batched`` in the loss's
dtype (float64 for a reference). For small MLPs the fully independent reference is
:func:`bnclaims.gpu_checks.curvature.reference_functional.reference_hessian`.
"""
from __future__ import annotations

import torch
from torch import Tensor

from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss

__all__ = ["dense_hessian", "exact_spectrum"]


def dense_hessian(loss: FunctionalLoss, theta: Tensor, block: int = 256, progress: bool = False) -> Tensor:
    """The n x n Hessian, symmetrized ((H + H^T)/2; the raw asymmetry is a sanity figure)."""
    n = loss.n
    t = theta.detach().to(loss.device, loss.dtype).requires_grad_(True)
    (g,) = torch.autograd.grad(loss(t), t, create_graph=True)
    h = torch.empty(n, n, dtype=loss.dtype, device=loss.device)
    starts = range(0, n, block)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="dense Hessian", unit="block")
    for s in starts:
        e = min(s + block, n)
        eye = torch.zeros(e - s, n, dtype=loss.dtype, device=loss.device)
        eye[torch.arange(e - s), torch.arange(s, e)] = 1
        (cols,) = torch.autograd.grad(g, t, eye, retain_graph=True, is_grads_batched=True)
        h[s:e] = cols.detach()
    return h


def exact_spectrum(h: Tensor) -> Tensor:
    """All eigenvalues of the symmetric part of ``h``, descending (LAPACK syevd)."""
    hs = 0.5 * (h + h.T)
    return torch.linalg.eigvalsh(hs).flip(0)
