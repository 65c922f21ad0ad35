"""Stochastic Lanczos quadrature for the spectral density (Ghorbani, Krishnan & Xiao, ICML 2019, §2;
Lin, Saad & Yang 2016).

@inproceedings{ghorbani2019investigation, title={An Investigation into Neural Net Optimization via
  Hessian Eigenvalue Density}, author={Ghorbani, Behrooz and Krishnan, Shankar and Xiao, Ying}, year={2019}}

For each Gaussian probe v (normalized), ``steps`` Lanczos steps with full reorthogonalization give
T = S diag(nodes) S^T; the quadrature weights are S[0, :]^2. The density estimate is
phi(t) = (1/P) sum_p sum_j w_pj N(t; node_pj, width^2). Probes run together (batched HVPs).
Bootstrap bands resample probes. Raw nodes and weights are returned.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from bnclaims.gpu_checks.curvature.lanczos import Operator

__all__ = ["SLQResult", "slq", "w1_to_spectrum"]


@dataclass
class SLQResult:
    nodes: np.ndarray  # (probes, steps)
    weights: np.ndarray  # (probes, steps), each row sums to 1
    hvps: int
    width: float

    def density(self, grid: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Gaussian-smoothed density (width ``self.width``) on ``grid``, averaged over probe ``rows``."""
        nd, wt = (self.nodes, self.weights) if rows is None else (self.nodes[rows], self.weights[rows])
        d = grid[:, None] - nd.reshape(-1)[None, :]
        k = np.exp(-0.5 * (d / self.width) ** 2) / (self.width * np.sqrt(2 * np.pi))
        return (k * wt.reshape(-1)[None, :]).sum(1) / nd.shape[0]

    def bootstrap_bands(self, grid: np.ndarray, n_boot: int = 200, level: float = 0.9,
                        seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise (lower, upper) percentile bands of the density over probe resamples."""
        rng = np.random.default_rng(seed)
        p = self.nodes.shape[0]
        boots = np.stack([self.density(grid, rng.integers(0, p, p)) for _ in range(n_boot)])
        a = (1 - level) / 2
        return np.quantile(boots, a, axis=0), np.quantile(boots, 1 - a, axis=0)

    def trace(self, n: int) -> float:
        """n * sum of weighted nodes / probes: the SLQ trace estimate."""
        return float(n * (self.nodes * self.weights).sum() / self.nodes.shape[0])


def slq(op: Operator, *, probes: int = 10, steps: int = 80, width: float | None = None, seed: int = 0) -> SLQResult:
    """Run ``probes`` Lanczos sequences of ``steps`` steps (full reorthogonalization)."""
    start = op.hvps
    n = op.n
    steps = min(steps, n)
    g = torch.Generator().manual_seed(seed)
    v = torch.zeros(probes, steps, n, dtype=torch.float64, device=op.device)
    q = torch.randn(probes, n, generator=g, dtype=torch.float64).to(op.device)
    v[:, 0] = q / q.norm(dim=1, keepdim=True)
    alpha = torch.zeros(probes, steps, dtype=torch.float64)
    beta = torch.zeros(probes, steps, dtype=torch.float64)
    mat = getattr(op, "matmat", None)
    last = steps
    for j in range(steps):
        x = v[:, j]
        w = mat(x).double() if mat is not None else torch.stack([op.matvec(r).double() for r in x])
        a = (w * x).sum(1)
        alpha[:, j] = a.cpu()
        for _ in range(2):  # full reorthogonalization against all previous vectors
            w = w - torch.einsum("pj,pjn->pn", torch.einsum("pjn,pn->pj", v[:, : j + 1], w), v[:, : j + 1])
        b = w.norm(dim=1)
        if j + 1 < steps:
            if float(b.min()) <= 1e-12 * float(alpha[:, : j + 1].abs().max()):
                last = j + 1
                break
            beta[:, j] = b.cpu()
            v[:, j + 1] = w / b[:, None]
    nodes, weights = [], []
    for p in range(probes):
        t = torch.diag(alpha[p, :last]) + torch.diag(beta[p, : last - 1], 1) + torch.diag(beta[p, : last - 1], -1)
        th, s = torch.linalg.eigh(t)
        nodes.append(th.numpy())
        weights.append((s[0] ** 2).numpy())
    nd, wt = np.stack(nodes), np.stack(weights)
    if width is None:
        width = 0.01 * float(nd.max() - nd.min())
    return SLQResult(nodes=nd, weights=wt, hvps=op.hvps - start, width=float(width))


def w1_to_spectrum(res: SLQResult, eigenvalues: np.ndarray) -> float:
    """Wasserstein-1 distance between the SLQ quadrature measure and the exact spectral measure."""
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(res.nodes.reshape(-1), eigenvalues,
                                      u_weights=res.weights.reshape(-1), v_weights=None))
