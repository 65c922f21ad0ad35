"""scikit-learn's digits (1,797 8x8 images, shipped with scikit-learn: no download), standardized."""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__ = ["load_digits_tensors", "fixed_batch"]


def load_digits_tensors(dtype: torch.dtype = torch.float32, device: str = "cpu") -> tuple[Tensor, Tensor]:
    """All digits as (X [1797, 64] standardized per pixel, y [1797] int64)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = d.data.astype(np.float64)
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    return (torch.as_tensor(x, dtype=dtype, device=device),
            torch.as_tensor(d.target, dtype=torch.long, device=device))


def fixed_batch(x: Tensor, y: Tensor, size: int, seed: int) -> tuple[Tensor, Tensor]:
    """A fixed batch of ``size`` samples drawn without replacement with ``seed``."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(x.shape[0], generator=g)[:size].to(x.device)
    return x[idx], y[idx]
