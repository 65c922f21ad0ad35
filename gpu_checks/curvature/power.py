"""Power iteration for the dominant eigenvalue (largest |lambda|): a baseline only (as in PyHessian,
Yao et al. 2020). Stops when the relative change of the Rayleigh quotient is below ``tol``."""
from __future__ import annotations

import torch

from bnclaims.gpu_checks.curvature.lanczos import EigResult, Operator

__all__ = ["power_iteration"]


def power_iteration(op: Operator, *, tol: float = 1e-6, max_hvps: int = 500, seed: int = 0) -> EigResult:
    """Dominant eigenpair; ``residuals`` holds the certified ||H v - theta v|| at the last iterate."""
    import numpy as np

    start = op.hvps
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(op.n, generator=g, dtype=torch.float64).to(op.device)
    v /= v.norm()
    hv = op.matvec(v).double()
    theta = float(v @ hv)
    history = []
    converged = False
    while op.hvps - start < max_hvps:
        v = hv / hv.norm()
        hv = op.matvec(v).double()
        new = float(v @ hv)
        history.append((op.hvps - start, abs(new - theta) / max(abs(new), 1e-300)))
        done = abs(new - theta) <= tol * abs(new)
        theta = new
        if done:
            converged = True
            break
    res = float((hv - theta * v).norm())
    return EigResult(eigenvalues=np.array([theta]), residuals=np.array([res]), gap_bounds=np.array([res]),
                     hvps=op.hvps - start, converged=converged, method="power", eigenvectors=v[None],
                     history=history)
