"""A hand-written MLP loss over the flat parameter vector: the independent reference for small networks.

Written without :mod:`bnclaims.gpu_checks.nets.normalizers`, ``functional_call`` or torch's norm kernels: the forward
pass of :class:`bnclaims.gpu_checks.nets.models.MLP` (with :class:`bnclaims.gpu_checks.nets.models.NormLinear` blocks) spelled out
from the equations of seed 003 Table 1, so that its Hessian (:func:`reference_hessian`, by
``torch.autograd.functional.hessian``) checks the engine's HVPs by a separate code path.
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["reference_mlp_loss", "reference_hessian"]


def _std(v: Tensor, eps: float) -> Tensor:
    return torch.sqrt(v + eps)


def _norm(z: Tensor, kind: str, mode: str, rm: Tensor | None, rv: Tensor | None, eps: float,
          groups: int) -> tuple[Tensor, Tensor | None]:
    m = z.shape[0]
    bmean = z.sum(0, keepdim=True) / m
    bvar = ((z - bmean) * (z - bmean)).sum(0, keepdim=True) / m
    if mode == "frozen":
        bmean, bvar = bmean.detach(), bvar.detach()
    elif mode == "eval" and rm is not None and rv is not None:
        bmean, bvar = rm.unsqueeze(0), rv.unsqueeze(0)
    c = z.shape[1]
    lmean = z.sum(1, keepdim=True) / c
    lvar = ((z - lmean) * (z - lmean)).sum(1, keepdim=True) / c
    reg = None
    if kind == "batch":
        zt = (z - bmean) / _std(bvar, eps)
    elif kind == "layer":
        zt = (z - lmean) / _std(lvar, eps)
    elif kind == "bmlv":
        zt = (z - bmean) / _std(lvar, eps)
    elif kind == "lmbv":
        zt = (z - lmean) / _std(bvar, eps)
    elif kind == "prelayer":
        zt = z / _std(lvar, eps)
    elif kind == "regnorm":
        zt = z / _std((z * z).sum(1, keepdim=True) / c, eps)
        # literal pairwise form of eq. (3): mean over all (a, b) of sum_i ((z_a + z_b)^2 - 2)
        pair = zt.unsqueeze(0) + zt.unsqueeze(1)
        reg = ((pair * pair) - 2.0).sum(2).mean()
    elif kind == "group":
        g = groups
        zg = z.reshape(m, g, c // g)
        gm = zg.sum(2, keepdim=True) / (c // g)
        gv = ((zg - gm) * (zg - gm)).sum(2, keepdim=True) / (c // g)
        zt = ((zg - gm) / _std(gv, eps)).reshape(m, c)
    else:
        raise ValueError(kind)
    return zt, reg


def reference_mlp_loss(theta: Tensor, x: Tensor, y: Tensor, *, d_in: int, width: int, depth: int,
                       d_out: int, norm: str, mode: str = "train", running: list[tuple[Tensor, Tensor]] | None = None,
                       reg_weight: float = 0.0, eps: float = 1e-5, groups: int = 8) -> Tensor:
    """Cross-entropy (+ RegNorm penalty) of the MLP whose parameters are laid out in ``theta``."""
    i = 0

    def take(*shape: int) -> Tensor:
        nonlocal i
        k = 1
        for s in shape:
            k *= s
        out = theta[i:i + k].reshape(shape)
        i += k
        return out

    h = x
    d = d_in
    penalty = theta.new_zeros(())
    g = min(groups, max(width // 2, 1))
    while width % g:
        g -= 1
    for layer in range(depth):
        w, b = take(width, d), take(width)
        if norm == "prelayer":
            h = h - h.sum(1, keepdim=True) / h.shape[1]
        z = h @ w.T + b
        if norm != "none":
            gamma, beta = take(width), take(width)
            rm, rv = running[layer] if running is not None else (None, None)
            zt, reg = _norm(z, norm, mode, rm, rv, eps, g)
            if reg is not None:
                penalty = penalty + reg
            z = gamma * zt + beta
        h = torch.clamp(z, min=0)
        d = width
    w, b = take(d_out, d), take(d_out)
    logits = h @ w.T + b
    logp = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    ce = -logp[torch.arange(x.shape[0]), y].mean()
    if i != theta.numel():
        raise ValueError(f"theta has {theta.numel()} entries, the MLP uses {i}")
    return ce + reg_weight * penalty


def reference_hessian(theta: Tensor, x: Tensor, y: Tensor, **spec: object) -> Tensor:
    """Dense Hessian of :func:`reference_mlp_loss` by ``torch.autograd.functional.hessian``."""
    return torch.autograd.functional.hessian(lambda t: reference_mlp_loss(t, x, y, **spec), theta.detach())
