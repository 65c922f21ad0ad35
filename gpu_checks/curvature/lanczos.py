"""Restarted Lanczos with full reorthogonalization and locking for extreme eigenpairs of a Hessian.

The projected matrix is formed column by column as T[:, j] = V^T (H v_j) (classical Gram-Schmidt, applied
twice: full reorthogonalization), so after a thick restart (Wu & Simon 2000; Stewart's Krylov-Schur) that
keeps Ritz vectors Y, T stays exactly V^T H V and the Arnoldi relation H V = V T + f e_j^T holds. The
HVP outputs W = H V are stored, so the residual of every Ritz pair (theta, y = V s) is formed explicitly
as ||W s - theta V s|| with no extra HVP. Bounds per Ritz pair:

* certified (for the operator as computed): some eigenvalue lies in theta +- ||H y - theta y||
  (Bauer-Fike/Weyl for a symmetric matrix, ||y|| = 1);
* gap bound (Kato-Temple): |lambda - theta| <= r^2 / gap, gap to the nearest other Ritz value -- sharp, but
  only an estimate since the gap is itself estimated.

Converged wanted pairs are locked: they stay in the basis and are no longer counted as active.
Basis vectors are kept in float64; HVPs run in the operator's dtype (float32 or float64).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
from torch import Tensor

__all__ = ["Operator", "EigResult", "kato_temple_bounds", "lanczos_eigsh"]


class Operator(Protocol):
    n: int
    device: torch.device
    hvps: int

    def matvec(self, v: Tensor) -> Tensor: ...


@dataclass
class EigResult:
    """Ritz pairs (descending for "LA", ascending for "SA") with per-pair error bounds."""

    eigenvalues: np.ndarray
    residuals: np.ndarray
    gap_bounds: np.ndarray
    hvps: int
    converged: bool
    method: str
    eigenvectors: Tensor | None = None
    history: list[tuple[int, float]] = field(default_factory=list)
    basis: Tensor | None = None  # all orthonormal Krylov vectors (rows), float64
    projected: Tensor | None = None  # basis H basis^T, float64

    @property
    def bounds(self) -> np.ndarray:
        """Certified half-widths: an eigenvalue lies in theta_i +- residual_i."""
        return self.residuals

    @property
    def error_estimates(self) -> np.ndarray:
        """min(residual, residual^2 / gap): the reported error estimate per Ritz value."""
        return np.minimum(self.residuals, self.gap_bounds)

    def ratio_interval(self, k: int, certified: bool = False) -> tuple[float, float, float]:
        """lambda_1 / lambda_k with an interval propagated from the per-pair bounds (positive pairs)."""
        b = self.bounds if certified else self.error_estimates
        l1, lk = self.eigenvalues[0], self.eigenvalues[k - 1]
        lo_k, hi_k = lk - b[k - 1], lk + b[k - 1]
        if lo_k <= 0:
            return float(l1 / lk), float("-inf"), float("inf")
        return float(l1 / lk), float((l1 - b[0]) / hi_k), float((l1 + b[0]) / lo_k)


def _ritz(v: Tensor, w: Tensor, t: np.ndarray, which: str) -> tuple[np.ndarray, np.ndarray]:
    theta, s = np.linalg.eigh(0.5 * (t + t.T))
    order = np.argsort(-theta) if which == "LA" else np.argsort(theta)
    return theta[order], s[:, order]


def kato_temple_bounds(theta: np.ndarray, res: np.ndarray) -> np.ndarray:
    """r_i^2 / gap_i per Ritz pair (Kato-Temple), gap_i to the nearest other Ritz value; r_i where no gap."""
    gaps = np.empty_like(theta)
    for i in range(theta.size):
        d = np.abs(np.delete(theta, i) - theta[i])
        gaps[i] = d.min() if d.size else np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((gaps > 0) & np.isfinite(gaps), res ** 2 / gaps, res)


def lanczos_eigsh(op: Operator, k: int = 10, *, which: str = "LA", tol: float = 1e-8, max_hvps: int = 300,
                  basis: int | None = None, seed: int = 0, v0: Tensor | None = None,
                  return_vectors: bool = False) -> EigResult:
    """The ``k`` largest ("LA") or smallest ("SA") eigenpairs of ``op``.

    Stops when every wanted Ritz value has error estimate min(r, r^2/gap) <= tol * max|theta|, or after
    ``max_hvps`` products. ``basis`` is the largest Krylov basis before a thick restart (default
    max(3k, k + 30), capped at n).
    """
    if which not in ("LA", "SA"):
        raise ValueError(f"which must be 'LA' or 'SA', got {which!r}")
    n = op.n
    m = min(basis or max(3 * k, k + 30), n)
    k = min(k, n)
    dev = op.device
    start = op.hvps
    g = torch.Generator().manual_seed(seed)
    q = (torch.randn(n, generator=g, dtype=torch.float64) if v0 is None else v0.double().cpu()).to(dev)
    v = torch.zeros(m + 1, n, dtype=torch.float64, device=dev)
    w = torch.zeros(m + 1, n, dtype=torch.float64, device=dev)
    t = np.zeros((m + 1, m + 1))
    j = 0  # vectors in the basis
    v[0] = q / q.norm()
    history: list[tuple[int, float]] = []
    theta = np.zeros(0)
    res = np.zeros(0)
    s = np.zeros((0, 0))
    converged = False
    while True:
        hv = op.matvec(v[j]).to(torch.float64)
        w[j] = hv
        f = hv.clone()
        h = v[: j + 1] @ f
        f -= v[: j + 1].T @ h
        h2 = v[: j + 1] @ f  # second Gram-Schmidt pass (full reorthogonalization)
        f -= v[: j + 1].T @ h2
        col = (h + h2).cpu().numpy()
        t[: j + 1, j] = col
        t[j, : j + 1] = col
        j += 1
        theta, s = _ritz(v[:j], w[:j], t[:j, :j], which)
        kk = min(k, j)
        st = torch.as_tensor(s[:, :kk], device=dev)
        r = (w[:j].T @ st) - (v[:j].T @ st) * torch.as_tensor(theta[:kk], device=dev)
        res = r.norm(dim=0).cpu().numpy()
        est = np.minimum(res, kato_temple_bounds(theta[: max(kk + 1, min(j, kk + 1))], np.r_[res, np.inf][: min(j, kk + 1)])[:kk])
        scale = max(np.abs(theta).max(), 1e-300)
        worst = float((est / scale).max())
        history.append((op.hvps - start, worst))
        used = op.hvps - start
        fnorm = float(f.norm())
        invariant = fnorm <= 1e-12 * scale
        if (j > k and worst <= tol) or used >= max_hvps or j >= n:
            converged = (j > k and worst <= tol) or (j >= n and kk == k)
            break
        if invariant:  # Krylov space is invariant: continue from a fresh direction orthogonal to it
            f = torch.randn(n, generator=g, dtype=torch.float64).to(dev)
            for _ in range(2):
                f -= v[:j].T @ (v[:j] @ f)
        if j == m:  # thick restart: keep wanted (locked or active) + extra Ritz vectors
            keep = min(m - 1, max(k + (m - k) // 2, k + 1))
            sk = torch.as_tensor(s[:, :keep], device=dev)
            v[:keep] = (v[:j].T @ sk).T
            w[:keep] = (w[:j].T @ sk).T
            t[:] = 0
            t[np.arange(keep), np.arange(keep)] = theta[:keep]
            j = keep
            # re-orthogonalize f against the kept basis before appending
            f -= v[:j].T @ (v[:j] @ f)
        v[j] = f / f.norm()
    kk = min(k, j)
    vecs = (v[:j].T @ torch.as_tensor(s[:, :kk], device=dev)).T if return_vectors else None
    gapb = kato_temple_bounds(theta[: min(j, kk + 1)], np.r_[res, np.inf][: min(j, kk + 1)])[:kk]
    tj = 0.5 * (t[:j, :j] + t[:j, :j].T)
    return EigResult(eigenvalues=theta[:kk].copy(), residuals=res[:kk].copy(), gap_bounds=gapb,
                     hvps=op.hvps - start, converged=converged, method=f"lanczos-{which}",
                     eigenvectors=vecs, history=history,
                     basis=v[:j].clone() if return_vectors else None,
                     projected=torch.as_tensor(tj) if return_vectors else None)
