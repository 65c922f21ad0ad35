"""Tiny problems for validation: an MLP small enough for a dense reference Hessian, for every normalizer."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from bnclaims.gpu_checks.curvature.functional_loss import FunctionalLoss
from bnclaims.gpu_checks.nets.models import build_model
from bnclaims.gpu_checks.nets.normalizers import Normalizer
from bnclaims.gpu_checks.curvature.reference_functional import reference_hessian, reference_mlp_loss

__all__ = ["TINY", "tiny_problem", "tiny_reference_hessian", "tiny_reference_loss"]

TINY = {"d_in": 5, "width": 8, "depth": 2, "d_out": 3}


def tiny_problem(norm: str, *, mode: str = "train", dtype: torch.dtype = torch.float64, batch: int = 12,
                 seed: int = 0, reg_weight: float = 0.0) -> tuple[nn.Module, Tensor, Tensor, FunctionalLoss]:
    """A randomly perturbed tiny MLP (non-trivial gamma/beta and running statistics) and its loss."""
    g = torch.Generator().manual_seed(seed)
    model = build_model("mlp", norm=norm, seed=seed, **TINY)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g))
        for m in model.modules():
            if isinstance(m, Normalizer) and hasattr(m, "running_mean"):
                m.running_mean.copy_(0.2 * torch.randn(m.channels, generator=g))
                m.running_var.copy_(1 + 0.5 * torch.rand(m.channels, generator=g))
    x = torch.randn(batch, TINY["d_in"], generator=g, dtype=torch.float64)
    y = torch.randint(0, TINY["d_out"], (batch,), generator=g)
    return model, x, y, FunctionalLoss(model, x, y, bn_mode=mode, dtype=dtype, reg_weight=reg_weight)


def _running(model: nn.Module) -> list[tuple[Tensor, Tensor]] | None:
    out = [(m.running_mean.double(), m.running_var.double()) for m in model.modules()
           if isinstance(m, Normalizer) and hasattr(m, "running_mean")]
    return out or None


def tiny_reference_hessian(model: nn.Module, x: Tensor, y: Tensor, loss: FunctionalLoss) -> Tensor:
    """Dense Hessian by the hand-written functional (independent of the module path)."""
    spec: dict[str, Any] = dict(TINY, norm=model.blocks[0].norm.kind, mode=loss.bn_mode,
                                running=_running(model), reg_weight=loss.reg_weight)
    return reference_hessian(loss.theta0().double(), x.double(), y, **spec)


def tiny_reference_loss(model: nn.Module, x: Tensor, y: Tensor, loss: FunctionalLoss, theta: Tensor) -> Tensor:
    spec: dict[str, Any] = dict(TINY, norm=model.blocks[0].norm.kind, mode=loss.bn_mode,
                                running=_running(model), reg_weight=loss.reg_weight)
    return reference_mlp_loss(theta, x.double(), y, **spec)
