"""Implementations under test: torch's own BN and four planted bugs the checks must refute.

Each :class:`Implementation` offers the functional form (the signature of
``torch.nn.functional.batch_norm``) and a module factory (``BatchNorm1d``/``BatchNorm2d`` for
torch; :class:`FunctionalBN`, which reproduces torch's module protocol incl. ``momentum=None``,
for the planted ones). The planted bugs are the ones that shipped in real code:

* ``one_pass_variance``: ``var = E[x^2] - E[x]^2`` computed in the input dtype (Flax's
  ``use_fast_variance``; cancels catastrophically at large mean/std, negative in bf16).
* ``eps_outside_sqrt``: ``(x - mu) / (sqrt(var) + eps)`` (Keras' CNTK backend before keras#10427).
* ``biased_running_var``: the running variance blends the biased 1/m variance (Flax/Keras
  convention) in a slot documented as unbiased (``pytorch_batchnorm_docs``).
* ``momentum_flipped``: a Keras-convention momentum in a torch-convention slot
  (``new = p old + (1 - p) batch``; torchvision's MaxViT shipped ``momentum=0.99``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

__all__ = ["Implementation", "FunctionalBN", "TORCH_IMPL", "PLANTED", "get_impl", "planted_bn"]


def _reduce_dims(x: torch.Tensor) -> list[int]:
    return [0] + list(range(2, x.dim()))


def _shape(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.reshape([1, -1] + [1] * (x.dim() - 2))


def planted_bn(x: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
               weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5, *,
               one_pass: bool = False, eps_outside: bool = False, biased_running: bool = False,
               flipped_momentum: bool = False) -> torch.Tensor:
    """BN in plain torch ops in the input dtype, with any of the four planted bugs switched on."""
    dims = _reduce_dims(x)
    n = x.numel() // x.shape[1]
    if training:
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {x.shape}")
        mu = x.mean(dim=dims)
        if one_pass:
            var = (x * x).mean(dim=dims) - mu * mu
        else:
            var = ((x - _shape(mu, x)) ** 2).mean(dim=dims)
        if running_mean is not None and running_var is not None:
            with torch.no_grad():
                stored = var if biased_running else var * (n / (n - 1))
                keep = momentum if flipped_momentum else 1.0 - momentum
                running_mean.mul_(keep).add_((1.0 - keep) * mu.to(running_mean.dtype))
                running_var.mul_(keep).add_((1.0 - keep) * stored.to(running_var.dtype))
    else:
        mu, var = running_mean, running_var
    d = torch.sqrt(var) + eps if eps_outside else torch.sqrt(var + eps)
    y = (x - _shape(mu, x)) / _shape(d, x)
    if weight is not None:
        y = y * _shape(weight, x)
    if bias is not None:
        y = y + _shape(bias, x)
    return y


class FunctionalBN(torch.nn.Module):
    """A BN module around any functional, with torch's protocol (buffers, ``momentum=None``)."""

    def __init__(self, fn: Callable[..., torch.Tensor], num_features: int, momentum: float | None = 0.1,
                 eps: float = 1e-5, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.fn, self.momentum, self.eps = fn, momentum, eps
        self.weight = torch.nn.Parameter(torch.ones(num_features, dtype=dtype))
        self.bias = torch.nn.Parameter(torch.zeros(num_features, dtype=dtype))
        self.register_buffer("running_mean", torch.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", torch.ones(num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        return self.fn(x, self.running_mean, self.running_var, self.weight, self.bias,
                       self.training, factor, self.eps)


@dataclass(frozen=True)
class Implementation:
    """A BN implementation: a name, the functional form and a module factory."""

    name: str
    functional: Callable[..., torch.Tensor]
    module: Callable[[int, int, float | None, float, torch.dtype], torch.nn.Module]
    description: str


def _torch_module(num_features: int, spatial_dims: int, momentum: float | None, eps: float,
                  dtype: torch.dtype) -> torch.nn.Module:
    cls = torch.nn.BatchNorm1d if spatial_dims <= 1 else torch.nn.BatchNorm2d
    return cls(num_features, eps=eps, momentum=momentum, dtype=dtype)


def _planted(name: str, description: str, **bug: bool) -> Implementation:
    def fn(x, rm, rv, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
        return planted_bn(x, rm, rv, weight, bias, training, momentum, eps, **bug)

    def module(num_features, spatial_dims, momentum, eps, dtype):
        return FunctionalBN(fn, num_features, momentum, eps, dtype)

    return Implementation(name, fn, module, description)


TORCH_IMPL = Implementation("torch", F.batch_norm, _torch_module,
                            f"torch {torch.__version__}: F.batch_norm, nn.BatchNorm1d/2d (CPU)")
PLANTED: dict[str, Implementation] = {
    "correct_plain": _planted("correct_plain", "plain-torch BN, no bug (control)"),
    "one_pass_variance": _planted("one_pass_variance", "var = E[x^2] - E[x]^2 in the input dtype",
                                  one_pass=True),
    "eps_outside_sqrt": _planted("eps_outside_sqrt", "(x - mu) / (sqrt(var) + eps)", eps_outside=True),
    "biased_running_var": _planted("biased_running_var", "running_var blends the biased 1/m variance",
                                   biased_running=True),
    "momentum_flipped": _planted("momentum_flipped", "new = p*old + (1-p)*batch in a torch slot",
                                 flipped_momentum=True),
}


def get_impl(name: str) -> Implementation:
    """``"torch"`` or a key of :data:`PLANTED`."""
    return TORCH_IMPL if name == "torch" else PLANTED[name]
