"""A side-effect-free loss over a flat parameter vector, with the batch-statistics mode stated.

``L(theta) = CE(f(X; theta), y) + lambda * sum_l r^l`` where f is the module evaluated with
:func:`torch.func.functional_call` on a parameter dict rebuilt from ``theta`` and *copies* of the buffers,
inside :func:`bnclaims.gpu_checks.nets.normalizers.bn_mode` so that no normalizer writes its running statistics
(and the copies would absorb any write by a foreign module). The r^l are the RegNorm terms of seed 003,
eq. (3).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from bnclaims.gpu_checks.nets.normalizers import BN_MODES, Normalizer, bn_mode, collect_regularizers

__all__ = ["FunctionalLoss", "has_normalization", "buffer_snapshot", "buffers_identical"]


def has_normalization(model: nn.Module) -> bool:
    """True when any normalization layer (ours or torch's) is in the model."""
    torch_norms = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
    return any((isinstance(m, Normalizer) and m.kind != "none") or isinstance(m, torch_norms)
               for m in model.modules())


def buffer_snapshot(model: nn.Module) -> dict[str, Tensor]:
    """Bitwise copies of every buffer of ``model``."""
    return {k: b.detach().clone() for k, b in model.named_buffers()}


def buffers_identical(model: nn.Module, snapshot: dict[str, Tensor]) -> bool:
    """True iff every buffer is bit-identical (``torch.equal``) to ``snapshot``."""
    now = dict(model.named_buffers())
    return now.keys() == snapshot.keys() and all(torch.equal(now[k], snapshot[k]) for k in now)


class FunctionalLoss:
    """theta (flat, ``n`` entries) -> scalar loss of ``model`` on the fixed batch (X, y).

    Parameters are taken in ``model.named_parameters()`` order; ``dtype`` casts data, parameters and
    buffers (float32 or float64 end to end). ``bn_mode`` is one of "train", "eval", "frozen".
    """

    def __init__(self, model: nn.Module, x: Tensor, y: Tensor, *, bn_mode: str = "train",
                 dtype: torch.dtype = torch.float64, reg_weight: float = 0.0, device: str | None = None) -> None:
        if bn_mode not in BN_MODES:
            raise ValueError(f"bn_mode must be one of {BN_MODES}, got {bn_mode!r}")
        dev = torch.device(device) if device is not None else x.device
        self.model, self.bn_mode, self.dtype, self.reg_weight, self.device = model, bn_mode, dtype, reg_weight, dev
        self.names = [k for k, p in model.named_parameters() if p.requires_grad]
        params = dict(model.named_parameters())
        self.shapes = [params[k].shape for k in self.names]
        self.sizes = [params[k].numel() for k in self.names]
        self.n = sum(self.sizes)
        self.x = x.to(device=dev, dtype=dtype)
        self.y = y.to(device=dev)
        self._buffers = {k: (b.detach().clone().to(device=dev, dtype=dtype) if b.is_floating_point()
                             else b.detach().clone().to(dev)) for k, b in model.named_buffers()}

    def theta0(self) -> Tensor:
        """The model's current parameters as a flat vector (a copy, in ``dtype``)."""
        params = dict(self.model.named_parameters())
        return torch.cat([params[k].detach().reshape(-1) for k in self.names]).to(self.device, self.dtype)

    def unflatten(self, theta: Tensor) -> dict[str, Tensor]:
        """The parameter dict of ``theta`` (views, differentiable)."""
        chunks = torch.split(theta, self.sizes)
        return {k: c.view(s) for k, c, s in zip(self.names, chunks, self.shapes)}

    def logits(self, theta: Tensor) -> Tensor:
        bufs = {k: b.clone() for k, b in self._buffers.items()}
        with bn_mode(self.bn_mode):
            return functional_call(self.model, (self.unflatten(theta), bufs), (self.x,))

    def __call__(self, theta: Tensor) -> Tensor:
        bufs = {k: b.clone() for k, b in self._buffers.items()}
        with bn_mode(self.bn_mode), collect_regularizers() as regs:
            out = functional_call(self.model, (self.unflatten(theta), bufs), (self.x,))
            loss = F.cross_entropy(out, self.y)
            if self.reg_weight and regs:
                loss = loss + self.reg_weight * torch.stack(regs).sum()
        return loss

    def gradient(self, theta: Tensor) -> Tensor:
        """dL/dtheta by one reverse pass."""
        t = theta.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(self(t), t)
        return g
