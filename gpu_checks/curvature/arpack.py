"""Second eigen-solver path: scipy's ARPACK (implicitly restarted Lanczos, Lehoucq et al. 1998) via
``scipy.sparse.linalg.eigsh`` on a ``LinearOperator`` wrapping the HVP. Residuals ||H y - theta y|| are
formed explicitly afterwards with k extra HVPs (reported separately as ``certify_hvps``)."""
from __future__ import annotations

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator, eigsh

from bnclaims.gpu_checks.curvature.lanczos import EigResult, Operator, kato_temple_bounds

__all__ = ["arpack_eigsh"]


def arpack_eigsh(op: Operator, k: int = 10, *, which: str = "LA", tol: float = 1e-8, ncv: int | None = None,
                 seed: int = 0, maxiter: int | None = None) -> tuple[EigResult, int]:
    """(result, certify_hvps): the ``k`` extreme eigenpairs by ARPACK; result.hvps excludes certification."""
    start = op.hvps

    def mv(x: np.ndarray) -> np.ndarray:
        t = torch.as_tensor(np.ascontiguousarray(x).reshape(-1), dtype=torch.float64, device=op.device)
        return op.matvec(t).double().cpu().numpy()

    lin = LinearOperator((op.n, op.n), matvec=mv, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(op.n)
    vals, vecs = eigsh(lin, k=k, which=which, tol=tol, ncv=ncv, v0=v0, maxiter=maxiter)
    used = op.hvps - start
    order = np.argsort(-vals) if which == "LA" else np.argsort(vals)
    vals, vecs = vals[order], vecs[:, order]
    vt = torch.as_tensor(vecs.T.copy(), dtype=torch.float64, device=op.device)
    res = np.array([float((op.matvec(y).double() - th * y).norm()) for th, y in zip(vals, vt)])
    certify = op.hvps - start - used
    gapb = kato_temple_bounds(vals, res)
    return EigResult(eigenvalues=vals, residuals=res, gap_bounds=gapb, hvps=used, converged=True,
                     method=f"arpack-{which}", eigenvectors=vt), certify
